"""User tables -> the canonical columns of :mod:`astrokeras.photometry`: the column alias map, and
readers for ids, numbers, bands and metadata whose errors name the column, the row and the object.

:meth:`LightCurves.from_table <astrokeras.photometry.LightCurves.from_table>` is built on these.

Example:
    >>> canonical_columns(["SNID", "MJD", "FLT", "FLUXCAL", "FLUXCALERR"])
    {'SNID': 'object_id', 'MJD': 'time_mjd', 'FLT': 'band', 'FLUXCAL': 'flux', 'FLUXCALERR': 'flux_err'}
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["COLUMN_ALIASES", "OBSERVATION_COLUMNS", "MISSING_MARKERS", "ZTF_FID", "MJD_EPOCH", "LightCurveError",
           "canonical_columns"]

OBSERVATION_COLUMNS = ("object_id", "time_mjd", "band", "flux", "flux_err")


#: Column names users bring -> canonical name. Lower-cased keys; matching is case-insensitive.
COLUMN_ALIASES: dict[str, str] = {
    **dict.fromkeys(["object_id", "objectid", "object", "snid", "id", "obj_id", "ztfid",
                     "diaobjectid", "source_id", "name", "oid"], "object_id"),
    **dict.fromkeys(["time_mjd", "mjd", "time", "ant_mjd", "jd_mjd", "expmjd", "t", "obsmjd",
                     "midpointtai"], "time_mjd"),
    **dict.fromkeys(["band", "filter", "passband", "flt", "fid", "ant_passband", "bandpass",
                     "filtername"], "band"),
    **dict.fromkeys(["flux", "fluxcal", "psflux", "flux_cal"], "flux"),
    **dict.fromkeys(["flux_err", "fluxerr", "fluxcalerr", "flux_error", "fluxcal_err", "psfluxerr",
                     "dflux", "flux_cal_err"], "flux_err"),
    **dict.fromkeys(["mag", "magnitude", "ant_mag", "magpsf", "m"], "mag"),
    **dict.fromkeys(["mag_err", "magerr", "ant_magerr", "sigmapsf", "magnitude_err", "dmag",
                     "e_mag"], "mag_err"),
    **dict.fromkeys(["survey", "telescope", "instrument"], "survey"),
    **dict.fromkeys(["label", "class", "type", "target", "true_target", "sntype"], "label"),
    **dict.fromkeys(["redshift", "z", "hostgal_specz", "true_z", "redshift_helio", "zhel"],
                    "redshift"),
}

#: Cell texts read as a missing value in numeric columns (case-insensitive, stripped); the
#: observation then has a NaN value and :meth:`LightCurves.validate` drops it (``n_nonfinite``).
#: Any other text in a numeric column is an error naming the column, row and object.
MISSING_MARKERS = frozenset({"", "-", "--", "---", "na", "n/a", "nan", "null", "none", "<na>", "masked"})
#: ZTF ``fid`` filter codes (alert packets, IRSA light curves) -> canonical band.
ZTF_FID = {1: "ztf::g", 2: "ztf::r", 3: "ztf::i"}
#: MJD 0 = 1858-11-17T00:00 (datetime time columns are converted with it; UTC, no scale change).
MJD_EPOCH = pd.Timestamp("1858-11-17")


class LightCurveError(ValueError):
    """Bad light-curve input; the message names the object(s) and the problem."""



def canonical_columns(columns: Iterable[str], aliases: Mapping[str, str] | None = None) -> dict:
    """Map user column names to canonical ones (only those that have a canonical meaning).

    Raises:
        LightCurveError: when two user columns map to the same canonical name.
    """
    table = dict(COLUMN_ALIASES)
    if aliases:
        table.update({k.lower(): v for k, v in aliases.items()})
    mapping: dict[str, str] = {}
    for col in columns:
        canon = table.get(str(col).lower())
        if canon is None:
            continue
        if canon in mapping.values():
            first = next(k for k, v in mapping.items() if v == canon)
            if str(first).lower() == canon:  # an exact canonical name wins over an alias
                continue
            if str(col).lower() != canon:
                raise LightCurveError(
                    f"columns {first!r} and {col!r} both mean {canon!r}; pass aliases= to say which"
                )
            del mapping[first]
        mapping[col] = canon
    return mapping


def _alias_list(canonical: str) -> str:
    return ", ".join(sorted(k for k, v in COLUMN_ALIASES.items() if v == canonical))


def _rows_text(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f", ... ({len(rows)} rows)" if len(rows) > limit else "")


def _id_strings(values: Any, column: str = "object_id") -> np.ndarray:
    """Object ids as an object array of ``str``, as written; an empty id is an error naming the rows.

    Whole-number floats print as integers (``101.0`` -> ``"101"``: pandas turns an integer column
    with a missing value into floats); a float beyond 2**53 cannot be an exact id and is an error.
    Each distinct id is converted once (``pandas.factorize``), and equal ids share one ``str``.

    Example:
        >>> _id_strings([101, "b", 102.0]).tolist()
        ['101', 'b', '102']
    """
    if isinstance(values, (pd.Series, pd.Index)):
        series = pd.Series(values, copy=False)
    else:
        arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
        if arr.ndim != 1:
            arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise LightCurveError(f"column {column!r} must be one-dimensional, got shape {arr.shape}")
        series = pd.Series(arr, copy=False)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if series.dtype.kind in "mM":
        raise LightCurveError(f"column {column!r} (object ids) holds dates/times ({series.dtype}); "
                              "ids must be names or integers")
    if series.dtype.kind == "f":
        vals = series.to_numpy(dtype=float)
        finite = np.isfinite(vals)
        if (finite & (np.abs(vals) > 2.0 ** 53)).any() and (vals[finite] == np.round(vals[finite])).all():
            i = int(np.flatnonzero(finite & (np.abs(vals) > 2.0 ** 53))[0])
            raise LightCurveError(
                f"column {column!r} (object ids) is floating point and holds {vals[i]:.17g} (row {i}), beyond "
                "2**53 where floats cannot store integer ids exactly; read the ids as strings "
                "(pandas.read_csv(..., dtype={'" + column + "': str}) or LightCurves.read_csv)")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes)
    if len(codes) == 0:
        return np.zeros(0, dtype=object)
    all_text = pd.api.types.infer_dtype(uniques, skipna=False) == "string"
    strings = (np.asarray(uniques, dtype=object) if all_text  # already str (e.g. Parquet text ids): no per-id loop
               else np.array([_one_id(u) for u in np.asarray(uniques, dtype=object)], dtype=object))
    empty_unique = np.r_[pd.Series(strings, dtype=object).str.strip().to_numpy(dtype=object) == "", True]  # -1
    if all_text and not empty_unique[codes].any():
        return strings[codes]  # distinct strings already: the second factorize below would change nothing
    bad_rows = np.flatnonzero(empty_unique[codes])
    if bad_rows.size:
        raise LightCurveError(
            f"{bad_rows.size} row(s) have an empty object id (column {column!r}): rows {_rows_text(bad_rows)} "
            f"(0-based, header excluded); drop them (df.dropna(subset=[{column!r}])) or give them ids")
    codes2, uniq2 = pd.factorize(strings)  # 101 and "101" are one object
    return np.asarray(uniq2, dtype=object)[np.asarray(codes2)][codes]


def _one_id(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if np.isfinite(f) and f == round(f) and abs(f) <= 2.0 ** 53:
            return str(int(f))
        return repr(f) if np.isfinite(f) else ""
    return str(value)


def _datetime_to_mjd(series: pd.Series) -> np.ndarray:
    """Datetime values (naive = UTC, or time-zone aware) -> MJD days; NaT -> NaN."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    delta = series - MJD_EPOCH
    return (delta / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)


