"""The canonical photometry schema: a set of light curves stored flat, one row per observation.

Canonical observation columns (units in the names):

==============  =======================================================================
``object_id``   object identifier (str)
``time_mjd``    time of observation, Modified Julian Date (days)
``band``        canonical band name, ``"<survey>::<band>"`` (see :mod:`astrokeras.bands`)
``flux``        flux on the SNANA FLUXCAL scale: AB magnitude m <-> flux 10**(-0.4 (m - 27.5))
``flux_err``    one-sigma flux uncertainty, same scale
==============  =======================================================================

Per-object metadata is a :class:`pandas.DataFrame` indexed by ``object_id``; the columns
astrokeras knows are ``survey``, ``label`` (class name), ``redshift``, and anything else the
user brings is kept as is.

One flux scale for every survey (AB, zero point 27.5) means the same object seen by ZTF and LSST
has the same flux. Magnitudes are converted at the door by :func:`mag_to_flux`.

Users hand in tables with the column names they already use; :data:`COLUMN_ALIASES` maps them
onto the canonical names (``mjd``, ``filter``, ``passband``, ``fluxcal``, ``mag``/``magerr``, ...).

Example:
    >>> import pandas as pd
    >>> from astrokeras.photometry import LightCurves
    >>> table = pd.DataFrame({"snid": ["a", "a", "b"], "mjd": [1.0, 2.0, 1.5],
    ...                       "filter": ["ztfg", "ztfr", "ztfg"], "mag": [18.0, 18.2, 19.0],
    ...                       "magerr": [0.05, 0.05, 0.1]})
    >>> lcs = LightCurves.from_table(table)
    >>> len(lcs), lcs.lengths.tolist()
    (2, [2, 1])
    >>> round(float(lcs.flux[0]), 1)  # 10**(-0.4 * (18 - 27.5))
    6309.6
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from astrokeras import bands as _bands
# the schema's columns and user-table readers live in astrokeras.columns (re-exported here)
from astrokeras.columns import (  # noqa: F401
    COLUMN_ALIASES, MISSING_MARKERS, MJD_EPOCH, OBSERVATION_COLUMNS, ZTF_FID, LightCurveError, _align_metadata,
    _alias_list, _band_column, _check_not_magnitudes, _datetime_to_mjd, _float_column, _id_strings, _metadata_frame,
    _to_dataframe, canonical_columns)

__all__ = [
    "ZERO_POINT_AB",
    "COLUMN_ALIASES",
    "OBSERVATION_COLUMNS",
    "LightCurves",
    "LightCurveError",
    "ValidationReport",
    "mag_to_flux",
    "flux_to_mag",
    "canonical_columns",
]

ZERO_POINT_AB = 27.5
"""SNANA FLUXCAL zero point: flux = 10**(-0.4 (m_AB - 27.5))."""

#: Sanity range for AB magnitudes handed in (outside: an error naming the object).
MAG_RANGE_AB = (-2.0, 40.0)
#: A magnitude with ``|m| >= MAG_SENTINEL_ABS`` (99, 99.99, 999, -99, -999, ...) is a "no detection"
#: fill value, not a brightness: :meth:`LightCurves.from_table` keeps the row with a NaN flux and
#: :meth:`LightCurves.validate` drops it, counted in ``ValidationReport.n_mag_sentinel``.
MAG_SENTINEL_ABS = 90.0

_FLAG_MAG_SENTINEL = 1  # per-observation flag bit: the flux came from a magnitude sentinel
#: Largest |flux| accepted (FLUXCAL); 1e12 is m_AB = -2.5, brighter than any transient.
MAX_ABS_FLUX = 1e12


def mag_to_flux(mag, mag_err=None, zero_point: float = ZERO_POINT_AB):
    """AB magnitude (and error) to flux (and error) on the FLUXCAL scale.

    Args:
        mag: AB magnitudes.
        mag_err: one-sigma magnitude errors (optional).
        zero_point: the magnitude of unit flux (27.5 for SNANA FLUXCAL).

    Returns:
        ``flux`` or ``(flux, flux_err)`` with ``flux_err = flux * ln(10) / 2.5 * mag_err``.

    Example:
        >>> mag_to_flux(27.5)
        1.0
    """
    mag = np.asarray(mag, dtype=float)
    flux = 10.0 ** (-0.4 * (mag - zero_point))
    if mag_err is None:
        return flux if flux.ndim else float(flux)
    flux_err = flux * (np.log(10.0) / 2.5) * np.asarray(mag_err, dtype=float)
    return flux, flux_err


def flux_to_mag(flux, flux_err=None, zero_point: float = ZERO_POINT_AB):
    """Flux (FLUXCAL) to AB magnitude; non-positive flux gives NaN (no magnitude exists).

    Example:
        >>> round(float(flux_to_mag(1.0)), 6)
        27.5
    """
    flux = np.asarray(flux, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(flux > 0, zero_point - 2.5 * np.log10(np.where(flux > 0, flux, 1.0)), np.nan)
        if flux_err is None:
            return mag
        mag_err = np.where(flux > 0, 2.5 / np.log(10.0) * np.asarray(flux_err) / flux, np.nan)
    return mag, mag_err


@dataclasses.dataclass
class ValidationReport:
    """What :meth:`LightCurves.validate` repaired, with counts (documented repairs).

    Attributes:
        n_nonfinite: observations dropped for NaN/inf time, flux or flux_err (empty cells and
            :data:`MISSING_MARKERS` such as ``"--"`` in the input table end up here).
        n_mag_sentinel: observations dropped because their magnitude was a "no detection" fill
            value (``|m| >= MAG_SENTINEL_ABS``: 99, 99.99, -99, 999, ...).
        n_bad_error: observations dropped for flux_err <= 0.
        n_duplicates_merged: observations merged into another at the same (time, band)
            by inverse-variance weighting.
        n_unsorted_objects: objects whose observations were re-sorted by time.
        dropped_objects: objects left with no observation (removed).
        problems: per-object lines describing each repair.
    """

    n_nonfinite: int = 0
    n_mag_sentinel: int = 0
    n_bad_error: int = 0
    n_duplicates_merged: int = 0
    n_unsorted_objects: int = 0
    dropped_objects: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)

    @property
    def n_repaired(self) -> int:
        return (self.n_nonfinite + self.n_mag_sentinel + self.n_bad_error + self.n_duplicates_merged
                + self.n_unsorted_objects)

    def __str__(self) -> str:
        return (
            f"ValidationReport: {self.n_nonfinite} non-finite, {self.n_mag_sentinel} magnitude-sentinel and "
            f"{self.n_bad_error} non-positive-error observations dropped, {self.n_duplicates_merged} duplicates merged, "
            f"{self.n_unsorted_objects} objects re-sorted, {len(self.dropped_objects)} empty objects dropped"
        )


class LightCurves:
    """A set of light curves in the canonical schema, stored flat and sorted by (object, time).

    Observations of one object are contiguous; ``offsets[i]:offsets[i+1]`` slices object ``i``.
    Bands are stored as canonical names (object dtype array) and as stable integer codes.

    Args:
        object_id: per-observation object ids.
        time_mjd: per-observation times (MJD, days).
        band: per-observation band names (canonical names or aliases; ``survey`` in the metadata
            resolves bare names like ``"g"``).
        flux: per-observation flux (FLUXCAL).
        flux_err: per-observation flux error (FLUXCAL).
        metadata: per-object table indexed by object id (optional). Objects that appear only in
            the metadata are kept as objects without observations only if ``allow_empty``.
        survey: default survey to resolve bare band names with, when the metadata has none.

    Example:
        >>> lcs = LightCurves(["a", "a"], [0.0, 1.0], ["ztf::g", "ztf::r"], [10.0, 12.0], [1.0, 1.0])
        >>> lcs["a"].flux.tolist()
        [10.0, 12.0]
    """

    def __init__(self, object_id, time_mjd, band, flux, flux_err, metadata: pd.DataFrame | None = None,
                 survey: str | None = None, *, _trusted: bool = False, _flags: np.ndarray | None = None):
        # ids stay Python strings in an object array: a fixed-width unicode array would reserve the
        # longest id's width for every row (one 5,000-character id x 200k rows = 4 GB)
        object_id = (np.asarray(object_id, dtype=object) if _trusted
                     else _id_strings(object_id, "object_id"))
        n = object_id.shape[0]
        cols = {"time_mjd": time_mjd, "flux": flux, "flux_err": flux_err}
        arrays = {}
        for name, values in cols.items():
            arr = np.asarray(values)
            if arr.dtype.kind == "M" and name == "time_mjd":
                arr = _datetime_to_mjd(pd.Series(arr))
            elif arr.dtype.kind in "mM" or arr.dtype.kind == "c":
                raise LightCurveError(f"column {name!r} has dtype {arr.dtype}; expected real numbers")
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise LightCurveError(f"column {name!r} is not numeric ({err}); use LightCurves.from_table "
                                      "to get the column, row and object of each bad cell") from None
            if arr.shape != (n,):
                raise LightCurveError(f"column {name!r} has shape {arr.shape}, expected ({n},)")
            arrays[name] = arr
        band = np.asarray(band, dtype=object)
        if band.shape != (n,):
            raise LightCurveError(f"column 'band' has shape {band.shape}, expected ({n},)")
        flags = None if _flags is None else np.asarray(_flags, dtype=np.uint8)
        if flags is not None and flags.shape != (n,):
            raise LightCurveError(f"internal error: flags have shape {flags.shape}")  # pragma: no cover

        if _trusted:
            self._ids = pd.unique(object_id) if n else np.array([], dtype=object)
            order = None
        else:
            # group by object (first-appearance order), then by time; stable
            codes, uniques = pd.factorize(object_id, sort=False)
            self._ids = np.asarray(uniques, dtype=object)
            order = np.lexsort((arrays["time_mjd"], codes)) if n else np.arange(0)
        if order is not None:
            object_id = object_id[order]
            band = band[order]
            arrays = {k: v[order] for k, v in arrays.items()}
            flags = None if flags is None else flags[order]
        self._object_id = object_id
        self.time_mjd = arrays["time_mjd"]
        self.flux = arrays["flux"]
        self.flux_err = arrays["flux_err"]
        self._flags = flags if flags is not None and flags.any() else None

        self.metadata = _align_metadata(metadata, self._ids)
        if _trusted:
            self.band = band
        else:
            self.band = self._resolve_bands(band, survey)
        self.band_code = _bands.band_index(self.band) if n else np.zeros(0, dtype=np.int16)
        starts = np.flatnonzero(np.r_[True, object_id[1:] != object_id[:-1]]) if n else np.zeros(0, int)
        self.offsets = np.r_[starts, n].astype(np.int64)
        if len(self.offsets) - 1 != len(self._ids):
            raise LightCurveError("internal error: object grouping mismatch")  # pragma: no cover

    # ------------------------------------------------------------------ construction
    def _resolve_bands(self, band: np.ndarray, survey: str | None) -> np.ndarray:
        if band.size == 0:
            return band
        meta_survey = None
        if "survey" in self.metadata.columns and self.metadata["survey"].notna().any():
            lengths = np.diff(np.r_[np.flatnonzero(np.r_[True, self._object_id[1:] != self._object_id[:-1]]),
                                    band.size])
            meta_survey = np.repeat(self.metadata["survey"].astype(str).str.lower().to_numpy(), lengths)
        if meta_survey is None:
            try:
                return _bands.resolve_bands(band, survey)
            except _bands.UnknownBandError as err:
                band_str = band.astype(str)
                bad = _first_bad_band(band_str, None if survey is None else np.full(band.size, survey))
                raise _bands.UnknownBandError(
                    f"object {self._object_id[bad]!r}: {err}") from None
        band_str = band.astype(str)
        pairs = pd.DataFrame({"b": band_str, "s": meta_survey})
        uniq = pairs.drop_duplicates()
        table = {}
        for b, s in zip(uniq["b"], uniq["s"]):
            try:
                table[(b, s)] = _bands.resolve_band(b, None if s in ("nan", "none", "") else s)
            except _bands.UnknownBandError as err:
                idx = np.flatnonzero((band_str == b) & (meta_survey == s))[0]
                raise _bands.UnknownBandError(f"object {self._object_id[idx]!r}: {err}") from None
        return np.array([table[(b, s)] for b, s in zip(band_str, meta_survey)], dtype=object)

    @classmethod
    def from_table(cls, table: Any, metadata: Any = None, aliases: Mapping[str, str] | None = None,
                   survey: str | None = None, object_id: str | None = None, *,
                   check_flux_units: bool = True) -> "LightCurves":
        """Build from a pandas DataFrame, astropy Table, dict of arrays, numpy structured array or file.

        Column names are mapped through :data:`COLUMN_ALIASES` (plus ``aliases``). Either
        ``flux``/``flux_err`` or ``mag``/``mag_err`` must be present; magnitudes are converted
        with :func:`mag_to_flux`. Extra per-observation columns are ignored; per-object columns
        (``survey``, ``label``, ``redshift``) found in the table are moved into the metadata.

        What is read how (every other problem is a :class:`LightCurveError` naming the column and
        the row and/or object):

        * object ids are kept as strings as written: integer ids give ``"101"`` (also from a float
          column whose values are all whole numbers, as pandas makes when a value is missing), and
          a CSV read by :meth:`read_csv` keeps the text exactly (``"00101"``, ids beyond 2**53).
          An empty id is an error listing the rows; so is a float id column beyond 2**53 (floats
          cannot hold those ids exactly: read the ids as strings);
        * a time column of datetime type (pandas ``datetime64``, with or without a time zone) is
          converted to MJD (UTC; no time-scale conversion); text dates are an error;
        * numeric cells holding a :data:`MISSING_MARKERS` text (``"--"``, ``"NA"``, empty) become
          NaN and are dropped by :meth:`validate` (counted); any other text is an error;
        * magnitude fill values (``|m| >= MAG_SENTINEL_ABS``, e.g. 99) become NaN flux, dropped and
          counted by :meth:`validate` (``n_mag_sentinel``); other magnitudes outside
          ``MAG_RANGE_AB`` are an error;
        * a ``fid`` column holds ZTF filter codes 1/2/3 = ztf g/r/i (:data:`ZTF_FID`);
        * a "flux" column that looks like magnitudes (heuristic: at least 3 finite values, all in
          5-35, and all finite errors in (0, 1): on the FLUXCAL scale that would mean every point
          near m = 24-26 measured deeper than any survey's single visit) is an error; pass
          ``check_flux_units=False`` if these really are FLUXCAL fluxes;
        * a table with no rows gives an empty set (:meth:`empty`).

        Args:
            table: observations; a ``str``/path is read with :meth:`read_csv` (or
                ``pandas.read_parquet`` for ``.parquet``).
            metadata: per-object table (any of the same types), joined on ``object_id``.
            aliases: extra ``{user_name: canonical_name}`` mappings.
            survey: survey for resolving bare band names such as ``"g"``.
            object_id: give this id to every row when the table holds one light curve and has
                no id column.
            check_flux_units: run the magnitudes-in-a-flux-column check (see above).

        Raises:
            LightCurveError: missing columns, non-numeric cells, magnitudes outside a physical
                range, and the like, naming the column and the row/object.

        Example:
            >>> lcs = LightCurves.from_table({"id": [101, 101], "mjd": [1.0, 2.0], "fid": [1, 2],
            ...                               "mag": [18.0, 99.0], "magerr": [0.1, 0.1]})
            >>> lcs.object_ids.tolist(), lcs.band.tolist()
            (['101'], ['ztf::g', 'ztf::r'])
            >>> clean, report = lcs.validate()
            >>> report.n_mag_sentinel, clean.n_observations
            (1, 1)
        """
        if isinstance(table, (str, os.PathLike)):
            path = os.fspath(table)
            if path.endswith(".parquet"):
                try:
                    table = pd.read_parquet(path)
                except Exception as err:  # noqa: BLE001 - pyarrow raises many types
                    raise LightCurveError(f"cannot read {path!r} as Parquet: {err}") from None
            else:
                return cls.read_csv(path, metadata=metadata, aliases=aliases, survey=survey,
                                    object_id=object_id, check_flux_units=check_flux_units)
        df = _to_dataframe(table)
        if df.shape[1] == 0:
            raise LightCurveError("the table is empty (no columns); expected an object id, a time, a band "
                                  "and flux/flux_err or mag/mag_err columns")
        mapping = canonical_columns(df.columns, aliases)
        user_name = {v: str(k) for k, v in mapping.items()}  # canonical -> the user's column name
        original_columns = [str(c) for c in df.columns]
        df = df.rename(columns=mapping)
        df = df.loc[:, ~df.columns.duplicated()]
        if "object_id" not in df.columns:
            if object_id is None:
                raise LightCurveError(
                    f"the table has no object id column (looked for: {_alias_list('object_id')}); columns "
                    f"are {original_columns}; pass object_id='name' for a single light curve or "
                    "aliases={'col': 'object_id'}")
            df["object_id"] = str(object_id)
            user_name["object_id"] = "object_id"
        missing = [c for c in ("time_mjd", "band") if c not in df.columns]
        if missing:
            raise LightCurveError(
                "the table has no " + " and no ".join(
                    f"{'time' if c == 'time_mjd' else c} column (looked for: {_alias_list(c)})" for c in missing)
                + f"; columns are {original_columns}; pass aliases={{'your_column': '{missing[0]}'}}")
        ids = _id_strings(df["object_id"], user_name["object_id"])
        if "flux" in df.columns:
            if "flux_err" not in df.columns:
                raise LightCurveError(f"the table has a flux column {user_name['flux']!r} but no flux error "
                                      f"column (looked for: {_alias_list('flux_err')})")
            flux = _float_column(df, "flux", user_name, ids)
            flux_err = _float_column(df, "flux_err", user_name, ids)
            if check_flux_units:
                _check_not_magnitudes(flux, flux_err, user_name, ids)
            flags = None
        elif "mag" in df.columns:
            if "mag_err" not in df.columns:
                raise LightCurveError(f"the table has a magnitude column {user_name['mag']!r} but no magnitude "
                                      f"error column (looked for: {_alias_list('mag_err')})")
            mag = _float_column(df, "mag", user_name, ids)
            mag_err = _float_column(df, "mag_err", user_name, ids)
            sentinel = np.isfinite(mag) & (np.abs(mag) >= MAG_SENTINEL_ABS)
            finite = np.isfinite(mag) & ~sentinel
            bad = finite & ((mag < MAG_RANGE_AB[0]) | (mag > MAG_RANGE_AB[1]))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise LightCurveError(
                    f"object {ids[i]!r}: magnitude {mag[i]} (column {user_name['mag']!r}, row {i}) is outside "
                    f"the physical range {MAG_RANGE_AB} (AB); {int(bad.sum())} such values in the table "
                    f"(|m| >= {MAG_SENTINEL_ABS:g} would be read as a 'no detection' fill value)")
            with np.errstate(over="ignore", invalid="ignore"):
                flux, flux_err = mag_to_flux(np.where(sentinel, np.nan, mag), mag_err)
            flags = np.where(sentinel, _FLAG_MAG_SENTINEL, 0).astype(np.uint8) if sentinel.any() else None
        else:
            raise LightCurveError(
                f"the table needs flux/flux_err or mag/mag_err columns; it has {original_columns}")
        time_mjd = _float_column(df, "time_mjd", user_name, ids)
        band = _band_column(df, user_name, ids)
        meta = None
        per_object = [c for c in ("survey", "label", "redshift") if c in df.columns]
        if per_object:
            frame = pd.DataFrame({"object_id": ids}, index=df.index)
            for c in per_object:
                frame[c] = (_float_column(df, c, user_name, ids) if c == "redshift"
                            else df[c].to_numpy(dtype=object))
            meta = frame.drop_duplicates("object_id").set_index("object_id")
        if metadata is not None:
            user_meta = _metadata_frame(metadata, aliases)
            meta = user_meta if meta is None else user_meta.combine_first(meta)
        return cls(ids, time_mjd, band, flux, flux_err, metadata=meta, survey=survey, _flags=flags)

    @classmethod
    def read_csv(cls, path_or_buffer: Any, metadata: Any = None, aliases: Mapping[str, str] | None = None,
                 survey: str | None = None, object_id: str | None = None, *, check_flux_units: bool = True,
                 **read_csv_kwargs) -> "LightCurves":
        """Read a CSV file (or text buffer) of observations; every cell is read as text first.

        Reading text keeps object ids exactly as written (``"00101"``, ids beyond 2**53) and lets
        :meth:`from_table` name the column, row and object of any cell that is not a number.

        Args:
            path_or_buffer: file path or file-like object.
            metadata, aliases, survey, object_id, check_flux_units: as in :meth:`from_table`.
            read_csv_kwargs: passed to ``pandas.read_csv`` (e.g. ``sep=";"``).

        Raises:
            LightCurveError: an empty or unreadable file (naming it), or anything
                :meth:`from_table` raises.

        Example:
            >>> import io
            >>> text = "id,mjd,band,flux,flux_err\\n00101,1.0,ztfg,5.0,1.0\\n00101,2.0,ztfr,--,1.0\\n"
            >>> lcs = LightCurves.read_csv(io.StringIO(text))
            >>> lcs.object_ids.tolist(), lcs.validate()[1].n_nonfinite
            (['00101'], 1)
        """
        name = path_or_buffer if isinstance(path_or_buffer, (str, os.PathLike)) else "the CSV text"
        read_csv_kwargs.setdefault("dtype", str)
        try:
            df = pd.read_csv(path_or_buffer, **read_csv_kwargs)
        except pd.errors.EmptyDataError:
            raise LightCurveError(f"{name!s}: the file is empty (no header line); expected columns such as "
                                  "object_id, mjd, band, flux, flux_err") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            raise LightCurveError(f"{name!s}: not a readable CSV table ({err})") from None
        return cls.from_table(df, metadata=metadata, aliases=aliases, survey=survey, object_id=object_id,
                              check_flux_units=check_flux_units)

    @classmethod
    def concat(cls, parts: Iterable["LightCurves"]) -> "LightCurves":
        """Concatenate sets; object ids must be distinct across parts."""
        parts = list(parts)
        if not parts:
            return cls.empty()
        ids = np.concatenate([p._ids for p in parts])
        if len(pd.unique(ids)) != len(ids):
            dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
            raise LightCurveError(f"object {dup!r} appears in more than one part")
        meta = pd.concat([p.metadata for p in parts])
        flags = None
        if any(getattr(p, "_flags", None) is not None for p in parts):
            flags = np.concatenate([p._flags if getattr(p, "_flags", None) is not None
                                    else np.zeros(p.n_observations, np.uint8) for p in parts])
        return cls(np.concatenate([p._object_id for p in parts]),
                   np.concatenate([p.time_mjd for p in parts]),
                   np.concatenate([p.band for p in parts]),
                   np.concatenate([p.flux for p in parts]),
                   np.concatenate([p.flux_err for p in parts]), metadata=meta, _trusted=True, _flags=flags)

    @classmethod
    def empty(cls) -> "LightCurves":
        """A well-typed set with no objects."""
        return cls([], [], [], [], [], _trusted=True)

    # ------------------------------------------------------------------ access
    @property
    def object_ids(self) -> np.ndarray:
        """Object ids, in storage order."""
        return self._ids

    @property
    def object_id(self) -> np.ndarray:
        """Per-observation object id."""
        return self._object_id

    @property
    def lengths(self) -> np.ndarray:
        """Number of observations of each object."""
        return np.diff(self.offsets)

    @property
    def n_observations(self) -> int:
        return int(self.offsets[-1]) if len(self.offsets) else 0

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        surveys = ""
        if "survey" in self.metadata.columns:
            surveys = ", surveys=" + ",".join(sorted(map(str, self.metadata["survey"].dropna().unique())))
        return f"LightCurves({len(self)} objects, {self.n_observations} observations{surveys})"

    def index_of(self, object_id: str) -> int:
        pos = np.flatnonzero(self._ids == str(object_id))
        if pos.size == 0:
            raise KeyError(f"no object {object_id!r} in this set of {len(self)} light curves")
        return int(pos[0])

    def __getitem__(self, object_id: str) -> pd.DataFrame:
        """Observations of one object as a DataFrame with the canonical columns."""
        i = self.index_of(object_id)
        sl = slice(self.offsets[i], self.offsets[i + 1])
        return pd.DataFrame({"time_mjd": self.time_mjd[sl], "band": self.band[sl],
                             "flux": self.flux[sl], "flux_err": self.flux_err[sl]})

    @property
    def photometry(self) -> pd.DataFrame:
        """All observations as one DataFrame with the canonical columns."""
        return pd.DataFrame({"object_id": self._object_id, "time_mjd": self.time_mjd,
                             "band": self.band, "flux": self.flux, "flux_err": self.flux_err})

    def subset(self, selector) -> "LightCurves":
        """A new set with the objects picked by a boolean mask, integer positions or ids."""
        sel = np.asarray(selector)
        if sel.dtype == bool:
            if sel.shape != (len(self),):
                raise LightCurveError(f"boolean selector has shape {sel.shape}, expected ({len(self)},)")
            positions = np.flatnonzero(sel)
        elif sel.dtype.kind in "iu":
            positions = sel.astype(np.int64)
        else:
            lookup = pd.Index(self._ids)
            positions = lookup.get_indexer(sel.astype(str))
            if (positions < 0).any():
                raise KeyError(f"no object {sel[positions < 0][0]!r} in this set")
        lengths = self.lengths[positions]
        starts = self.offsets[positions]
        rows = (np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
                + np.arange(lengths.sum())) if len(positions) else np.zeros(0, dtype=np.int64)
        return self._take(positions, rows, lengths)

    def _take(self, positions: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> "LightCurves":
        """A new set of the objects at ``positions`` holding the observations ``rows`` (in order;
        ``lengths[i]`` of them belong to object ``positions[i]``)."""
        out = LightCurves.__new__(LightCurves)
        out._ids = self._ids[positions]
        out._object_id = self._object_id[rows]
        out.time_mjd = self.time_mjd[rows]
        out.flux = self.flux[rows]
        out.flux_err = self.flux_err[rows]
        out.band = self.band[rows]
        out.band_code = self.band_code[rows]
        flags = getattr(self, "_flags", None)
        out._flags = None if flags is None else flags[rows]
        out.offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        out.metadata = self.metadata.iloc[positions].copy()
        return out

    def detections(self, snr: float = 5.0, min_detections: int = 1) -> "LightCurves":
        """Alert-like view: keep only observations with ``flux / flux_err >= snr``.

        Forced photometry (every visit, as the simulator makes it) becomes what an alert stream
        delivers (the ZTF BTS light curves are 5-sigma detections only). Objects left with fewer
        than ``min_detections`` points are dropped; their count is available as
        ``len(before) - len(after)`` (nothing else is lost: metadata rows follow their objects).

        Example:
            >>> lcs = LightCurves(["a"] * 3, [0.0, 1.0, 2.0], ["ztf::g"] * 3, [1.0, 50.0, 60.0], [1.0] * 3)
            >>> lcs.detections(snr=5).lengths.tolist()
            [2]
        """
        snr = float(snr)
        if not np.isfinite(snr):
            raise ValueError(f"snr must be finite, got {snr!r}")
        keep = self.flux >= snr * self.flux_err
        owner = np.repeat(np.arange(len(self)), self.lengths)
        counts = np.bincount(owner[keep], minlength=len(self)).astype(np.int64)
        obj_keep = counts >= max(int(min_detections), 1)
        keep &= np.repeat(obj_keep, self.lengths)
        return self._take(np.flatnonzero(obj_keep), np.flatnonzero(keep), counts[obj_keep])

    def labels(self, column: str = "label") -> np.ndarray:
        """A metadata column as an array aligned with :attr:`object_ids` (NaN where missing)."""
        if column not in self.metadata.columns:
            raise KeyError(f"metadata has no column {column!r}; columns are {list(self.metadata.columns)}")
        return self.metadata[column].to_numpy()

    # ------------------------------------------------------------------ validation
    def validate(self, policy: str = "repair") -> tuple["LightCurves", ValidationReport]:
        """Check every observation; repair (documented) or raise.

        Repairs, each counted in the returned :class:`ValidationReport` (counter in brackets):

        * NaN/inf time, flux or flux_err, including empty cells and :data:`MISSING_MARKERS`
          (``"--"``, ``"NA"``, ...) read by :meth:`from_table`: the observation is dropped
          (``n_nonfinite``);
        * a magnitude "no detection" fill value (``|m| >= MAG_SENTINEL_ABS``: 99, 99.99, -99, 999)
          read by :meth:`from_table`: the observation is dropped (``n_mag_sentinel``);
        * flux_err <= 0 (no valid uncertainty): the observation is dropped (``n_bad_error``);
        * several observations at the same (time, band): merged into one by inverse-variance
          weighted mean, error 1/sqrt(sum 1/sigma^2) (``n_duplicates_merged``: observations
          merged away);
        * unsorted times: re-sorted (construction already sorts; ``n_unsorted_objects``);
        * an object left with no observation is removed and listed (``dropped_objects``).

        Every input observation is accounted for: ``n_observations`` after = before minus
        ``n_nonfinite + n_mag_sentinel + n_bad_error + n_duplicates_merged``.

        Never repaired (always an error naming the object): |flux| above ``MAX_ABS_FLUX``.

        Args:
            policy: ``"repair"`` (default) or ``"raise"`` (the first problem raises
                :class:`LightCurveError` naming the object).

        Returns:
            ``(clean_light_curves, report)``.

        Example:
            >>> lcs = LightCurves(["a", "a", "b"], [1.0, 2.0, 1.0], ["ztf::g"] * 3,
            ...                   [5.0, float("nan"), 3.0], [1.0, 1.0, 0.0])
            >>> clean, report = lcs.validate()
            >>> report.n_nonfinite, report.n_bad_error, report.dropped_objects, clean.n_observations
            (1, 1, ['b'], 1)
        """
        if policy not in ("repair", "raise"):
            raise ValueError(f"policy must be 'repair' or 'raise', got {policy!r}")
        report = ValidationReport()
        obj = self._object_id
        big = np.isfinite(self.flux) & (np.abs(self.flux) > MAX_ABS_FLUX)
        if big.any():
            i = int(np.flatnonzero(big)[0])
            raise LightCurveError(
                f"object {obj[i]!r}: |flux| = {abs(self.flux[i]):.3g} exceeds {MAX_ABS_FLUX:.0e} "
                "(FLUXCAL, zero point 27.5) - is it in another unit?"
            )
        flags = getattr(self, "_flags", None)
        sentinel = (np.zeros(len(obj), dtype=bool) if flags is None
                    else (flags & _FLAG_MAG_SENTINEL).astype(bool))
        nonfinite = ~sentinel & ~(np.isfinite(self.time_mjd) & np.isfinite(self.flux) & np.isfinite(self.flux_err))
        bad_err = ~sentinel & ~nonfinite & ~(self.flux_err > 0)
        for mask, what, attr in ((sentinel, f"a magnitude fill value (|m| >= {MAG_SENTINEL_ABS:g})", "n_mag_sentinel"),
                                 (nonfinite, "non-finite time/flux/flux_err", "n_nonfinite"),
                                 (bad_err, "flux_err <= 0", "n_bad_error")):
            if mask.any():
                setattr(report, attr, int(mask.sum()))
                per_obj = pd.Series(obj[mask]).value_counts(sort=False)
                if policy == "raise":
                    raise LightCurveError(
                        f"object {per_obj.index[0]!r}: {per_obj.iloc[0]} observation(s) with {what}"
                        + (f" (and {len(per_obj) - 1} more objects)" if len(per_obj) > 1 else ""))
                report.problems += [f"{o}: dropped {c} observation(s) with {what}" for o, c in per_obj.items()]
        keep = ~(nonfinite | bad_err | sentinel)
        if keep.all():  # fast path: times are sorted within objects, so a duplicate has a same-time neighbour
            within = np.ones(max(len(obj) - 1, 0), dtype=bool)
            within[self.offsets[1:-1] - 1] = False  # row pairs that straddle two objects
            if not (within & (self.time_mjd[1:] == self.time_mjd[:-1])).any():
                return self, report
        df = self.photometry[keep]
        # duplicates at the same (object, time, band)
        dup = df.duplicated(["object_id", "time_mjd", "band"], keep=False)
        if dup.any():
            n_extra = int(dup.sum() - df[dup].groupby(["object_id", "time_mjd", "band"]).ngroups)
            if policy == "raise":
                raise LightCurveError(
                    f"object {df.loc[dup, 'object_id'].iloc[0]!r}: several observations at the same "
                    "time and band")
            report.n_duplicates_merged = n_extra
            for o in pd.unique(df.loc[dup, "object_id"]):
                report.problems.append(f"{o}: merged observations at duplicate (time, band)")
            df = _merge_duplicates(df)
        present = set(pd.unique(df["object_id"])) if len(df) < len(self._object_id) else None
        dropped = [o for o in self._ids if o not in present] if present is not None else []
        if dropped:
            if policy == "raise":
                raise LightCurveError(f"object {dropped[0]!r} has no valid observation")
            report.dropped_objects = dropped
            report.problems += [f"{o}: no valid observation left; object removed" for o in dropped]
        dropped_set = set(dropped)
        kept_ids = [o for o in self._ids if o not in dropped_set]
        meta = self.metadata.loc[kept_ids] if dropped else self.metadata
        if not report.n_repaired and not dropped:
            return self, report
        clean = LightCurves(df["object_id"].to_numpy(), df["time_mjd"].to_numpy(), df["band"].to_numpy(),
                            df["flux"].to_numpy(), df["flux_err"].to_numpy(), metadata=meta, _trusted=False)
        return clean, report

    # ------------------------------------------------------------------ I/O
    def to_parquet(self, path: str) -> None:
        """Write observations to ``path`` and metadata to ``path`` with suffix ``.meta.parquet``.

        Each file is written to a temporary name in the same folder and renamed into place, so
        an interrupted write never leaves a truncated file under the final name.
        """
        photometry = self.photometry
        photometry["band"] = photometry["band"].astype("category")
        flags = getattr(self, "_flags", None)
        if flags is not None:  # magnitude sentinels stay countable by validate() after a round trip
            photometry["mag_sentinel"] = (flags & _FLAG_MAG_SENTINEL).astype(bool)
        _atomic_write(str(path), lambda tmp: photometry.to_parquet(tmp, index=False))
        _atomic_write(_meta_path(path), lambda tmp: self.metadata.to_parquet(tmp))

    @classmethod
    def read_parquet(cls, path: str) -> "LightCurves":
        """Read a set written by :meth:`to_parquet`.

        Raises:
            LightCurveError: a missing, truncated or foreign file, naming it.
        """
        frames = []
        for p in (str(path), _meta_path(path)):
            if not os.path.exists(p):
                raise LightCurveError(f"{p}: no such file (a set written by to_parquet has {os.path.basename(path)} "
                                      f"and {os.path.basename(_meta_path(path))})")
            try:
                frames.append(pd.read_parquet(p))
            except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a bad file
                raise LightCurveError(
                    f"{p} ({os.path.getsize(p)} bytes) is not a readable Parquet file - truncated by an interrupted "
                    f"write or not written by LightCurves.to_parquet ({type(err).__name__}: {err})") from None
        df, meta = frames
        missing = [c for c in OBSERVATION_COLUMNS if c not in df.columns]
        if missing:
            raise LightCurveError(f"{path}: no {missing} column(s); not written by LightCurves.to_parquet")
        flags = (df["mag_sentinel"].to_numpy(dtype=bool).astype(np.uint8) * _FLAG_MAG_SENTINEL
                 if "mag_sentinel" in df.columns else None)
        return cls(df["object_id"].to_numpy(), df["time_mjd"].to_numpy(), df["band"].astype(str).to_numpy(),
                   df["flux"].to_numpy(), df["flux_err"].to_numpy(), metadata=meta, _flags=flags)


# ---------------------------------------------------------------------- helpers
def _atomic_write(path: str, write) -> None:
    """Call ``write(tmp_path)`` for a temporary file next to ``path``, then rename it to ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _meta_path(path: str) -> str:
    path = str(path)
    return (path[: -len(".parquet")] if path.endswith(".parquet") else path) + ".meta.parquet"


def _first_bad_band(band_str: np.ndarray, surveys) -> int:
    for i, b in enumerate(band_str):
        try:
            _bands.resolve_band(b, None if surveys is None else surveys[i])
        except _bands.UnknownBandError:
            return i
    return 0  # pragma: no cover


def _merge_duplicates(df: pd.DataFrame) -> pd.DataFrame:
    """Inverse-variance mean of observations at the same (object, time, band).

    Weights are scaled by the group's smallest error, w_i = (sigma_min / sigma_i)**2 in (0, 1],
    so neither tiny nor huge errors overflow; the merged error is sigma_min / sqrt(sum w_i).
    """
    keys = ["object_id", "time_mjd", "band"]
    err = df["flux_err"].to_numpy()
    err_min = df.groupby(keys, sort=False, observed=True)["flux_err"].transform("min").to_numpy()
    w = (err_min / err) ** 2
    tmp = df.assign(_w=w, _wf=w * df["flux"].to_numpy(), _emin=err_min)
    g = tmp.groupby(keys, sort=False, observed=True)
    out = g.agg(_w=("_w", "sum"), _wf=("_wf", "sum"), _emin=("_emin", "first")).reset_index()
    out["flux"] = out["_wf"] / out["_w"]
    out["flux_err"] = out["_emin"] / np.sqrt(out["_w"])
    return out[["object_id", "time_mjd", "band", "flux", "flux_err"]]
