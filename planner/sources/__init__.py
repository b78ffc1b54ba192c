"""Loaders for the official open data files: one module per publisher's format.

Each loader reads the publisher's own file (as published, or converted to CSV/Parquet without
changing values), checks it, and reports every problem in one :class:`DataFileError`.
"""
