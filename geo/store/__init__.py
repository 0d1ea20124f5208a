"""The workspace database: versions of the data, plans, field reports and backups."""
