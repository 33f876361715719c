"""Real-data loaders and the data home (see :mod:`astrokeras.datasets.home`)."""

from astrokeras.datasets.home import DatasetNotFoundError, dataset_path, get_data_home

__all__ = ["DatasetNotFoundError", "dataset_path", "get_data_home"]
