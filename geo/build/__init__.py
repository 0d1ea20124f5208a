"""Building dataset folders: approximate boundaries, illustrative sites, datasets."""
