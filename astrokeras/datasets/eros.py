"""EROS-1 variable stars in the LMC (RAMP ``variable_stars`` kit): 4 classes, B and R bands.

Files (``<data home>/eros1_ramp/data/``; public download: :mod:`astrokeras.datasets.fetch`):

* ``train.csv`` (2,912 stars) and ``test.csv`` (729): one row per star, index like
  ``"135_9613"`` (patch_star), ``type`` 1 binary, 2 cepheid, 3 RR Lyrae, 4 Mira, plus the
  kit's features (``period``, ``quality``, mean magnitudes, ...);
* ``train_varlength_features.csv.gz`` / ``test_...``: the light curves, one row per star,
  ``time_points_b/r``, ``light_points_b/r`` (magnitudes) and ``error_points_b/r`` stored as
  ``"[v1, v2, ...]"`` strings.

Bands are ``eros::B`` (B_E, 420-720 nm) and ``eros::R`` (R_E, 620-920 nm). EROS magnitudes are
close to, but not exactly on, the AB system (they are calibrated to Johnson-Cousins V and I
scales with colour terms; Tisserand et al. 2007, A&A 469, 387); astrokeras converts them with
:func:`~astrokeras.photometry.mag_to_flux` as if AB, so absolute fluxes may be off by a few
tenths of a magnitude, which matters for cross-survey brightness comparisons but not for the
shape of a light curve.

Times: the files give days on the EROS clock. ``time_mjd = time + time_offset_mjd`` with
``time_offset_mjd = 47892.0`` (EROS's reference JD 2447892.5, as used for EROS-2 light curves;
that EROS-1 uses the same origin is an assumption). Tokens only use time differences, so the
offset never changes a result.

Documented repairs (counted in the :class:`~astrokeras.datasets.LoadReport`):

* magnitude exactly at the file's ceiling of 25.0 (the kit clips faint outliers there; 51 points
  in the release, with errors near 1 mag): dropped;
* non-finite time, magnitude or error, error <= 0, or a magnitude outside the physical range
  (for example 99 sentinels): dropped (none in the release);
* then :meth:`LightCurves.validate` (duplicates, sorting).

Example:
    >>> from astrokeras.datasets import load_eros
    >>> lcs = load_eros("test")  # doctest: +SKIP
    >>> len(lcs), sorted(lcs.metadata["label"].unique())  # doctest: +SKIP
    (729, ['Mira', 'RR Lyrae', 'binary', 'cepheid'])
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from astrokeras.datasets._report import LoadReport
from astrokeras.datasets.fetch import find_or_fetch
from astrokeras.photometry import MAG_RANGE_AB, LightCurves

__all__ = ["load_eros", "EROS_CLASSES"]

DATASET = "eros1_ramp"
#: ``type`` code in the RAMP files -> class name.
EROS_CLASSES = {1: "binary", 2: "cepheid", 3: "RR Lyrae", 4: "Mira"}
EROS_TIME_OFFSET_MJD = 47892.0
MAG_CEILING = 25.0
_KEEP = {"period": "period_days", "quality": "quality", "magnitude_b": "mean_mag_b",
         "magnitude_r": "mean_mag_r", "patch_id": "patch_id", "div_period": "div_period"}


def load_eros(subset: str = "train", data_home: str | os.PathLike | None = None, *,
              return_report: bool = False, time_offset_mjd: float = EROS_TIME_OFFSET_MJD,
              download_if_missing: bool = False, base_url: str | None = None):
    """Load EROS-1 variable-star light curves with their class labels and the given split.

    Args:
        subset: ``"train"`` (2,912 stars), ``"test"`` (729) or ``"all"`` (both; metadata
            column ``split`` tells them apart).
        data_home: data home (default ``$ASTROKERAS_DATA``).
        return_report: also return the :class:`~astrokeras.datasets.LoadReport`.
        time_offset_mjd: added to the file times to give MJD (see the module docstring).
        download_if_missing: fetch the four public files into the data home when missing.
        base_url: mirror for the download (see :func:`astrokeras.datasets.fetch_dataset`).

    Returns:
        :class:`~astrokeras.photometry.LightCurves` with metadata ``survey`` ("eros"),
        ``label`` (class name), ``class_code`` (1-4), ``split``, ``period_days``, ``quality``,
        ``mean_mag_b``/``mean_mag_r``, ``patch_id``, ``div_period``; or
        ``(light_curves, report)`` with ``return_report=True``.

    Raises:
        ValueError: unknown subset, or files whose rows do not match.
        DatasetNotFoundError: the data are not in the data home (says where it looked and
            how to get them).

    Example:
        >>> lcs = load_eros("all")  # doctest: +SKIP
        >>> lcs.metadata["split"].value_counts().to_dict()  # doctest: +SKIP
        {'train': 2912, 'test': 729}
    """
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}")
    folder = find_or_fetch(DATASET, data_home, must_contain=os.path.join("data", "train.csv"),
                           download_if_missing=download_if_missing, base_url=base_url)
    data_dir = os.path.join(folder, "data")
    report = LoadReport(DATASET, data_dir)
    splits = ["train", "test"] if subset == "all" else [subset]
    parts = [_read_split(data_dir, split, time_offset_mjd, report) for split in splits]
    photometry = pd.concat([p[0] for p in parts], ignore_index=True)
    meta = pd.concat([p[1] for p in parts])
    if meta.index.duplicated().any():
        raise ValueError(f"star {meta.index[meta.index.duplicated()][0]!r} is in both train and test")
    lcs = LightCurves.from_table(photometry, metadata=meta.reset_index(), survey="eros")
    clean, report.validation = lcs.validate()
    return (clean, report) if return_report else clean


def _parse_lists(cells: pd.Series, path: str, column: str) -> list[np.ndarray]:
    out = []
    for oid, cell in cells.items():
        text = str(cell).strip()
        if not (text.startswith("[") and text.endswith("]")):
            raise ValueError(f"{path}: star {oid!r} column {column!r} is not a list: {text[:40]!r}")
        body = text[1:-1].strip()
        values = np.array(body.split(","), dtype=float) if body else np.zeros(0)
        out.append(values)
    return out


def _read_split(data_dir: str, split: str, time_offset_mjd: float, report: LoadReport):
    table_path = os.path.join(data_dir, f"{split}.csv")
    curves_path = os.path.join(data_dir, f"{split}_varlength_features.csv.gz")
    table = pd.read_csv(table_path, index_col=0)
    table.index = table.index.astype(str)
    curves = pd.read_csv(curves_path, index_col=0,
                         usecols=[0] + [1 + i for i in range(6)])  # time/light/error for b and r
    curves.index = curves.index.astype(str)
    if not table.index.equals(curves.index):
        missing = table.index.symmetric_difference(curves.index)
        raise ValueError(f"{table_path} and {curves_path} list different stars (e.g. {missing[0]!r})")
    codes = table["type"].to_numpy()
    unknown = ~np.isin(codes, list(EROS_CLASSES))
    if unknown.any():
        raise ValueError(f"{table_path}: star {table.index[unknown][0]!r} has unknown type {codes[unknown][0]!r}")

    frames = []
    for band in ("b", "r"):
        cols = {k: f"{k}_points_{band}" for k in ("time", "light", "error")}
        lists = {k: _parse_lists(curves[c], curves_path, c) for k, c in cols.items()}
        lengths = np.array([len(t) for t in lists["time"]])
        for k in ("light", "error"):
            bad = np.flatnonzero(np.array([len(v) for v in lists[k]]) != lengths)
            if bad.size:
                raise ValueError(f"{curves_path}: star {curves.index[bad[0]]!r} has {len(lists[k][bad[0]])} "
                                 f"{cols[k]} values but {lengths[bad[0]]} times")
        frames.append(pd.DataFrame({
            "object_id": np.repeat(curves.index.to_numpy(), lengths),
            "time_mjd": np.concatenate(lists["time"]) + time_offset_mjd,
            "band": f"eros::{band.upper()}",
            "mag": np.concatenate(lists["light"]),
            "mag_err": np.concatenate(lists["error"]),
        }))
    phot = pd.concat(frames, ignore_index=True)

    mag, err, t = phot["mag"].to_numpy(), phot["mag_err"].to_numpy(), phot["time_mjd"].to_numpy()
    nonfinite = ~(np.isfinite(mag) & np.isfinite(err) & np.isfinite(t))
    ceiling = ~nonfinite & (mag == MAG_CEILING)
    absurd = ~nonfinite & ~ceiling & ((mag < MAG_RANGE_AB[0]) | (mag > MAG_RANGE_AB[1]))
    bad_err = ~nonfinite & ~ceiling & ~absurd & ~(err > 0)
    for mask, what in ((ceiling, f"magnitude == {MAG_CEILING} (the files' clipping ceiling)"),
                       (nonfinite, "non-finite time, magnitude or error"),
                       (absurd, f"magnitude outside {MAG_RANGE_AB}"),
                       (bad_err, "magnitude error <= 0")):
        if mask.any():
            key = f"{split}: dropped {what}"
            report.repairs[key] = report.repairs.get(key, 0) + int(mask.sum())
    phot = phot[~(nonfinite | ceiling | absurd | bad_err)]

    meta = pd.DataFrame(index=pd.Index(table.index, name="object_id"))
    meta["survey"] = "eros"
    meta["label"] = [EROS_CLASSES[int(c)] for c in codes]
    meta["class_code"] = codes.astype(np.int16)
    meta["split"] = split
    for src, dst in _KEEP.items():
        if src in table.columns:
            meta[dst] = table[src].to_numpy(dtype=float)
    return phot, meta
