"""The workspace database (issue 11)."""
