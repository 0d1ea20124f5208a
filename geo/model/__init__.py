"""Dataset schema: the layers, their columns, and the Dataset they load into."""
