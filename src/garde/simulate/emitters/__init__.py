"""One module per output format; each turns a few fields into one record of that format."""
