"""Ingest: recognise each input file's layout by its headers and load it into raw.* as read."""
