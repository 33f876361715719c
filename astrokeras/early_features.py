"""Features of a young light curve: what a broker knows a few days after the first detection.

The Bazin fits and moments of :mod:`astrokeras.features` need several points per band and are
mostly NaN ten days after discovery (a BTS alert curve then holds a median of 6 points in two
bands). These features are defined from two points on, in magnitudes (AB, from FLUXCAL flux; a
non-positive flux gives NaN), per band and across bands:

* counts and timing: ``n_obs``, ``span_days`` (last - first observation), ``peak_time_days`` (the
  brightest point since the first observation); with ``days`` given (the time of scoring after the
  first detection, which a broker knows), ``days_since_first`` and ``days_since_last``
  (how long no new detection came: a fading or faint source);
* brightness: ``first_mag``, ``peak_mag``, ``last_mag``, ``rise_mag`` (first - peak),
  ``decline_mag`` (last - peak);
* per band ``b``: ``b_n``, ``b_first_mag``, ``b_last_mag``, ``b_peak_mag``, ``b_slope_mag_per_day``
  (weighted least-squares slope of magnitude vs time; negative = rising), ``b_recent_slope_mag_per_day``
  (last two points at least 0.5 d apart), ``b_rise_rate_mag_per_day`` (first to brightest), and
  ``b_gap_days`` (time from the band's last point to the last observation);
* colour for each pair of consecutive bands (blue - red): ``colour_first``, ``colour_last``,
  ``colour_mean`` over pairs of observations at most ``pair_days`` apart, ``colour_slope_mag_per_day``
  (last - first pair over their time difference) and ``colour_peak`` (peak magnitudes).

RAPID (Muthukrishna et al. 2019, PASP 131, 118005) reads the same information (rise, colour, time
since trigger) from the light curve itself; here it feeds gradient boosting
(:class:`~astrokeras.learners.FeatureLearner`).

Example:
    >>> import numpy as np
    >>> from astrokeras.photometry import LightCurves, mag_to_flux
    >>> mags = np.array([19.0, 19.2, 18.5, 18.8, 18.0])
    >>> lcs = LightCurves(["a"] * 5, [0.0, 0.1, 3.0, 3.1, 6.0], ["ztf::g", "ztf::r", "ztf::g", "ztf::r", "ztf::g"],
    ...                   mag_to_flux(mags), np.full(5, 10.0))
    >>> f = early_features(lcs, ["ztf::g", "ztf::r"], days=[10.0])
    >>> round(float(f["ztf::g_slope_mag_per_day"].iloc[0]), 3), round(float(f["colour_first"].iloc[0]), 2)
    (-0.167, -0.2)
    >>> float(f["days_since_last"].iloc[0])
    4.0
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import ZERO_POINT_AB, LightCurves

__all__ = ["early_features"]


_SERIES = ("n", "first_mag", "last_mag", "peak_mag", "peak_time_days", "gap_days", "slope_mag_per_day",
           "recent_slope_mag_per_day", "rise_rate_mag_per_day")
_BAND = tuple(k for k in _SERIES if k != "peak_time_days")
_KEY = 1e6  # object index * _KEY + days since its first observation: one sorted key for all objects


def _groups(obj: np.ndarray, n: int):
    """``(start, end)`` of each object's run in ``obj`` (sorted); ``start == end``: no element."""
    ids = np.arange(n)
    return np.searchsorted(obj, ids, "left"), np.searchsorted(obj, ids, "right")


def _take(values: np.ndarray, pos: np.ndarray, has: np.ndarray) -> np.ndarray:
    """``values[pos]`` where ``has``, NaN elsewhere."""
    out = np.full(len(pos), np.nan)
    out[has] = values[pos[has]]
    return out


