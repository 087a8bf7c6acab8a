"""Icons, QSS themes and other assets, loaded with importlib.resources (works in the frozen build)."""
