"""Survey models: visit schedules (cadence, band, 5-sigma depth) and the photometric noise model.

A :class:`Survey` is a set of *field schedules*: for each field, a time-sorted list of visits with a
band and a 5-sigma limiting magnitude. A simulated object is placed in one field and sees that
field's visits in its time window (forced photometry: every visit is a flux point, detection or not).

Default (synthetic) schedules, calibrated to the real pointing logs in
``$ASTROKERAS_DATA/sim_blocks/cadence`` (per-position statistics within one field of view):

* **ZTF** (Bellm et al. 2019, PASP 131, 018002): g and r with the public-survey 3-night cadence:
  a field is *planned* every third night inside its ~8-month observing season (season length
  uniform 200-260 d, phase uniform in the year), plus 10 % unplanned extra nights; 35 % of nights
  are lost to weather (site-wide); on an observed night g is taken with probability 0.8 and r with
  0.9 (at least one), plus a same-night repeat with probability 0.3. Mean in-season gap ~3.9 d,
  ~0.5 visits per day. (The full 2018-2022 pointing log, which includes the partnership and
  i-band surveys, has a 2.9 d mean gap and 2.4 visits per night at one position; the public BTS
  alert light curves have ~0.45 detections per day, closer to this default.) Per-visit depths are
  drawn from the empirical quantiles of the 2018-2022 log (median g 20.91, r 20.68).
* **LSST WFD** (Ivezic et al. 2019; baseline v3.0): ugrizy; season 180-220 d; a field is visited on
  18 % of nights in season (real: ~36 nights/yr, mean in-season gap 5.2 d) with 1, 2 or 3 visits
  (p = 0.15, 0.75, 0.10; real 2.07 per night) ~30 min apart, the second in a different filter;
  filter fractions u .06 g .09 r .23 i .23 z .20 y .19 (real log); depths from the log's quantiles
  (median u 23.57 g 24.36 r 23.95 i 23.37 z 22.76 y 21.98).

Noise: ``sigma_flux^2 = (f_5/5)^2 + max(f, 0) g_b`` with ``f_5`` the FLUXCAL flux of the visit's
5-sigma depth (sky-limited) and ``g_b = 10**(-0.4 (ZP_e,b - 27.5))`` the FLUXCAL per photo-electron,
``ZP_e`` the magnitude giving one electron per visit (instrumental zero points for 30 s visits,
approximate). A visit is a *detection* when ``|flux| / sigma >= 5``.

Any survey can also be driven by a real pointing log (:func:`survey_from_pointings`).

Example:
    >>> s = ztf_survey()
    >>> s.bands
    ('ztf::g', 'ztf::r')
    >>> 19.5 < float(np.median(s.depth_mag)) < 21.5
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from astrokeras import bands as _bands

ZERO_POINT = 27.5
DETECTION_SNR = 5.0

#: 11 quantiles (1 %, 10.8 %, ..., 99 %) of the per-visit 5-sigma depth in the real pointing logs
#: (ZTF 2018-06..2022-09, 760k visits; Rubin baseline v3.0, 2.09M visits), used for the synthetic
#: schedules. Recomputed and checked in tests/test_simulation_surveys.py when the data are present.
DEPTH_QUANTILE_LEVELS = np.linspace(0.01, 0.99, 11)
DEPTH_QUANTILES = {
    "ztf::g": [17.69, 19.69, 20.13, 20.42, 20.67, 20.91, 21.14, 21.34, 21.52, 21.70, 22.05],
    "ztf::r": [16.95, 19.50, 19.98, 20.27, 20.48, 20.68, 20.86, 21.04, 21.23, 21.43, 21.79],
    "ztf::i": [17.45, 19.72, 20.08, 20.28, 20.44, 20.57, 20.69, 20.80, 20.92, 21.06, 21.45],
    "lsst::u": [22.54, 23.10, 23.27, 23.39, 23.49, 23.57, 23.65, 23.73, 23.82, 23.94, 24.22],
    "lsst::g": [23.15, 23.80, 24.01, 24.15, 24.26, 24.36, 24.46, 24.56, 24.67, 24.81, 25.05],
    "lsst::r": [22.29, 23.31, 23.56, 23.71, 23.84, 23.95, 24.05, 24.15, 24.26, 24.38, 24.61],
    "lsst::i": [21.93, 22.70, 22.96, 23.13, 23.25, 23.37, 23.47, 23.58, 23.69, 23.83, 24.08],
    "lsst::z": [21.54, 22.23, 22.43, 22.56, 22.67, 22.76, 22.85, 22.94, 23.03, 23.15, 23.41],
    "lsst::y": [20.96, 21.50, 21.68, 21.80, 21.89, 21.98, 22.05, 22.13, 22.22, 22.32, 22.56],
}

#: magnitude giving one photo-electron in a 30 s visit (1 e-/s zero point + 2.5 log10 30); approximate
#: (ZTF: Masci+2019; LSST: SMTN-002 / rubin_sim throughputs).
ELECTRON_ZERO_POINT = {
    "ztf::g": 30.0, "ztf::r": 29.9, "ztf::i": 29.6,
    "lsst::u": 30.2, "lsst::g": 32.0, "lsst::r": 31.8, "lsst::i": 31.5, "lsst::z": 31.1, "lsst::y": 30.3,
}

SURVEYS = ("ztf", "lsst")


@dataclass(frozen=True)
class Survey:
    """Field schedules of a survey, stored flat and sorted by (field, time).

    Attributes:
        name: survey name (``"ztf"``, ``"lsst"``) used for the metadata column ``survey``.
        bands: canonical band names; ``band_idx`` indexes this tuple.
        time_mjd, band_idx, depth_mag: per-visit arrays.
        field_offsets: (n_fields + 1,) slices of each field's visits.
        description: where the schedule comes from.
    """

    name: str
    bands: tuple[str, ...]
    time_mjd: np.ndarray
    band_idx: np.ndarray
    depth_mag: np.ndarray
    field_offsets: np.ndarray
    description: str = ""
    _key: np.ndarray = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        field_of_visit = np.repeat(np.arange(self.n_fields), np.diff(self.field_offsets))
        object.__setattr__(self, "_key", field_of_visit * self._span + (self.time_mjd - self.t_start))

    @property
    def n_fields(self) -> int:
        return int(self.field_offsets.size - 1)

    @property
    def t_start(self) -> float:
        return float(self.time_mjd.min()) if self.time_mjd.size else 0.0

    @property
    def t_end(self) -> float:
        return float(self.time_mjd.max()) if self.time_mjd.size else 0.0

    @property
    def _span(self) -> float:
        return float(self.t_end - self.t_start + 1.0e4)

    @property
    def electron_zp(self) -> np.ndarray:
        return np.array([ELECTRON_ZERO_POINT.get(b, 30.0) for b in self.bands])

    def best_depth(self) -> np.ndarray:
        """Per-band 99th-percentile depth (used for the conservative pre-screen)."""
        out = np.full(len(self.bands), -np.inf)
        for i in range(len(self.bands)):
            d = self.depth_mag[self.band_idx == i]
            if d.size:
                out[i] = np.quantile(d, 0.99)
        return out

    def visits(self, field_idx: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All visits of object ``i``'s field with ``t_lo[i] <= t <= t_hi[i]``.

        Returns:
            ``(obj, visit)``: flat object index (sorted, times ascending within an object) and
            index into the survey's visit arrays.
        """
        f = np.asarray(field_idx, dtype=np.int64)
        lo = np.searchsorted(self._key, f * self._span + (np.asarray(t_lo) - self.t_start), "left")
        hi = np.searchsorted(self._key, f * self._span + (np.asarray(t_hi) - self.t_start), "right")
        counts = np.maximum(hi - lo, 0)
        obj = np.repeat(np.arange(f.size), counts)
        starts = np.cumsum(counts) - counts
        visit = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts - lo, counts)
        return obj, visit


