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
    # per nightly visit/stack, approximate: PS1 GPC1 (Magnier+2020), ATLAS 30 s (Tonry+2018),
    # DECam 175-330 s (Kessler+2015), SDSS 54 s drift scan (Frieman+2008)
    "ps1::g": 32.5, "ps1::r": 32.7, "ps1::i": 32.6, "ps1::z": 32.2,
    "atlas::c": 29.5, "atlas::o": 29.3,
    "des::g": 33.0, "des::r": 33.3, "des::i": 33.2, "des::z": 33.0,
    "sdss::u": 27.5, "sdss::g": 29.3, "sdss::r": 29.1, "sdss::i": 28.7, "sdss::z": 27.2,
    # EROS-1 CCD camera (0.4 m telescope, ~10 min exposures); the error floor dominates anyway
    "eros::B": 28.5, "eros::R": 28.3,
}

#: (median, 1-sigma spread) of the per-visit 5-sigma depth (AB) of the surveys without a pointing
#: log here, from their published strategies; turned into DEPTH_QUANTILES (Gaussian quantiles).
PUBLISHED_DEPTHS = {
    # Pan-STARRS1 Medium Deep Survey nightly stacks (Chambers et al. 2016, arXiv:1612.05560;
    # Villar et al. 2020, ApJ 905, 94): ~23.3 in g, r, i and 22.8 in z
    "ps1::g": (23.3, 0.3), "ps1::r": (23.3, 0.3), "ps1::i": (23.3, 0.3), "ps1::z": (22.8, 0.3),
    # ATLAS 30 s exposures (Tonry et al. 2018, PASP 130, 064505; Smith et al. 2020): c ~19.7, o ~19.3
    "atlas::c": (19.7, 0.4), "atlas::o": (19.3, 0.4),
    # DES supernova program, shallow fields (Kessler et al. 2015, AJ 150, 172; Bernstein et al. 2012)
    "des::g": (23.6, 0.3), "des::r": (23.6, 0.3), "des::i": (23.5, 0.3), "des::z": (23.3, 0.3),
    # SDSS-II supernova survey, Stripe 82 (Frieman et al. 2008, AJ 135, 338; Sako et al. 2008)
    "sdss::u": (21.8, 0.4), "sdss::g": (22.5, 0.4), "sdss::r": (22.3, 0.4), "sdss::i": (21.9, 0.4),
    "sdss::z": (20.6, 0.4),
    # EROS-1 CCD LMC-bar survey (Grison et al. 1995, A&AS 109, 447): the sky-limited part of the
    # per-point errors of the EROS-1 light curves in $ASTROKERAS_DATA/eros1_ramp gives S/N = 5 at
    # B_E ~ 20.1 and R_E ~ 19.1 (tests/test_simulation_variables.py recomputes it)
    "eros::B": (20.1, 0.25), "eros::R": (19.1, 0.25),
}


def _published_quantiles(median: float, sigma: float) -> list[float]:
    from scipy.stats import norm

    return [round(float(median + sigma * norm.ppf(q)), 3) for q in DEPTH_QUANTILE_LEVELS]


DEPTH_QUANTILES.update({b: _published_quantiles(*ms) for b, ms in PUBLISHED_DEPTHS.items()})

SURVEYS = ("ztf", "lsst", "ztf_gri", "ps1", "atlas", "des", "sdss", "eros")