def _float_column(df: pd.DataFrame, canon: str, user_name: Mapping[str, str], ids: np.ndarray) -> np.ndarray:
    """A numeric column as float64 with clear errors (column, row, object) for cells that are not numbers."""
    col = user_name.get(canon, canon)
    series = df[canon]
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    kind = series.dtype.kind
    if kind == "M" or isinstance(series.dtype, pd.DatetimeTZDtype):
        if canon == "time_mjd":
            return _datetime_to_mjd(series)
        raise LightCurveError(f"column {col!r} holds dates ({series.dtype}); expected numbers")
    if kind == "m":
        raise LightCurveError(
            f"column {col!r} holds time differences ({series.dtype}), not numbers"
            + ("; convert to MJD days (e.g. (t - t0) / pd.Timedelta(days=1) + mjd0)" if canon == "time_mjd" else ""))
    if kind in "iufb" and not isinstance(series.dtype, pd.StringDtype):
        try:
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass
    if kind == "c":
        raise LightCurveError(f"column {col!r} holds complex numbers; expected real numbers")
    obj = series.astype(object)
    text = obj.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    missing = obj.isna().to_numpy() | text.isin(MISSING_MARKERS).to_numpy()
    numbers = pd.to_numeric(text.where(~missing, np.nan), errors="coerce")
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~missing & ~text.isin(["nan", "+nan", "-nan"]).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        i = int(rows[0])
        hint = ""
        if canon == "time_mjd":
            hint = ("; if these are dates, convert them with pandas.to_datetime (datetime columns are converted "
                    "to MJD)")
        raise LightCurveError(
            f"column {col!r}: {rows.size} cell(s) are not numbers, e.g. row {i} (object {ids[i]!r}) holds "
            f"{obj.iloc[i]!r}; rows {_rows_text(rows)} (0-based){hint}. Empty cells and "
            f"{sorted(m for m in MISSING_MARKERS if m)} are read as missing")
    return values


