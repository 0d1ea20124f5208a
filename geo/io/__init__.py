"""Reading and writing: files, uploads, DEMs, administrative tables (the I/O layer)."""
