"""Empirical alert cadence: simulated objects observed at real objects' detection times.

A public alert light curve (ZTF BTS via ANTARES) holds only the *detections* of an object: when the
survey looked, whether the object was bright enough, and which programme's alerts reached the
broker. No synthetic schedule reproduces that joint pattern of gaps, same-night pairs, band mix and
length (``recipes.simulation_check``: time sampling alone tells real from simulated at AUROC ~0.93).
This module lends the real patterns to simulated objects:

1. :func:`detection_patterns` turns real alert light curves into patterns: per object, the times
   of its detections relative to its brightest detection, and their bands;
2. the simulated objects are observed with forced photometry on a dense schedule (every night,
   two visits per band, depths from the survey's real depth distribution: :func:`dense_survey`);
3. :func:`resample_patterns` gives every simulated object a pattern of its class (a random real
   object), anchors it on the simulated object's brightest S/N >= 5 point, takes the forced point
   of the same band nearest to each pattern time (distinct visits for points of the same night)
   and keeps the S/N >= 5 ones: the alert view on the real object's times.

:func:`simulate_empirical` runs the three steps; the preset ``ztf_bts_empirical``
(:mod:`~astrokeras.simulation.presets`) uses the **training split** of the real BTS
(``astrokeras.tasks.bts_split(seed=0)``; never its dev/test objects) as the pattern source
(:func:`bts_train_patterns`). Classes without training patterns of their own (the rare BTS
classes) draw from the pooled patterns.

Example:
    >>> import numpy as np, pandas as pd
    >>> pat = pd.DataFrame({"pattern": ["a"] * 3, "label": ["SN Ia"] * 3,
    ...                     "dt_days": [-5.0, 0.0, 12.0], "band": ["ztf::r", "ztf::g", "ztf::r"]})
    >>> lcs = simulate_empirical("ztf", {"SN Ia": 3}, pat, seed=0)
    >>> 0 < len(lcs) <= 3, bool(np.all(lcs.flux / lcs.flux_err >= 5))
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurves
from astrokeras.simulation.surveys import DETECTION_SNR, Survey, _assemble, default_survey

__all__ = ["detection_patterns", "bts_train_patterns", "dense_survey", "resample_patterns", "simulate_empirical"]

PATTERN_COLUMNS = ("pattern", "label", "dt_days", "band")
#: visits per band and night of :func:`dense_survey`, and their spacing (days)
SLOTS_PER_NIGHT = 2
SLOT_SPACING_DAYS = 0.03


def detection_patterns(lcs: LightCurves, labels=None, snr_min: float = DETECTION_SNR) -> pd.DataFrame:
    """Detection-time patterns of real alert light curves.

    Args:
        lcs: alert light curves (detections; points below ``snr_min`` are ignored).
        labels: per-object class labels (default ``lcs.metadata["label"]``).
        snr_min: detection threshold.

    Returns:
        DataFrame with :data:`PATTERN_COLUMNS`: ``pattern`` (the real object id), ``label``,
        ``dt_days`` (time minus the time of the object's brightest detection) and ``band``.
        Objects with fewer than 2 detections are left out.

    Example:
        >>> lcs = LightCurves(["a", "a", "a"], [1.0, 2.0, 4.0], ["ztf::g", "ztf::r", "ztf::r"],
        ...                   [100.0, 300.0, 200.0], [10.0, 10.0, 10.0])
        >>> detection_patterns(lcs, labels=["SN Ia"]).dt_days.tolist()
        [-1.0, 0.0, 2.0]
    """
    labels = lcs.metadata["label"].reindex(lcs.object_ids) if labels is None else pd.Series(
        np.asarray(labels, dtype=object), index=lcs.object_ids)
    keep = lcs.flux >= snr_min * lcs.flux_err
    df = pd.DataFrame({"pattern": lcs.object_id[keep], "t": lcs.time_mjd[keep], "band": lcs.band[keep],
                       "flux": lcs.flux[keep]})
    if df.empty:
        return pd.DataFrame({c: [] for c in PATTERN_COLUMNS})
    g = df.groupby("pattern", sort=False)
    t_peak = df.loc[g["flux"].idxmax(), ["pattern", "t"]].set_index("pattern")["t"]
    df["dt_days"] = df["t"] - df["pattern"].map(t_peak)
    df = df[df["pattern"].map(g.size()) >= 2]
    df["label"] = df["pattern"].map(labels).astype(object)
    return df.sort_values(["pattern", "dt_days"], kind="stable")[list(PATTERN_COLUMNS)].reset_index(drop=True)


def bts_train_patterns(split_seed: int = 0, data_home=None) -> pd.DataFrame:
    """Detection patterns of the **training split** of the real ZTF BTS alert curves
    (``astrokeras.tasks.bts_split(seed=split_seed)``: Table 1 classes SN Ia, SN Ib/c, SN II; the
    dev/test objects and the rare classes are never used). Needs ``$ASTROKERAS_DATA/ztf_bts_antares``."""
    from astrokeras.datasets import load_bts
    from astrokeras.tasks import bts_split

    bts = load_bts(data_home)
    train = bts_split(bts, seed=split_seed).cls.train
    sub = bts.subset(bts.object_ids[np.sort(train)])
    return detection_patterns(sub)


def dense_survey(survey: str = "ztf", years: float = 3.0, seed: int = 7, start_mjd: float | None = None) -> Survey:
    """One field observed every night of ``years`` in every band of ``survey``, :data:`SLOTS_PER_NIGHT`
    visits per band (``SLOT_SPACING_DAYS`` apart), depths drawn from the survey's real per-visit depth
    distribution; named like ``survey`` so that its noise model applies.

    Example:
        >>> s = dense_survey("ztf", years=0.01)
        >>> s.bands, s.n_fields
        (('ztf::g', 'ztf::r'), 1)
    """
    base = default_survey(survey)
    rng = np.random.default_rng(seed)
    start = base.t_start if start_mjd is None else float(start_mjd)
    nights = start + np.arange(int(years * 365.25))
    nb = len(base.bands)
    slot = np.arange(nb * SLOTS_PER_NIGHT)
    times = (nights[:, None] + 0.1 + SLOT_SPACING_DAYS * slot[None, :]).ravel()
    bidx = np.tile(slot % nb, nights.size).astype(np.int64)
    return _assemble(base.name, base.bands, np.zeros(times.size, np.int64), times, bidx, rng,
                     f"dense {base.name}: every night, {SLOTS_PER_NIGHT} visits per band, {years:g} yr")


def resample_patterns(forced: LightCurves, patterns: pd.DataFrame, seed: int = 0, snr_min: float = DETECTION_SNR,
                      peak_mag_max: float | None = None, min_points: int = 2) -> LightCurves:
    """Observe each simulated object at a real object's detection times (see the module docstring).

    Args:
        forced: simulated forced photometry on a dense schedule (:func:`dense_survey`).
        patterns: :func:`detection_patterns` output; a simulated object of class ``c`` draws a pattern
            labelled ``c`` (or from all patterns when none has that label).
        seed: seed of the pattern draw.
        snr_min: alert threshold; only these points are kept.
        peak_mag_max: keep objects whose brightest kept point is brighter (AB) than this.
        min_points: keep objects with at least this many kept points.

    Returns:
        alert light curves; metadata of the kept objects plus ``pattern`` (the real object lent).

    Raises:
        ValueError: empty ``patterns`` or missing columns.
    """
    missing = [c for c in PATTERN_COLUMNS if c not in patterns]
    if missing or len(patterns) == 0:
        raise ValueError(f"patterns must be a non-empty table with columns {PATTERN_COLUMNS}; missing {missing}")
    rng = np.random.default_rng(seed)
    meta = forced.metadata
    ids = forced.object_ids
    pat = patterns.reset_index(drop=True)
    by_pattern = dict(pat.groupby("pattern", sort=True).indices)
    pat_label = pat.groupby("pattern", sort=True)["label"].first()
    pools = {lab: np.asarray(pat_label.index[pat_label == lab]) for lab in pat_label.unique()}
    everything = np.asarray(pat_label.index)
    labels = meta["label"].reindex(ids).astype(str).to_numpy()
    chosen = np.empty(len(ids), dtype=object)
    for lab in np.unique(labels):
        m = labels == lab
        pool = pools.get(lab, everything)
        chosen[m] = pool[rng.integers(0, pool.size, int(m.sum()))]
    # anchor: the simulated object's brightest S/N >= snr_min forced point
    det = forced.flux >= snr_min * forced.flux_err
    off = forced.offsets
    obj_of_point = np.repeat(np.arange(len(ids)), np.diff(off))
    score = np.where(det, forced.flux, -np.inf)
    anchor = np.full(len(ids), np.nan)
    order = np.lexsort((score, obj_of_point))
    last = np.r_[off[1:] - 1][np.diff(off) > 0]
    best = order[last]
    ok_best = np.isfinite(score[best])
    anchor[obj_of_point[best[ok_best]]] = forced.time_mjd[best[ok_best]]
    out_obj, out_idx, out_t = [], [], []
    band_arr = forced.band
    for i in np.flatnonzero(np.isfinite(anchor)):
        rows = by_pattern[chosen[i]]
        sl = slice(off[i], off[i + 1])
        t_obj, b_obj = forced.time_mjd[sl], band_arr[sl]
        target = anchor[i] + pat["dt_days"].to_numpy()[rows]
        pbands = pat["band"].to_numpy()[rows]
        for b in np.unique(pbands):
            vis = np.flatnonzero(b_obj == b)
            if vis.size == 0:
                continue
            tb = t_obj[vis]
            tt = np.sort(target[pbands == b])
            inside = (tt >= tb[0] - 0.5) & (tt <= tb[-1] + 0.5)
            tt = tt[inside]
            j = np.searchsorted(tb, tt)
            lo, hi = np.clip(j - 1, 0, tb.size - 1), np.clip(j, 0, tb.size - 1)
            j = np.where(np.abs(tb[lo] - tt) <= np.abs(tb[hi] - tt), lo, hi)
            # points of one night take that night's visits in turn (no flux value used twice)
            night = np.floor(tb).astype(np.int64)
            n_j = night[j]
            rank = pd.Series(n_j).groupby(n_j).cumcount().to_numpy()
            j2 = np.searchsorted(night, n_j, "left") + rank
            ok_slot = (j2 < tb.size) & (night[np.minimum(j2, tb.size - 1)] == n_j)
            j2, tt = j2[ok_slot], tt[ok_slot]
            out_obj.append(np.full(j2.size, i))
            out_idx.append(off[i] + vis[j2])
            out_t.append(tt)
    if not out_obj:
        return LightCurves.empty()
    obj = np.concatenate(out_obj)
    idx = np.concatenate(out_idx)
    t = np.concatenate(out_t)
    flux, err = forced.flux[idx], forced.flux_err[idx]
    keep = flux >= snr_min * err
    obj, idx, t, flux, err = obj[keep], idx[keep], t[keep], flux[keep], err[keep]
    n_pts = np.bincount(obj, minlength=len(ids))
    brightest = np.full(len(ids), -np.inf)
    np.maximum.at(brightest, obj, flux)
    ok = n_pts >= min_points
    if peak_mag_max is not None:
        ok &= 27.5 - 2.5 * np.log10(np.maximum(brightest, 1e-30)) < peak_mag_max
    sel = ok[obj]
    obj, idx, t, flux, err = obj[sel], idx[sel], t[sel], flux[sel], err[sel]
    order = np.lexsort((t, obj))
    obj, idx, t, flux, err = obj[order], idx[order], t[order], flux[order], err[order]
    kept = np.flatnonzero(ok)
    new_meta = meta.reindex(ids[kept]).copy()
    new_meta["pattern"] = chosen[kept]
    new_meta["n_detections"] = n_pts[kept].astype(np.int64)
    return LightCurves(ids[obj], t, forced.band[idx], flux, err, metadata=new_meta)


def simulate_empirical(survey: str, classes: Mapping[str, int], patterns: pd.DataFrame, seed: int = 0,
                       peak_mag_max: float | None = None, id_prefix: str | None = None, oversample: float = 1.6,
                       post_trigger_days: float | None = None, n_jobs: int = 1) -> LightCurves:
    """Simulate ``classes`` and observe them at real detection patterns (alert photometry).

    Objects are drawn with :func:`~astrokeras.simulation.simulate` on :func:`dense_survey` (forced
    photometry over 30 d before explosion to ``post_trigger_days`` after the trigger, default the
    longest pattern after its peak plus 30 d), ``oversample`` times the requested count, resampled
    with :func:`resample_patterns`, and the first ``classes[c]`` kept objects of each class returned
    (fewer when too few pass). Deterministic in ``seed``.
    """
    from astrokeras.simulation import simulate

    if post_trigger_days is None:
        post_trigger_days = float(max(patterns["dt_days"].max(), 0.0)) + 30.0
    sv = dense_survey(survey)
    parts = []
    for k, (label, count) in enumerate(classes.items()):
        if count <= 0:
            continue
        n_draw = int(np.ceil(count * oversample)) + 5
        forced = simulate(survey, classes={label: n_draw}, seed=seed, cadence=sv, peak_mag_max=peak_mag_max,
                          post_trigger_days=post_trigger_days, id_prefix=f"{id_prefix or 'emp_'}{k}_", n_jobs=n_jobs)
        alerts = resample_patterns(forced, patterns, seed=seed + 7919 * (k + 1), peak_mag_max=peak_mag_max)
        parts.append(alerts.subset(alerts.object_ids[:count]))
    lcs = LightCurves.concat(parts) if parts else LightCurves.empty()
    prefix = f"sim_{survey}_emp_{seed}_" if id_prefix is None else str(id_prefix)
    new_ids = np.array([f"{prefix}{i:07d}" for i in range(len(lcs))], dtype=object)
    meta = lcs.metadata.copy()
    meta.index = pd.Index(new_ids, name="object_id")
    return LightCurves(np.repeat(new_ids, lcs.lengths), lcs.time_mjd, lcs.band, lcs.flux, lcs.flux_err,
                       metadata=meta, _trusted=True)