def flux_error(flux_true: np.ndarray, depth_mag: np.ndarray, electron_zp: np.ndarray) -> np.ndarray:
    """Per-visit flux error (FLUXCAL) from the 5-sigma depth plus source photon noise.

    Example:
        >>> float(flux_error(np.array([0.0]), np.array([27.5]), np.array([30.0]))[0])
        0.2
    """
    f5 = 10.0 ** (-0.4 * (np.asarray(depth_mag) - ZERO_POINT))
    gain = 10.0 ** (-0.4 * (np.asarray(electron_zp) - ZERO_POINT))
    return np.sqrt((f5 / DETECTION_SNR) ** 2 + np.maximum(flux_true, 0.0) * gain)


def _depths(rng: np.random.Generator, band_names: tuple[str, ...], band_idx: np.ndarray) -> np.ndarray:
    table = np.array([DEPTH_QUANTILES[b] for b in band_names])
    u = rng.uniform(DEPTH_QUANTILE_LEVELS[0], DEPTH_QUANTILE_LEVELS[-1], band_idx.size)
    pos = (u - DEPTH_QUANTILE_LEVELS[0]) / (DEPTH_QUANTILE_LEVELS[1] - DEPTH_QUANTILE_LEVELS[0])
    i = np.minimum(pos.astype(np.int64), table.shape[1] - 2)
    w = pos - i
    return table[band_idx, i] * (1 - w) + table[band_idx, i + 1] * w


