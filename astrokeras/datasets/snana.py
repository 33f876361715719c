"""SNANA light-curve formats: FITS HEAD/PHOT pairs and text files (PLAsTiCC, ELAsTiCC, DES, ...).

**FITS** (Kessler et al. 2009, PASP 121, 1028; the SNANA manual): a ``*_HEAD.FITS`` table with one
row per object (``SNID``, ``PTROBS_MIN``/``PTROBS_MAX``: 1-based, inclusive row pointers into
the PHOT table, redshift ``REDSHIFT_FINAL`` or for simulations ``SIM_REDSHIFT_CMB``, type
``SNTYPE`` or ``SIM_TYPE_INDEX``, ...) and a ``*_PHOT.FITS`` table with one row per observation
(``MJD``, ``BAND`` or ``FLT``, ``FLUXCAL``, ``FLUXCALERR``, ...) in which light curves are
separated by rows with ``MJD = -777`` (dropped here). Either file may be gzipped.

**Text**: ``KEY: value`` lines per object (``SNID:``, ``SURVEY:``, ``REDSHIFT_FINAL: z +- dz``,
``SNTYPE:``, ...), a ``VARLIST:`` line naming the observation columns, one ``OBS:`` line per
observation, and ``END:``. Several objects may follow each other in one file.

``FLUXCAL`` is already on the astrokeras flux scale (AB, zero point 27.5), so fluxes are taken
as they are. Band names are usually single letters (``u``, ``g``, ...); pass ``survey=`` (for
example ``"lsst"``) to resolve them, unless the names are already canonical or the text file's
``SURVEY:`` key names a known survey.

Example:
    >>> import os, tempfile
    >>> from astrokeras.datasets import read_snana_text
    >>> path = os.path.join(tempfile.mkdtemp(), "sn1.dat")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("SNID: sn1\\nREDSHIFT_FINAL: 0.1 +- 0.01\\nVARLIST: MJD BAND FLUXCAL FLUXCALERR\\n"
    ...                  "OBS: 60000.0 g 120.0 5.0\\nOBS: 60001.0 r 150.0 6.0\\nEND:\\n")
    >>> lcs = read_snana_text(path, survey="lsst")
    >>> lcs.band.tolist(), float(lcs.metadata.loc["sn1", "redshift"])
    (['lsst::g', 'lsst::r'], 0.1)
"""

from __future__ import annotations

import gzip
import os
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from astrokeras import bands as _bands
from astrokeras.photometry import LightCurveError, LightCurves

__all__ = ["read_snana_fits", "read_snana_text", "SNANA_SENTINEL_MJD"]

#: MJD value of the separator rows between light curves in a PHOT table.
SNANA_SENTINEL_MJD = -777.0
_REDSHIFT_KEYS = ("REDSHIFT_FINAL", "REDSHIFT_HELIO", "SIM_REDSHIFT_CMB", "SIM_REDSHIFT_HELIO", "REDSHIFT")
_TYPE_KEYS = ("SNTYPE", "SIM_TYPE_INDEX", "SIM_GENTYPE", "SIM_TYPE")
_BAND_KEYS = ("BAND", "FLT", "FILTER")


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip()


def _first(columns: Iterable[str], candidates: Iterable[str]) -> str | None:
    upper = {c.upper(): c for c in columns}
    for key in candidates:
        if key in upper:
            return upper[key]
    return None


def _label(code, type_names: Mapping | None):
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    if isinstance(code, (float, np.floating)) and float(code).is_integer():
        code = int(code)
    if isinstance(code, np.integer):
        code = int(code)
    if type_names:
        for key in (code, _text(code)):
            if key in type_names:
                return type_names[key]
        try:
            return type_names.get(int(float(code)), _text(code))
        except (TypeError, ValueError):
            return _text(code)
    return _text(code)


