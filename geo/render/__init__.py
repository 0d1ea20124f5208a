"""Maps, tables and files made from an analysis."""