def _band_column(df: pd.DataFrame, user_name: Mapping[str, str], ids: np.ndarray) -> np.ndarray:
    """Band names as an object array; ZTF ``fid`` codes mapped; empty bands are an error naming rows."""
    col = user_name.get("band", "band")
    series = df["band"]
    if str(col).lower() == "fid":
        codes = pd.to_numeric(series.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isin(codes, list(ZTF_FID))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise LightCurveError(
                f"object {ids[i]!r}: column {col!r} holds {str(series.iloc[i])!r} (row {i}); ZTF fid codes are "
                f"1 = g, 2 = r, 3 = i")
        return np.array([ZTF_FID[int(c)] for c in codes], dtype=object)
    obj = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(obj)  # blank names checked once per distinct band (-1: missing)
    blank = np.array([isinstance(v, str) and v.strip() == "" for v in uniques] + [True], dtype=bool)
    missing = blank[codes]
    if missing.any():
        rows = np.flatnonzero(missing)
        raise LightCurveError(f"column {col!r}: {rows.size} row(s) have no band, e.g. row {int(rows[0])} "
                              f"(object {ids[rows[0]]!r}); rows {_rows_text(rows)} (0-based)")
    return obj


def _check_not_magnitudes(flux: np.ndarray, flux_err: np.ndarray, user_name: Mapping[str, str],
                          ids: np.ndarray) -> None:
    """Raise when a flux column looks like AB magnitudes (heuristic documented in from_table)."""
    f = flux[np.isfinite(flux)]
    e = flux_err[np.isfinite(flux_err)]
    if f.size >= 3 and e.size and f.min() >= 5.0 and f.max() <= 35.0 and e.min() > 0 and e.max() < 1.0:
        col, ecol = user_name.get("flux", "flux"), user_name.get("flux_err", "flux_err")
        raise LightCurveError(
            f"column {col!r} looks like AB magnitudes, not FLUXCAL flux (e.g. object {ids[0]!r}): all values lie "
            f"in {f.min():.3g}-{f.max():.3g} with errors below 1, i.e. every point near m = 24-26 measured deeper "
            f"than any survey's single visit. If these are magnitudes, pass aliases={{{col!r}: 'mag', {ecol!r}: "
            "'mag_err'}; if they really are fluxes (zero point 27.5), pass check_flux_units=False")


def _to_dataframe(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        # a named index (e.g. ``object_id``) becomes a column; an unnamed one is dropped
        return table.reset_index(drop=table.index.name is None and not isinstance(table.index, pd.MultiIndex))
    if hasattr(table, "to_pandas"):  # astropy Table
        return table.to_pandas()
    if isinstance(table, np.ndarray) and table.dtype.names:
        return pd.DataFrame({n: table[n] for n in table.dtype.names})
    if isinstance(table, Mapping):
        return pd.DataFrame(dict(table))
    raise LightCurveError(
        f"cannot read light curves from a {type(table).__name__}; pass a pandas DataFrame, an astropy "
        "Table, a dict of arrays or a numpy structured array"
    )


def _metadata_frame(metadata: Any, aliases: Mapping[str, str] | None) -> pd.DataFrame:
    meta = _to_dataframe(metadata) if not isinstance(metadata, pd.DataFrame) else metadata.copy()
    if meta.index.name is not None and str(meta.index.name).lower() in COLUMN_ALIASES:
        meta = meta.reset_index()
    mapping = canonical_columns(meta.columns, aliases)
    mapping = {k: v for k, v in mapping.items() if v in ("object_id", "survey", "label", "redshift")}
    meta = meta.rename(columns=mapping)
    if "object_id" not in meta.columns:
        raise LightCurveError(f"metadata has no object id column; columns are {list(meta.columns)}")
    meta["object_id"] = _id_strings(meta["object_id"], "metadata object id")
    if meta["object_id"].duplicated().any():
        raise LightCurveError(
            f"metadata lists object {meta.loc[meta['object_id'].duplicated(), 'object_id'].iloc[0]!r} twice")
    return meta.set_index("object_id")

def _align_metadata(metadata: pd.DataFrame | None, ids: np.ndarray) -> pd.DataFrame:
    index = pd.Index(ids, name="object_id", dtype=object)
    if metadata is None:
        return pd.DataFrame(index=index)
    meta = metadata if isinstance(metadata, pd.DataFrame) else _metadata_frame(metadata, None)
    meta = meta.copy()
    meta.index = pd.Index(_id_strings(meta.index, "metadata index"), dtype=object)
    meta.index.name = "object_id"
    if meta.index.duplicated().any():
        raise LightCurveError(f"metadata lists object {meta.index[meta.index.duplicated()][0]!r} twice")
    return meta.reindex(index)
