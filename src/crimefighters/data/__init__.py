"""Data layer: every supported file format loaded into one canonical long table."""

from crimefighters.data.store import Dataset, LoadReport, load_dataset

__all__ = ["Dataset", "LoadReport", "load_dataset"]
