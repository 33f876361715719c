"""Where astrokeras finds data: one setting, like ``sklearn.datasets``.

The data home is, in order: the ``data_home`` argument, the ``ASTROKERAS_DATA`` environment
variable, else ``~/astrokeras_data``. Each dataset lives in a sub-folder of it (for example
``ztf_bts_antares/``, ``eros1_ramp/``, ``sim_blocks/``).

Example:
    >>> import os
    >>> from astrokeras.datasets import get_data_home
    >>> os.environ["ASTROKERAS_DATA"] = "/tmp/akdata"
    >>> get_data_home()
    '/tmp/akdata'
"""

from __future__ import annotations

import os

__all__ = ["get_data_home", "dataset_path", "DatasetNotFoundError"]

ENV_VAR = "ASTROKERAS_DATA"
DEFAULT_HOME = os.path.join("~", "astrokeras_data")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not in the data home; the message says where we looked and how to get it."""


def get_data_home(data_home: str | os.PathLike | None = None) -> str:
    """The data home directory (not created)."""
    home = data_home if data_home is not None else os.environ.get(ENV_VAR) or DEFAULT_HOME
    return os.path.abspath(os.path.expanduser(os.fspath(home)))


def dataset_path(name: str, data_home: str | os.PathLike | None = None, *, how_to_get: str = "",
                 must_contain: str | None = None) -> str:
    """Path of dataset folder ``name`` in the data home; raises if it (or ``must_contain``) is missing.

    Raises:
        DatasetNotFoundError: saying where it looked, which setting chose that place, and how to
            get the data.
    """
    home = get_data_home(data_home)
    path = os.path.join(home, name)
    probe = os.path.join(path, must_contain) if must_contain else path
    if not os.path.exists(probe):
        source = ("the data_home argument" if data_home is not None
                  else f"${ENV_VAR}" if os.environ.get(ENV_VAR) else f"the default (${ENV_VAR} is unset)")
        raise DatasetNotFoundError(
            f"dataset {name!r} not found: looked for {probe} (data home {home}, from {source}). "
            + (how_to_get or f"Put the {name!r} folder there, or set {ENV_VAR} to a folder that has it.")
        )
    return path