def _series(obj, tt, m, w, n, t_last_rel):
    """Per-object features of one time series (sorted by object, then time ``tt`` in days since
    the object's first observation): see the module docstring (per band)."""
    if len(m) == 0:
        nan = np.full(n, np.nan)
        return {"n": np.zeros(n), **{k: nan.copy() for k in _SERIES[1:]}}
    start, end = _groups(obj, n)
    has = end > start
    first, last = start, np.maximum(end - 1, 0)
    order = np.lexsort((m, obj))   # per object, brightest (smallest magnitude) first
    peak = np.zeros(n, dtype=np.int64)
    peak[has] = order[start[has]]
    out = {"n": (end - start).astype(float), "first_mag": _take(m, first, has), "last_mag": _take(m, last, has),
           "peak_mag": _take(m, peak, has), "peak_time_days": _take(tt, peak, has), "gap_days": np.where(has, t_last_rel - _take(tt, last, has), np.nan)}
    sums = [np.bincount(obj, weights=w * v, minlength=n) for v in (np.ones_like(tt), tt, m, tt * tt, tt * m)]
    sw, swt, swm, swtt, swtm = sums
    lever = _take(tt, last, has) - _take(tt, first, has)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (sw * swtm - swt * swm) / (sw * swtt - swt * swt)
    out["slope_mag_per_day"] = np.where(lever >= 0.5, slope, np.nan)
    key = obj * _KEY + tt
    j = np.searchsorted(key, key[last] - 0.5, "right") - 1   # latest point >= 0.5 d before the last one
    ok = has & (j >= start)
    jj = np.where(ok, j, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["recent_slope_mag_per_day"] = np.where(ok, (m[last] - m[jj]) / (tt[last] - tt[jj]), np.nan)
        dt = _take(tt, peak, has) - _take(tt, first, has)
        out["rise_rate_mag_per_day"] = np.where(dt >= 0.5, (_take(m, peak, has) - _take(m, first, has)) / dt, np.nan)
    return out


def _colours(blue, red, n, pair_days):
    """Colour features (module docstring) from the blue and red ``(obj, tt, m)`` series."""
    (ob, tb, mb), (orr, tr, mr) = blue, red
    nan = np.full(n, np.nan)
    out = {k: nan.copy() for k in ("first", "last", "mean", "slope_mag_per_day")}
    if len(tb) == 0 or len(tr) == 0:
        return out
    key_r, key_b = orr * _KEY + tr, ob * _KEY + tb
    j = np.clip(np.searchsorted(key_r, key_b), 1, max(len(tr) - 1, 1)) if len(tr) > 1 else np.zeros(len(tb), int)
    if len(tr) > 1:   # the nearer of the two neighbours (the earlier one on a tie)
        j = np.where(np.abs(key_b - key_r[j - 1]) <= np.abs(key_b - key_r[j]), j - 1, j)
    close = (orr[j] == ob) & (np.abs(tb - tr[j]) <= pair_days)
    o, c, tc = ob[close], (mb - mr[j])[close], ((tb + tr[j]) / 2)[close]
    start, end = _groups(o, n)
    has = end > start
    first, last = start, np.maximum(end - 1, 0)
    out["first"], out["last"] = _take(c, first, has), _take(c, last, has)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean"] = np.where(has, np.bincount(o, weights=c, minlength=n) / (end - start), np.nan)
        dt = _take(tc, last, has) - _take(tc, first, has)
        out["slope_mag_per_day"] = np.where(dt >= 0.5, (out["last"] - out["first"]) / dt, np.nan)
    return out


def early_features(lcs: LightCurves, bands: Sequence[str], days=None, pair_days: float = 1.5) -> pd.DataFrame:
    """Early light-curve features (see the module docstring), one row per object.

    Args:
        lcs: light curves, starting at the first detection (truncated or whole).
        bands: canonical band names ordered blue to red (colours between consecutive ones).
        days: optional scalar or ``(n_objects,)`` time of scoring, days after the first
            observation (``np.inf`` or NaN: unknown, e.g. a whole curve -> NaN features).
        pair_days: largest time difference (days) between the two observations of a colour.

    Returns:
        A float :class:`pandas.DataFrame` indexed by object id; NaN where a feature is undefined.

    Raises:
        ValueError: an unknown band, or ``days`` of the wrong length.
    """
    from astrokeras import bands as _bands

    bands = [_bands.resolve_band(b) for b in bands]
    if len(set(bands)) != len(bands) or not bands:
        raise ValueError(f"early_features: bands must be distinct and non-empty, got {bands}")
    n_obj = len(lcs)
    if days is not None:
        d = np.asarray(days, dtype=float)
        d = np.full(n_obj, float(d)) if d.ndim == 0 else d
        if d.shape != (n_obj,):
            raise ValueError(f"early_features: days must be a scalar or have one value per object ({n_obj}), "
                             f"got shape {d.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = np.where(lcs.flux > 0, ZERO_POINT_AB - 2.5 * np.log10(np.where(lcs.flux > 0, lcs.flux, 1.0)), np.nan)
        mag_err = 1.0857 * lcs.flux_err / np.abs(lcs.flux)
    w = 1.0 / np.clip(np.nan_to_num(mag_err, nan=1.0, posinf=1.0), 0.01, 1.0) ** 2
    lengths = lcs.lengths
    has_obs = lengths > 0
    obj = np.repeat(np.arange(n_obj), lengths)
    t0 = np.full(n_obj, np.nan)
    t0[has_obs] = lcs.time_mjd[lcs.offsets[:-1][has_obs]]
    span = np.full(n_obj, np.nan)
    span[has_obs] = lcs.time_mjd[lcs.offsets[1:][has_obs] - 1] - t0[has_obs]
    tt = lcs.time_mjd - t0[obj] if len(obj) else np.zeros(0)
    cols = {"n_obs": lengths.astype(float), "span_days": span}
    ok = np.isfinite(mag)
    overall = _series(obj[ok], tt[ok], mag[ok], w[ok], n_obj, span)
    cols.update(first_mag=overall["first_mag"], peak_mag=overall["peak_mag"], last_mag=overall["last_mag"],
                peak_time_days=overall["peak_time_days"], rise_mag=overall["first_mag"] - overall["peak_mag"],
                decline_mag=overall["last_mag"] - overall["peak_mag"])
    series = {}
    for band in bands:
        sel = ok & (lcs.band == band)
        series[band] = (obj[sel], tt[sel], mag[sel])
        feats = _series(obj[sel], tt[sel], mag[sel], w[sel], n_obj, span)
        cols.update({f"{band}_{k}": feats[k] for k in _BAND})
    for blue, red in zip(bands[:-1], bands[1:]):
        pre = "colour" if len(bands) == 2 else f"colour_{blue}_minus_{red}"
        for k, v in _colours(series[blue], series[red], n_obj, pair_days).items():
            cols[f"{pre}_{k}"] = v
        cols[f"{pre}_peak"] = cols[f"{blue}_peak_mag"] - cols[f"{red}_peak_mag"]
    if days is not None:
        known = np.isfinite(d)
        cols["days_since_first"] = np.where(known, d, np.nan)
        cols["days_since_last"] = np.where(known, d - span, np.nan)
    columns = ["n_obs", "span_days", "first_mag", "peak_mag", "last_mag", "peak_time_days", "rise_mag", "decline_mag"]
    for band in bands:
        columns += [f"{band}_{k}" for k in _BAND]
    for blue, red in zip(bands[:-1], bands[1:]):
        pre = "colour" if len(bands) == 2 else f"colour_{blue}_minus_{red}"
        columns += [f"{pre}{k}" for k in ("_first", "_last", "_mean", "_slope_mag_per_day", "_peak")]
    if days is not None:
        columns += ["days_since_first", "days_since_last"]
    frame = pd.DataFrame({c: np.asarray(cols[c], dtype=float) for c in columns}, columns=columns)
    frame.index = pd.Index(lcs.object_ids, name="object_id")
    return frame
