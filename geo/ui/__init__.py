"""App-only helpers (URL state)."""