#: Difference-imaging photometry per survey: ``(depth offset in mag, fractional flux-error floor)``.
#: The pointing-log depths are those of the science images; transients are measured on difference
#: images, whose noise adds the reference image's, the host galaxy's light and subtraction residuals,
#: and PSF-fit photometry has a calibration floor. ZTF: calibrated on the real BTS alert photometry
#: (``$ASTROKERAS_DATA/ztf_bts_antares``): its median S/N is 11 at 18.75 mag, 23 at 17.25 mag and 36 at
#: 15.25 mag in both bands, i.e. an effective 5-sigma depth ~0.9 mag shallower than the log's median
#: and a ~3 % floor (recomputed in tests/test_simulation_surveys.py). Others: no offset, a 1 % floor
#: (their published depths are already difference-image or survey-averaged values).
DIFFERENCE_IMAGING = {"ztf": (0.9, 0.03), "ztf_gri": (0.9, 0.03)}
DEFAULT_DIFFERENCE_IMAGING = (0.0, 0.01)


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
def ztf_survey(n_fields: int = 400, start_mjd: float = 58194.0, years: float = 3.0, seed: int = 2018,
               cadence_nights: int = 3, extra_night_prob: float = 0.10, weather_loss: float = 0.35,
               p_g: float = 0.8, p_r: float = 0.9, repeat_prob: float = 0.3, name: str = "ztf") -> Survey:
    """Synthetic ZTF g/r schedule (see the module docstring); cached per argument set.

    The keyword arguments after ``seed`` shape the cadence (a field is planned every
    ``cadence_nights`` nights plus extra nights with ``extra_night_prob``; site-wide
    ``weather_loss``; g and r taken with ``p_g``, ``p_r``; a same-night repeat with
    ``repeat_prob``); the defaults are the module docstring's, :func:`ztf_alert_survey` the BTS-tuned ones.
    """
    rng = np.random.default_rng(seed)
    nights = start_mjd + np.arange(int(years * 365.25))
    season = _seasons(rng, n_fields, nights, (200.0, 260.0))
    parity = rng.integers(0, cadence_nights, n_fields)[:, None]
    planned = (((np.arange(nights.size)[None, :] + parity) % cadence_nights == 0)
               | (rng.random(season.shape) < extra_night_prob))
    clear = rng.random(nights.size) >= weather_loss  # site-wide weather
    observed = season & planned & clear[None, :]
    f, k = np.nonzero(observed)
    take_g = rng.random(f.size) < p_g
    take_r = (rng.random(f.size) < p_r) | ~take_g
    repeat = rng.random(f.size) < repeat_prob
    parts_f, parts_t, parts_b = [], [], []
    for mask, band, offset in ((take_g, 0, 0.0), (take_r, 1, 0.03), (repeat, None, 0.12)):
        ff, kk = f[mask], k[mask]
        b = rng.integers(0, 2, ff.size) if band is None else np.full(ff.size, band)
        parts_f.append(ff)
        parts_t.append(nights[kk] + 0.15 + offset + rng.uniform(0.0, 0.2, ff.size))
        parts_b.append(b)
    survey = _assemble(name, ("ztf::g", "ztf::r"), np.concatenate(parts_f), np.concatenate(parts_t),
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


def _cycle_survey(name: str, bands: tuple[str, ...], cycle: tuple[tuple[int, ...], ...], visits_per_band: int,
                  spacing_days: float, weather_loss: float, season_range: tuple[float, float], n_fields: int,
                  start_mjd: float, years: float, seed: int, description: str, band_choice=None) -> Survey:
    """A survey that repeats a cycle of nights: night ``k`` of the cycle takes the bands ``cycle[k]``.

    Each field's cycle starts on a random night; nights are lost to weather site-wide with
    probability ``weather_loss``; each band of a night is taken ``visits_per_band`` times
    ``spacing_days`` apart. ``band_choice``: optional probabilities to draw one band per night
    instead (ATLAS: c or o).
    """
    rng = np.random.default_rng(seed)
    nights = start_mjd + np.arange(int(years * 365.25))
    season = _seasons(rng, n_fields, nights, season_range)
    phase = rng.integers(0, len(cycle), n_fields)[:, None]
    clear = rng.random(nights.size) >= weather_loss
    observed = season & clear[None, :]
    f, k = np.nonzero(observed)
    slot = (k + phase[f, 0]) % len(cycle)
    parts_f, parts_t, parts_b = [], [], []
    t_night = nights[k] + 0.1 + rng.uniform(0.0, 0.2, f.size)
    if band_choice is not None:
        chosen = np.searchsorted(np.cumsum(band_choice), rng.random(f.size)).clip(0, len(bands) - 1)
    for j, _ in enumerate(bands):
        if band_choice is None:
            take = np.array([j in cycle[c] for c in slot], dtype=bool)
        else:
            take = (chosen == j) & np.array([len(cycle[c]) > 0 for c in slot], dtype=bool)
        for v in range(visits_per_band):
            parts_f.append(f[take])
            parts_t.append(t_night[take] + 0.01 * j + spacing_days * v)
            parts_b.append(np.full(int(take.sum()), j))
    return _assemble(name, bands, np.concatenate(parts_f), np.concatenate(parts_t), np.concatenate(parts_b), rng,
                     description)


@functools.lru_cache(maxsize=None)
def ps1_survey(n_fields: int = 10, start_mjd: float = 55000.0, years: float = 4.0, seed: int = 2010) -> Survey:
    """Pan-STARRS1 Medium Deep Survey: 10 fields, g+r / i / z on a 3-night cycle, ~6-month seasons,
    nightly stacks to ~23.3 mag (Chambers et al. 2016; Villar et al. 2020)."""
    return _cycle_survey("ps1", ("ps1::g", "ps1::r", "ps1::i", "ps1::z"), ((0, 1), (2,), (3,)), 1, 0.0, 0.3,
                         (160.0, 200.0), n_fields, start_mjd, years, seed,
                         f"synthetic PS1 Medium Deep griz, {n_fields} fields, {years:g} yr")


@functools.lru_cache(maxsize=None)
def atlas_survey(n_fields: int = 400, start_mjd: float = 58000.0, years: float = 3.0, seed: int = 2017) -> Survey:
    """ATLAS: every second night four 30 s exposures within ~1 h in c (40 %) or o (60 %), to ~19.5 mag
    (Tonry et al. 2018, PASP 130, 064505; Smith et al. 2020, PASP 132, 085002)."""
    return _cycle_survey("atlas", ("atlas::c", "atlas::o"), ((0, 1), ()), 4, 0.015, 0.3, (220.0, 280.0),
                         n_fields, start_mjd, years, seed, f"synthetic ATLAS c/o, {n_fields} fields, {years:g} yr",
                         band_choice=(0.4, 0.6))


@functools.lru_cache(maxsize=None)
def des_survey(n_fields: int = 10, start_mjd: float = 56535.0, years: float = 5.0, seed: int = 2013) -> Survey:
    """DES supernova program: 10 fields, griz together about once a week (7-night cycle, 20 % weather
    loss), August-February seasons, ~23.5 mag (Kessler et al. 2015, AJ 150, 172)."""
    return _cycle_survey("des", ("des::g", "des::r", "des::i", "des::z"), ((0, 1, 2, 3),) + ((),) * 6, 1, 0.0, 0.2,
                         (170.0, 190.0), n_fields, start_mjd, years, seed,
                         f"synthetic DES-SN griz, {n_fields} fields, {years:g} yr")


@functools.lru_cache(maxsize=None)
def sdss_survey(n_fields: int = 40, start_mjd: float = 53615.0, years: float = 3.0, seed: int = 2005) -> Survey:
    """SDSS-II supernova survey: Stripe 82 ugriz drift scans every second night in September-November
    (40 % weather loss: ~4-day mean cadence), to ~22.3 mag in r (Frieman et al. 2008; Sako et al. 2008)."""
    return _cycle_survey("sdss", ("sdss::u", "sdss::g", "sdss::r", "sdss::i", "sdss::z"), ((0, 1, 2, 3, 4), ()),
                         1, 0.0, 0.4, (85.0, 95.0), n_fields, start_mjd, years, seed,
                         f"synthetic SDSS-II SN ugriz, {n_fields} fields, {years:g} yr")


@functools.lru_cache(maxsize=None)
def ztf_gri_survey(n_fields: int = 400, start_mjd: float = 58194.0, years: float = 3.0, seed: int = 2018) -> Survey:
    """ZTF with the partnership i band: the g/r schedule of :func:`ztf_survey` plus an i visit on 15 % of
    observed nights (Bellm et al. 2019: i-band ~10-15 % of the partnership time)."""
    base = ztf_survey(n_fields, start_mjd, years, seed)
    rng = np.random.default_rng(seed + 1)
    field = np.repeat(np.arange(base.n_fields), np.diff(base.field_offsets))
    night = np.floor(base.time_mjd).astype(np.int64)
    key = np.unique(field * 10**6 + (night - int(start_mjd)))
    pick = key[rng.random(key.size) < 0.15]
    f_i, n_i = pick // 10**6, pick % 10**6 + int(start_mjd)
    t_i = n_i + 0.35 + rng.uniform(0.0, 0.1, pick.size)
    return _assemble("ztf_gri", ("ztf::g", "ztf::r", "ztf::i"), np.r_[field, f_i], np.r_[base.time_mjd, t_i],
                     np.r_[base.band_idx, np.full(pick.size, 2)], rng,
                     f"synthetic ZTF g/r/i, {n_fields} fields, {years:g} yr from MJD {start_mjd:g}")


@functools.lru_cache(maxsize=None)
def eros_survey(n_fields: int = 64, start_mjd: float = 48182.0, years: float = 2.45, seed: int = 1991) -> Survey:
    """EROS-1-like B_E/R_E schedule of the LMC bar (CCD programme 1991-1994; Grison et al. 1995).

    Calibrated on the real EROS-1 light curves (``$ASTROKERAS_DATA/eros1_ramp``: 249 epochs over
    894 d, shared by all stars): one site-wide schedule (every field is observed on the same
    nights; 3 % per-field dropout), a ~180-night LMC season per year starting at day 0 of the
    schedule (real seasons: MJD 48180-48330, 48510-48720, 48870-49080), observed nights drawn as a
    two-state Markov chain (observed after an observed night with p = 0.75, after a gap with
    p = 0.10: runs of ~4 nights, ~29 % of season nights, ~50 nights per season; real 35-64),
    each night one B_E exposure followed by one R_E exposure 0.05 d later (real: B/R alternate,
    25 % of the gaps are 0.05 d). Depths: see :data:`PUBLISHED_DEPTHS`.
    """
    rng = np.random.default_rng(seed)
    nights = start_mjd + np.arange(int(years * 365.25))
    in_season = np.mod(nights - start_mjd, 365.25) < 180.0
    observed = np.zeros(nights.size, bool)
    state = True
    u = rng.random(nights.size)
    for k in range(nights.size):  # ~900 nights: a plain loop is fine (cached)
        state = bool(u[k] < (0.75 if state else 0.10)) and bool(in_season[k])
        observed[k] = state
    k = np.flatnonzero(observed)
    t_night = nights[k] + 0.05 + rng.uniform(0.0, 0.25, k.size)
    present = rng.random((n_fields, k.size)) >= 0.03
    f, j = np.nonzero(present)
    fields = np.r_[f, f]
    times = np.r_[t_night[j], t_night[j] + 0.05]
    bidx = np.r_[np.zeros(f.size, np.int64), np.ones(f.size, np.int64)]
    return _assemble("eros", ("eros::B", "eros::R"), fields, times, bidx, rng,
                     f"synthetic EROS-1-like B_E/R_E LMC schedule, {n_fields} fields, {years:g} yr from MJD {start_mjd:g}")


_BUILDERS = {"ztf": lambda **kw: ztf_survey(**kw), "lsst": lambda **kw: lsst_survey(**kw),
             "ztf_gri": lambda **kw: ztf_gri_survey(**kw), "ps1": lambda **kw: ps1_survey(**kw),
             "atlas": lambda **kw: atlas_survey(**kw), "des": lambda **kw: des_survey(**kw),
             "sdss": lambda **kw: sdss_survey(**kw), "eros": lambda **kw: eros_survey(**kw)}


def default_survey(name: str, start_mjd: float | None = None) -> Survey:
    """The default synthetic schedule of a survey in :data:`SURVEYS` (optionally starting at ``start_mjd``).

    Example:
        >>> default_survey("atlas").bands
        ('atlas::c', 'atlas::o')
    """
    name = str(name).lower()
    if name not in _BUILDERS:
        raise ValueError(f"unknown survey {name!r}; known surveys: {', '.join(SURVEYS)}")
    return _BUILDERS[name]() if start_mjd is None else _BUILDERS[name](start_mjd=float(start_mjd))


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
