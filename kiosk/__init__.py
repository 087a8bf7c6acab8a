"""kiosk — card-present payments at the counter that get cancel right."""

__version__ = "0.1.0"
