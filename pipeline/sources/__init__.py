"""Reading what municipalities deliver: files, encodings, zips, CRS, tables, statistics, grid cells, OSM."""
