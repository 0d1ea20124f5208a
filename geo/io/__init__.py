"""Reading and writing files: layer readers, imports, uploads, DEM tiles, population grids, admin-unit tables."""
