"""Real-data loaders, the data home and public downloads.

==========================  ====================================================================
:func:`load_bts`            2,710 ZTF Bright Transient Survey alert light curves + BTS tables
:func:`load_eros`           EROS-1 LMC variable stars (4 classes, train/test split)
:func:`read_snana_fits`     SNANA FITS HEAD/PHOT pairs (PLAsTiCC, ELAsTiCC, simulations)
:func:`read_snana_text`     SNANA text light-curve files
:func:`read_plasticc`       PLAsTiCC CSV light curves + metadata
:func:`fetch_dataset`       download a public dataset into the data home (checksummed)
:func:`availability`        which datasets a run can use, and the command that gets a missing one
==========================  ====================================================================

See :mod:`astrokeras.datasets.home` for where data are looked for; the ZTF BTS data also ship
inside the package (:mod:`astrokeras.datasets.embedded`), so :func:`load_bts` needs no setting.
"""

from astrokeras.datasets._report import LoadReport
from astrokeras.datasets.bts import BTS_ANOMALY_TYPES, BTS_LABELS, bts_label, load_bts
from astrokeras.datasets.eros import EROS_CLASSES, load_eros
from astrokeras.datasets.fetch import (
    REMOTE_DATASETS,
    ChecksumError,
    availability,
    FetchError,
    fetch_dataset,
    fetch_file,
)
from astrokeras.datasets.home import DatasetNotFoundError, dataset_path, get_data_home
from astrokeras.datasets.plasticc import PLASTICC_CLASSES, read_plasticc
from astrokeras.datasets.snana import read_snana_fits, read_snana_text

__all__ = [
    "BTS_ANOMALY_TYPES",
    "BTS_LABELS",
    "ChecksumError",
    "DatasetNotFoundError",
    "EROS_CLASSES",
    "FetchError",
    "LoadReport",
    "PLASTICC_CLASSES",
    "REMOTE_DATASETS",
    "availability",
    "bts_label",
    "dataset_path",
    "fetch_dataset",
    "fetch_file",
    "get_data_home",
    "load_bts",
    "load_eros",
    "read_plasticc",
    "read_snana_fits",
    "read_snana_text",
]
