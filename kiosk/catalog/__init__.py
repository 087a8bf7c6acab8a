"""The store's own catalogue: products, categories, barcodes and tax categories in SQLite (catalog.db).

No Qt: the window reads it through services, the command line (`kiosk catalog`) directly.
"""
