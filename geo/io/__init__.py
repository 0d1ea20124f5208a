"""Reading and writing the layers users bring: tables, vector files, measurements, cell lists."""
