"""Pure domain model: money, cart, readers, payment state machine, errors.

Nothing in this package imports Qt or an HTTP library (tests/test_layering.py enforces it).
"""
