"""Local SQLite journal of every payment attempt and provider call."""