def _seasons(rng: np.random.Generator, n_fields: int, nights: np.ndarray, length_range: tuple[float, float]) -> np.ndarray:
    """(n_fields, n_nights) bool: night inside the field's yearly observing season."""
    phase = rng.uniform(0.0, 365.25, n_fields)[:, None]
    length = rng.uniform(*length_range, n_fields)[:, None]
    doy = np.mod(nights[None, :] - phase, 365.25)
    return doy < length


def _assemble(name, bands, fields, times, bidx, rng, description) -> Survey:
    order = np.lexsort((times, fields))
    fields, times, bidx = fields[order], times[order], bidx[order].astype(np.int8)
    n_fields = int(fields.max()) + 1 if fields.size else 0
    offsets = np.r_[0, np.cumsum(np.bincount(fields, minlength=n_fields))].astype(np.int64)
    return Survey(name, tuple(bands), times, bidx, _depths(rng, tuple(bands), bidx), offsets, description)



@functools.lru_cache(maxsize=None)
def ztf_survey(n_fields: int = 400, start_mjd: float = 58194.0, years: float = 3.0, seed: int = 2018) -> Survey:
    """Synthetic ZTF g/r schedule (see the module docstring); cached per argument set."""
    rng = np.random.default_rng(seed)
    nights = start_mjd + np.arange(int(years * 365.25))
    season = _seasons(rng, n_fields, nights, (200.0, 260.0))
    parity = rng.integers(0, 3, n_fields)[:, None]
    planned = ((np.arange(nights.size)[None, :] + parity) % 3 == 0) | (rng.random(season.shape) < 0.10)
    clear = rng.random(nights.size) >= 0.35  # site-wide weather
    observed = season & planned & clear[None, :]
    f, k = np.nonzero(observed)
    take_g = rng.random(f.size) < 0.8
    take_r = (rng.random(f.size) < 0.9) | ~take_g
    repeat = rng.random(f.size) < 0.3
    parts_f, parts_t, parts_b = [], [], []
    for mask, band, offset in ((take_g, 0, 0.0), (take_r, 1, 0.03), (repeat, None, 0.12)):
        ff, kk = f[mask], k[mask]
        b = rng.integers(0, 2, ff.size) if band is None else np.full(ff.size, band)
        parts_f.append(ff)
        parts_t.append(nights[kk] + 0.15 + offset + rng.uniform(0.0, 0.2, ff.size))
        parts_b.append(b)
    survey = _assemble("ztf", ("ztf::g", "ztf::r"), np.concatenate(parts_f), np.concatenate(parts_t),
                       np.concatenate(parts_b), rng, f"synthetic ZTF g/r, {n_fields} fields, {years:g} yr from MJD {start_mjd:g}")
    return survey


LSST_FILTER_FRACTIONS = np.array([0.06, 0.09, 0.23, 0.23, 0.20, 0.19])


@functools.lru_cache(maxsize=None)
def lsst_survey(n_fields: int = 400, start_mjd: float = 60796.0, years: float = 3.0, seed: int = 2025) -> Survey:
    """Synthetic LSST WFD ugrizy schedule (see the module docstring); cached per argument set."""
    rng = np.random.default_rng(seed)
    nights = start_mjd + np.arange(int(years * 365.25))
    season = _seasons(rng, n_fields, nights, (180.0, 220.0))
    observed = season & (rng.random(season.shape) < 0.18)
    f, k = np.nonzero(observed)
    n_visits = 1 + (rng.random(f.size) < 0.85).astype(int) + (rng.random(f.size) < 0.10 / 0.85).astype(int)
    cdf = np.cumsum(LSST_FILTER_FRACTIONS / LSST_FILTER_FRACTIONS.sum())
    first = np.searchsorted(cdf, rng.random(f.size))
    parts_f, parts_t, parts_b = [f], [nights[k] + 0.05 + rng.uniform(0.0, 0.3, f.size)], [first]
    prev = first
    for j in (1, 2):
        m = n_visits > j
        b = np.searchsorted(cdf, rng.random(f.size))
        same = b == prev
        b = np.where(same, (b + 1 + rng.integers(0, 5, f.size)) % 6, b)
        parts_f.append(f[m])
        parts_t.append(parts_t[0][m] + 0.021 * j + rng.uniform(0.0, 0.01, int(m.sum())))
        parts_b.append(b[m])
        prev = b
    survey = _assemble("lsst", ("lsst::u", "lsst::g", "lsst::r", "lsst::i", "lsst::z", "lsst::y"),
                       np.concatenate(parts_f), np.concatenate(parts_t), np.concatenate(parts_b), rng,
                       f"synthetic LSST WFD ugrizy, {n_fields} fields, {years:g} yr from MJD {start_mjd:g}")
    return survey