def read_snana_fits(head_path: str | os.PathLike, phot_path: str | os.PathLike, *, survey: str | None = None,
                    type_names: Mapping | None = None, keep_header_columns: bool = True) -> LightCurves:
    """Read a SNANA FITS HEAD/PHOT pair (plain or gzipped) into :class:`LightCurves`.

    Args:
        head_path: ``*_HEAD.FITS`` (or ``.FITS.gz``).
        phot_path: the matching ``*_PHOT.FITS``.
        survey: survey for resolving single-letter bands (for example ``"lsst"``).
        type_names: ``{type code: class name}`` for the ``label`` column (default: the code as
            a string).
        keep_header_columns: keep every scalar HEAD column in the metadata (as in the file).

    Returns:
        Light curves with metadata ``label`` (from ``SNTYPE``, else ``SIM_TYPE_INDEX``),
        ``redshift`` (``REDSHIFT_FINAL``, else ``SIM_REDSHIFT_CMB``, ...; negative values,
        SNANA's "unknown", become NaN), ``survey`` (when given) and the HEAD columns.

    Raises:
        LightCurveError: a pointer outside the PHOT table, missing columns, or repeated SNIDs,
            naming the object.

    Example:
        >>> lcs = read_snana_fits("PLASTICC_HEAD.FITS.gz", "PLASTICC_PHOT.FITS.gz",
        ...                       survey="lsst")  # doctest: +SKIP
    """
    from astropy.io import fits  # heavy import, only when needed

    with fits.open(os.fspath(head_path), memmap=False) as hdul:
        head = _table_frame(hdul[1].data, head_path)
    with fits.open(os.fspath(phot_path), memmap=False) as hdul:
        phot = _table_frame(hdul[1].data, phot_path)

    for col in ("SNID", "PTROBS_MIN", "PTROBS_MAX"):
        if _first(head.columns, [col]) is None:
            raise LightCurveError(f"{head_path}: HEAD table has no {col} column; columns are {list(head.columns)}")
    band_col = _first(phot.columns, _BAND_KEYS)
    need = {"MJD": _first(phot.columns, ["MJD"]), "FLUXCAL": _first(phot.columns, ["FLUXCAL"]),
            "FLUXCALERR": _first(phot.columns, ["FLUXCALERR"])}
    if band_col is None or None in need.values():
        raise LightCurveError(f"{phot_path}: PHOT table needs MJD, BAND (or FLT), FLUXCAL, FLUXCALERR; "
                              f"columns are {list(phot.columns)}")
    snid = head[_first(head.columns, ["SNID"])].map(_text).to_numpy()
    if len(set(snid)) != len(snid):
        dup = pd.Series(snid)[pd.Series(snid).duplicated()].iloc[0]
        raise LightCurveError(f"{head_path}: SNID {dup!r} appears twice")
    start = head[_first(head.columns, ["PTROBS_MIN"])].to_numpy(dtype=np.int64) - 1
    stop = head[_first(head.columns, ["PTROBS_MAX"])].to_numpy(dtype=np.int64)  # inclusive 1-based max
    n_phot = len(phot)
    for i in range(len(snid)):
        if not (0 <= start[i] <= stop[i] <= n_phot):
            raise LightCurveError(
                f"object {snid[i]!r}: PTROBS_MIN/MAX = {start[i] + 1}/{stop[i]} outside the {n_phot} rows of "
                f"{phot_path}")
    lengths = np.clip(stop - start, 0, None)
    rows = (np.repeat(start - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
            if len(lengths) else np.zeros(0, dtype=np.int64))
    obs = pd.DataFrame({
        "object_id": np.repeat(snid, lengths),
        "time_mjd": phot[need["MJD"]].to_numpy(dtype=float)[rows],
        "band": phot[band_col].map(_text).to_numpy()[rows],
        "flux": phot[need["FLUXCAL"]].to_numpy(dtype=float)[rows],
        "flux_err": phot[need["FLUXCALERR"]].to_numpy(dtype=float)[rows],
    })
    obs = obs[obs["time_mjd"] != SNANA_SENTINEL_MJD]

    meta = head.copy() if keep_header_columns else pd.DataFrame(index=head.index)
    meta = meta.drop(columns=[c for c in meta.columns if c.upper() in ("PTROBS_MIN", "PTROBS_MAX", "SNID")])
    meta.index = pd.Index(snid, name="object_id")
    meta = _canonical_meta(meta, head, survey, type_names)
    return _build(obs, meta, survey)


def _table_frame(data, path) -> pd.DataFrame:
    """A FITS binary table as a DataFrame of scalar columns (byte order and bytes fixed)."""
    if data is None:
        raise LightCurveError(f"{path}: no table in HDU 1")
    out = {}
    for name in data.columns.names:
        col = np.asarray(data[name])
        if col.ndim != 1:
            continue  # vector columns (rare in HEAD/PHOT) are not metadata
        if col.dtype.kind == "S":
            col = np.char.strip(np.char.decode(col, "ascii", "replace")).astype(object)
        elif col.dtype.kind == "U":
            col = np.char.strip(col).astype(object)
        elif col.dtype.byteorder not in ("=", "|"):
            col = col.astype(col.dtype.newbyteorder("="))
        out[name] = col
    return pd.DataFrame(out)


def _canonical_meta(meta: pd.DataFrame, head: pd.DataFrame, survey, type_names) -> pd.DataFrame:
    zcol = _first(head.columns, _REDSHIFT_KEYS)
    z = head[zcol].to_numpy(dtype=float) if zcol else np.full(len(head), np.nan)
    meta["redshift"] = np.where(z >= 0, z, np.nan)  # SNANA writes -9 for "unknown"
    tcol = _first(head.columns, _TYPE_KEYS)
    meta["label"] = [_label(v, type_names) for v in head[tcol]] if tcol else None
    if survey is not None:
        meta["survey"] = str(survey).lower()
    return meta


def _build(obs: pd.DataFrame, meta: pd.DataFrame, survey) -> LightCurves:
    # only objects with observations are light curves; HEAD rows without any are reported by name
    present = set(obs["object_id"])
    empty = [o for o in meta.index if o not in present]
    if empty:
        raise LightCurveError(f"object {empty[0]!r} has no observation in the PHOT table"
                              + (f" (and {len(empty) - 1} more)" if len(empty) > 1 else ""))
    return LightCurves(obs["object_id"].to_numpy(), obs["time_mjd"].to_numpy(), obs["band"].to_numpy(),
                       obs["flux"].to_numpy(), obs["flux_err"].to_numpy(), metadata=meta, survey=survey)


def _open_text(path):
    path = os.fspath(path)
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def read_snana_text(paths, *, survey: str | None = None, type_names: Mapping | None = None) -> LightCurves:
    """Read SNANA text light-curve files (one or several objects per file; ``.gz`` accepted).

    Args:
        paths: a path or a list of paths.
        survey: survey for resolving single-letter bands; default: the file's ``SURVEY:`` key
            (lower-cased, first word) when it names a known survey.
        type_names: ``{type code: class name}`` for ``label`` (default: the code as a string).

    Returns:
        Light curves; metadata has ``redshift`` (``REDSHIFT_FINAL`` value before ``+-``, else
        ``SIM_REDSHIFT_CMB``, ...), ``label`` (``SNTYPE`` or ``SIM_TYPE_INDEX``), ``survey`` and
        every other ``KEY: value`` of the header as text.

    Raises:
        LightCurveError: ``OBS:`` before ``VARLIST:``, a row with the wrong number of values,
            or missing columns, naming the file, line and object.

    Example:
        >>> lcs = read_snana_text(["DES_SN000001.DAT", "DES_SN000002.DAT"], survey="des")  # doctest: +SKIP
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rows, metas = [], []
    for path in paths:
        with _open_text(path) as fh:
            _parse_text(fh, os.fspath(path), rows, metas)
    if not metas:
        raise LightCurveError(f"no SNID found in {[os.fspath(p) for p in paths]}")
    meta = pd.DataFrame(metas).set_index("object_id")
    if meta.index.duplicated().any():
        raise LightCurveError(f"SNID {meta.index[meta.index.duplicated()][0]!r} appears twice")
    head = meta.copy()
    if survey is None and "SURVEY" in meta.columns:
        named = {str(s).split()[0].split("(")[0].lower() for s in meta["SURVEY"].dropna()}
        known = {b.split("::")[0] for b in _bands.known_bands()}
        survey = named.pop() if len(named) == 1 and named <= known else None
    meta = _canonical_meta(meta, _numeric_head(head), survey, type_names)
    obs = pd.DataFrame(rows, columns=["object_id", "time_mjd", "band", "flux", "flux_err"])
    return _build(obs, meta, survey)


def _numeric_head(head: pd.DataFrame) -> pd.DataFrame:
    """Header values as numbers where a number leads the value ('0.1 +- 0.01' -> 0.1)."""
    out = pd.DataFrame(index=head.index)
    for col in head.columns:
        out[col] = pd.to_numeric(head[col].astype(str).str.split().str[0], errors="coerce")
    return out


def _parse_text(fh, path: str, rows: list, metas: list) -> None:
    current = None
    pending: dict = {}  # header keys before the first SNID (SURVEY:, FILTERS:, ...)
    varlist = None
    in_doc = False
    for lineno, raw in enumerate(fh, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().upper()
        value = value.strip()
        if key == "DOCUMENTATION":
            in_doc = True
            continue
        if key == "DOCUMENTATION_END":
            in_doc = False
            continue
        if in_doc:
            continue
        if key == "SNID":
            if current is not None and current.get("_open"):
                _close(current, metas)
            current = {**pending, "object_id": value.split()[0], "_open": True}
            continue
        if key == "VARLIST":
            varlist = [v.upper() for v in value.split()]
            missing = [c for c in ("MJD", "FLUXCAL", "FLUXCALERR") if c not in varlist]
            band_col = _first(varlist, _BAND_KEYS)
            if missing or band_col is None:
                raise LightCurveError(f"{path}:{lineno}: VARLIST needs MJD, BAND (or FLT), FLUXCAL, "
                                      f"FLUXCALERR; it has {varlist}")
            idx = (varlist.index("MJD"), varlist.index(band_col), varlist.index("FLUXCAL"),
                   varlist.index("FLUXCALERR"))
            continue
        if key == "OBS":
            if current is None:
                raise LightCurveError(f"{path}:{lineno}: OBS line before any SNID")
            if varlist is None:
                raise LightCurveError(f"{path}:{lineno}: object {current['object_id']!r}: OBS line before VARLIST")
            values = value.split()
            if len(values) != len(varlist):
                raise LightCurveError(f"{path}:{lineno}: object {current['object_id']!r}: OBS row has "
                                      f"{len(values)} values, VARLIST has {len(varlist)}")
            try:
                rows.append((current["object_id"], float(values[idx[0]]), values[idx[1]],
                             float(values[idx[2]]), float(values[idx[3]])))
            except ValueError:
                raise LightCurveError(f"{path}:{lineno}: object {current['object_id']!r}: "
                                      f"non-numeric value in {values}") from None
            continue
        if key == "END":
            if current is not None and current.get("_open"):
                _close(current, metas)
                current["_open"] = False
            continue
        if key in ("NOBS", "NVAR"):
            continue
        if current is not None and current.get("_open"):
            current[key] = value
        else:
            pending[key] = value
    if current is not None and current.get("_open"):
        _close(current, metas)


def _close(current: dict, metas: list) -> None:
    meta = {k: v for k, v in current.items() if not k.startswith("_")}
    metas.append(meta)