def default_survey(name: str) -> Survey:
    """The default synthetic schedule of ``"ztf"`` or ``"lsst"``."""
    name = str(name).lower()
    if name == "ztf":
        return ztf_survey()
    if name == "lsst":
        return lsst_survey()
    raise ValueError(f"unknown survey {name!r}; known surveys: {', '.join(SURVEYS)}")


_LOG_COLUMNS = {
    "time_mjd": ("time_mjd", "expmjd", "observationstartmjd", "mjd", "obsmjd"),
    "band": ("band", "filter", "passband"),
    "five_sigma_depth": ("five_sigma_depth", "fivesigmadepth", "m5", "depth", "limmag"),
    "field_id": ("field_id", "fieldid", "field"),
}


def survey_from_pointings(log, survey: str, name: str | None = None) -> Survey:
    """A survey driven by a real pointing log.

    Args:
        log: table (pandas DataFrame, or anything ``pandas.DataFrame`` accepts) with a time column
            (``time_mjd``/``expMJD``/``observationStartMJD``/``mjd``), a band column (``band``/``filter``;
            values like ``"g"``, ``"ztfg"``, ``"lsstr"`` or ``"ztf::g"``) and a 5-sigma depth
            (``five_sigma_depth``/``fiveSigmaDepth``/``m5``). An optional ``field_id`` column splits
            it into fields; otherwise the whole log is one field (e.g. the visits covering one position).
        survey: ``"ztf"`` or ``"lsst"``: resolves bare band names.
        name: survey label for the metadata (default ``survey``).

    Returns:
        a :class:`Survey`.

    Raises:
        ValueError: missing columns, non-finite values, unknown bands or an empty log.

    Example:
        >>> log = pd.DataFrame({"expMJD": [59000.1, 59001.2, 59003.1], "filter": ["ztfg", "ztfr", "ztfg"],
        ...                     "fiveSigmaDepth": [20.5, 20.3, 20.8]})
        >>> survey_from_pointings(log, "ztf").bands
        ('ztf::g', 'ztf::r')
    """
    df = log if isinstance(log, pd.DataFrame) else pd.DataFrame(log)
    lower = {str(c).lower(): c for c in df.columns}
    cols = {}
    for canonical, names in _LOG_COLUMNS.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found is None and canonical != "field_id":
            raise ValueError(f"pointing log has no {canonical!r} column (accepted names: {', '.join(names)}); "
                             f"its columns are {list(df.columns)}")
        cols[canonical] = found
    if len(df) == 0:
        raise ValueError("pointing log is empty")
    survey = str(survey).lower()
    time = df[cols["time_mjd"]].to_numpy(dtype=float)
    depth = df[cols["five_sigma_depth"]].to_numpy(dtype=float)
    for label, arr in (("time", time), ("five-sigma depth", depth)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(f"pointing log row {bad[0]} has a non-finite {label} ({bad.size} such rows)")
    raw = df[cols["band"]].astype(str).str.strip()
    uniq = pd.unique(raw)
    mapping = {}
    for u in uniq:
        s = u.lower()
        for prefix in (f"{survey}::", f"{survey}_", f"{survey}-", survey):
            if s.startswith(prefix) and len(s) > len(prefix):
                s = s[len(prefix):]
                break
        try:
            mapping[u] = _bands.resolve_band(s, survey)
        except _bands.UnknownBandError as err:
            raise ValueError(f"pointing log band {u!r}: {err}") from None
    band_names = tuple(sorted(set(mapping.values()), key=lambda b: _bands.get_band(b).wavelength_um))
    bidx = raw.map({u: band_names.index(b) for u, b in mapping.items()}).to_numpy(dtype=np.int64)
    if cols["field_id"] is not None:
        fields = pd.factorize(df[cols["field_id"]], sort=True)[0]
    else:
        fields = np.zeros(len(df), dtype=np.int64)
    order = np.lexsort((time, fields))
    fields, time, bidx, depth = fields[order], time[order], bidx[order].astype(np.int8), depth[order]
    offsets = np.r_[0, np.cumsum(np.bincount(fields))].astype(np.int64)
    return Survey(name or survey, band_names, time, bidx, depth, offsets,
                  f"pointing log, {len(df)} visits, {offsets.size - 1} field(s)")
