"""Populations: volumetric rates, redshift draws, and the detection selection that keeps an object.

Redshifts are drawn from ``R(z) dV_c/dz / (1+z)`` (Planck18 comoving volume; the ``1/(1+z)`` is
cosmological time dilation of the rate) between the class's ``z_min`` and the survey-specific
``z_max``. Rates (PLAsTiCC, Kessler et al. 2019, PASP 131, 094501; per yr per Mpc^3):

========  ========================================================================
SN Ia     2.5e-5 (1+z)^1.5 for z < 1, 9.7e-5 (1+z)^-0.5 above (Dilday+2008, Hounsell+2018)
91bg      3.0e-6 (1+z)^1.5
Iax       6.0e-6 x MD14(z)
Ib/c      0.3 x R_CC(z), R_CC = 7.0e-5 x MD14(z) (Strolger+2015 normalisation)
II        0.7 x R_CC(z)
SLSN-I    2.0e-8 x MD14(z)
TDE       1.0e-6 (no evolution)
AGN       isotropic: constant comoving density up to z_max
========  ========================================================================

MD14 is the Madau & Dickinson (2014) star-formation history normalised to 1 at z = 0.

Selection: every drawn object is observed (forced photometry in its window) and kept only if the
survey *detects* it: at least two visits with ``|flux|/sigma >= 5``. The Malmquist bias (bright,
low-z objects preferentially kept) therefore emerges from the cadence and depths. Objects are drawn
in vectorised batches and the accepted ones kept in draw order until the requested count is reached.
As a pure speed-up, objects whose peak (in any band) is 1.5 mag (transients; AGN: whose 3-sigma
variability is 1.26 sigma) fainter than the survey's 99th-percentile depth are skipped before
their light curves are computed: their trigger probability is below ~1e-5.

Window: transients keep all visits from 30 observer-frame days before the first detection to 100
days after the trigger (second detection); AGN keep a fixed 730-day window.

Truth columns of every simulated object (:data:`META_COLUMNS`, NaN where not applicable):
``redshift``; ``peak_mjd`` (observer-frame bolometric maximum; NaN for AGN); ``t_explosion_mjd``;
``trigger_mjd`` (second detection); ``peak_abs_mag`` (rest-frame Bessell B at bolometric maximum,
before host dust but including the SN Ia colour term beta*c; AGN: M_i); ``distmod`` (Planck18);
``ebv_mw``, ``ebv_host``; ``n_detections``; ``field`` (schedule index); SN Ia ``x1``, ``color_c``;
``rise_days`` (rest-frame rise; SN II: rise e-folding time; TDE: Gaussian rise sigma; SLSN: tau_m),
``tau_m_days`` (diffusion time), ``magnetar_tp_days``, ``plateau_days``, ``decline_days`` (SN II
plateau slope in mag/100 d; TDE t0 of the t^-5/3 law), ``t_peak_k`` (temperature at maximum);
AGN ``agn_log_mbh``, ``agn_tau_days`` (rest), ``agn_sf_inf_mag`` and ``agn_mean_mag`` (both in the
band nearest 6200 A observed), ``agn_alpha_nu``. AGN fluxes are *difference* fluxes against a
template at the mean flux (as in difference imaging), so they scatter around zero.

Example:
    >>> rng = np.random.default_rng(0)
    >>> z = sample_redshifts(rng, "SN Ia", 1000, 0.0, 0.3)
    >>> bool(np.mean(z > 0.2) > np.mean(z < 0.1))   # volume grows with z
    True
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from astrokeras.simulation import sources as _src
from astrokeras.simulation import template_models as _tm
from astrokeras.simulation import templates as _tp
from astrokeras.simulation.surveys import DETECTION_SNR, ZERO_POINT, Survey

PRE_EXPLOSION_DAYS = 30.0
POST_TRIGGER_DAYS = 365.0
AGN_WINDOW_DAYS = 730.0
PRESCREEN_MARGIN_MAG = 1.5

#: (z_min, z_max) per class and survey: beyond z_max the brightest members are undetectable (set
#: >= 20 % beyond the highest redshift detected in runs of ~10^4 objects per class, so the cut is
#: not what shapes the detected redshift distribution; AGN: isotropic to z = 3 as in PLAsTiCC).
REDSHIFT_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "ztf": {"SN Ia": (0.005, 0.6), "SN Ia-91bg": (0.002, 0.32), "SN Iax": (0.002, 0.45),
            "SN Ib/c": (0.002, 0.55), "SN II": (0.002, 0.5), "TDE": (0.005, 1.6),
            "SLSN-I": (0.01, 2.1), "AGN": (0.01, 3.0)},
    "lsst": {"SN Ia": (0.01, 1.5), "SN Ia-91bg": (0.005, 0.9), "SN Iax": (0.005, 1.1),
             "SN Ib/c": (0.005, 1.25), "SN II": (0.005, 1.25), "TDE": (0.01, 4.0),
             "SLSN-I": (0.02, 3.9), "AGN": (0.02, 3.0)},
}


for _name, _like in (("ztf_gri", "ztf"), ("atlas", "ztf"), ("eros", "ztf"), ("ps1", "lsst"), ("des", "lsst"), ("sdss", "lsst")):
    REDSHIFT_RANGES[_name] = dict(REDSHIFT_RANGES[_like])


def md14(z: np.ndarray) -> np.ndarray:
    """Madau & Dickinson (2014) cosmic star-formation history shape, normalised to 1 at z = 0."""
    z = np.asarray(z, dtype=float)
    psi = (1 + z) ** 2.7 / (1 + ((1 + z) / 2.9) ** 5.6)
    return psi / (1.0 / (1 + (1 / 2.9) ** 5.6))


def volumetric_rate(label: str, z: np.ndarray) -> np.ndarray:
    """Volumetric rate (per yr per Mpc^3; AGN: relative density) at redshift ``z``.

    Example:
        >>> float(volumetric_rate("SN Ia", np.array([0.0]))[0])
        2.5e-05
    """
    z = np.asarray(z, dtype=float)
    if label == "SN Ia":
        return np.where(z < 1.0, 2.5e-5 * (1 + z) ** 1.5, 9.7e-5 * (1 + z) ** -0.5)
    if label == "SN Ia-91bg":
        return 3.0e-6 * (1 + z) ** 1.5
    if label == "SN Iax":
        return 6.0e-6 * md14(z)
    if label == "SN Ib/c":
        return 0.3 * 7.0e-5 * md14(z)
    if label == "SN II":
        return 0.7 * 7.0e-5 * md14(z)
    if label == "SLSN-I":
        return 2.0e-8 * md14(z)
    if label == "TDE":
        return np.full_like(z, 1.0e-6)
    if label == "AGN":
        return np.full_like(z, 1.0e-6)
    raise ValueError(f"unknown class {label!r}; known classes: {', '.join(_src.CLASSES)}")


_COSMO: dict[str, np.ndarray] = {}


def _cosmology_tables() -> dict[str, np.ndarray]:
    if not _COSMO:
        from astropy.cosmology import Planck18

        z = np.linspace(0.0, 4.0, 4001)
        z[0] = 1e-5
        _COSMO["z"] = z
        _COSMO["distmod"] = np.asarray(Planck18.distmod(z).value)
        _COSMO["dvdz"] = np.asarray(Planck18.differential_comoving_volume(z).value) * 4 * np.pi
    return _COSMO


def distance_modulus(z: np.ndarray) -> np.ndarray:
    """Planck18 distance modulus, interpolated on a 0.001-step grid (z <= 4).

    Example:
        >>> round(float(distance_modulus(np.array([0.1]))[0]), 2)
        38.39
    """
    t = _cosmology_tables()
    return interp_uniform(z, 0.0, 0.001, t["distmod"])


def interp_uniform(x: np.ndarray, x0: float, dx: float, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` sampled at ``x0 + k dx`` (clipped at the ends); O(1) per point.

    Example:
        >>> interp_uniform(np.array([0.25, 5.0]), 0.0, 0.5, np.array([0.0, 1.0, 4.0])).tolist()
        [0.5, 4.0]
    """
    f = (np.asarray(x, dtype=float) - x0) * (1.0 / dx)
    i = np.clip(f.astype(np.int64), 0, values.size - 2)
    f -= i
    np.clip(f, 0.0, 1.0, out=f)
    lo = values[i]
    return lo + (values[i + 1] - lo) * f


def sample_redshifts(rng: np.random.Generator, label: str, n: int, z_lo: float, z_hi: float) -> np.ndarray:
    """Draw ``n`` redshifts from ``R(z) dV/dz / (1+z)`` on ``[z_lo, z_hi]`` (inverse CDF on a grid)."""
    key = (label, float(z_lo), float(z_hi))
    if key not in _Z_CDF:
        grid = np.linspace(z_lo, z_hi, 2001)
        t = _cosmology_tables()
        pdf = volumetric_rate(label, grid) * np.interp(grid, t["z"], t["dvdz"]) / (1 + grid)
        cdf = np.r_[0.0, np.cumsum(0.5 * (pdf[1:] + pdf[:-1]))]
        u = np.linspace(0.0, 1.0, 8193)  # inverse CDF on a uniform grid: O(1) per draw
        _Z_CDF[key] = np.interp(u, cdf / cdf[-1], grid)
    return interp_uniform(rng.random(n), 0.0, 1.0 / 8192, _Z_CDF[key])


_Z_CDF: dict = {}


def draw_mw_ebv(rng: np.random.Generator, n: int) -> np.ndarray:
    """Milky-Way E(B-V): log-normal, median 0.035, sigma 0.6 dex-e, capped at 0.5 (SFD high-latitude-like)."""
    return np.minimum(np.exp(np.log(0.035) + 0.6 * rng.standard_normal(n)), 0.5)


# ---------------------------------------------------------------------------- the batch engine
#: metadata float columns every simulated object carries (NaN where not applicable)
META_COLUMNS = ("redshift", "peak_mjd", "t_explosion_mjd", "trigger_mjd", "peak_abs_mag", "distmod",
                "ebv_mw", "ebv_host", "n_detections", "field", "x1", "color_c", "rise_days", "tau_m_days",
                "magnetar_tp_days", "plateau_days", "decline_days", "t_peak_k", "agn_log_mbh",
                "agn_tau_days", "agn_sf_inf_mag", "agn_alpha_nu", "agn_mean_mag", "brightest_mag", "subtype_code",
                "template_index")

_PHOT = _src.SyntheticPhotometry()


def _noise(rng, flux_true, sky_sigma, gain_obs, floor: float = 0.0):
    """Gaussian noise from the sky (depth), source photons and a fractional floor; float32."""
    err = np.maximum(flux_true, 0.0)
    err *= gain_obs
    err += sky_sigma * sky_sigma
    if floor:
        err += (np.float32(floor) * flux_true) ** 2
    np.sqrt(err, out=err)
    flux = rng.standard_normal(flux_true.size, dtype=np.float32)
    flux *= err
    flux += flux_true
    return flux, err


def _survey_arrays(survey: Survey) -> dict:
    key = id(survey)
    cache = _SURVEY_CACHE.get(key)
    if cache is None or cache["survey"] is not survey:
        from astrokeras.simulation.surveys import DEFAULT_DIFFERENCE_IMAGING, DIFFERENCE_IMAGING

        offset, floor = DIFFERENCE_IMAGING.get(survey.name, DEFAULT_DIFFERENCE_IMAGING)
        f5 = 10.0 ** (-0.4 * (survey.depth_mag - offset - ZERO_POINT))
        cache = {"survey": survey, "sky_sigma": (f5 / DETECTION_SNR).astype(np.float32), "floor": floor,
                 "gain": (10.0 ** (-0.4 * (survey.electron_zp - ZERO_POINT))).astype(np.float32),
                 "best_depth": survey.best_depth(),
                 "wavelength_angstrom": np.array([_wl(b) for b in survey.bands])}
        _SURVEY_CACHE.clear()
        _SURVEY_CACHE[key] = cache
    return cache


_SURVEY_CACHE: dict = {}


def _wl(band: str) -> float:
    from astrokeras.bands import get_band

    return get_band(band).wavelength_um * 1e4


def _detections(obj: np.ndarray, time: np.ndarray, snr: np.ndarray, n_obj: int):
    """Per object: number of detections, time of the first and of the second (trigger) detection."""
    det = np.flatnonzero(np.abs(snr) >= DETECTION_SNR)
    det_obj = obj[det]
    count = np.bincount(det_obj, minlength=n_obj)
    first_t = np.full(n_obj, np.nan)
    trig_t = np.full(n_obj, np.nan)
    if det.size:
        first = np.flatnonzero(np.r_[True, det_obj[1:] != det_obj[:-1]])  # obj is sorted
        uniq = det_obj[first]
        first_t[uniq] = time[det[first]]
        two = first + 1 < det.size
        second_ok = np.zeros(uniq.size, bool)
        second_ok[two] = det_obj[first[two] + 1] == uniq[two]
        trig_t[uniq[second_ok]] = time[det[first[second_ok] + 1]]
    return count, first_t, trig_t


def _kmin(family: str, label: str, survey: Survey) -> np.ndarray:
    """Brightest possible ``A(T, z, b) - A_ref(T)`` over bands and 3000 K < T < 45000 K, per Z_GRID point.

    For SN Ia the bluest allowed colour (c = -0.3) is subtracted too. Used by the stage-1 screen.
    """
    key = ("kmin", family, label, survey.bands)
    if key not in _KMIN:
        grid = _src.param_grid(family)
        sel = (grid >= np.log10(3000.0)) & (grid <= np.log10(45000.0))
        tables = _PHOT.mag_tables(family, list(survey.bands))[:, :, sel]  # (B, Z, P)
        ref = _PHOT.reference(family, grid[sel])
        k = (tables - ref[None, None, :]).min(axis=(0, 2))
        if label == "SN Ia":
            nb, nz = len(survey.bands), _src.Z_GRID.size
            kc = _PHOT.dust(survey.bands, np.repeat(np.arange(nb), nz), np.tile(_src.Z_GRID, nb), r_v=2.1)
            k = k - 0.3 * kc.reshape(nb, nz).max(axis=0)
        _KMIN[key] = k
    return _KMIN[key]


_KMIN: dict = {}


class _TransientContext:
    """Per-object arrays of one batch (after the stage-1 screen) and the photometry of visits."""

    def __init__(self, rng, survey: Survey, model: _src.TransientModel, z, mu, stage1, shared: dict | None = None) -> None:
        n = z.size
        self.model, self.survey, self.z, self.mu = model, survey, z, mu
        self.sa = _survey_arrays(survey)
        bands, nb = survey.bands, len(survey.bands)
        if shared is None:
            self.p = p = _src.draw_transient_params(model, rng, n, stage1)
            self.field = rng.integers(0, survey.n_fields, n)
            self.ebv_mw = draw_mw_ebv(rng, n)
        else:  # the same objects seen by another survey (simulate_views)
            self.p = p = shared["p"]
            self.field, self.ebv_mw = shared["field"], shared["ebv_mw"]
        self.p32 = {k: v.astype(np.float32) for k, v in p.items()}
        self.duration = model.duration_days * (1 + z)
        self.t0 = (survey.t_start - self.duration + rng.random(n) * (survey.t_end - survey.t_start + self.duration)
                   if shared is None else shared["t0"])
        # per (object, band) constant magnitude offset: peak normalisation, distance, dust, Ia colour
        log_tpk = np.log10(p["t_peak_k"])
        ref = _PHOT.reference(model.family, log_tpk)
        ob = np.tile(np.arange(nb), n)
        zb = np.repeat(z, nb)
        mw = _PHOT.dust(bands, np.arange(nb), np.zeros(nb))
        offset = (p["peak_abs_mag"] - ref + mu)[:, None] + self.ebv_mw[:, None] * mw[None, :]
        if model.host_ebv_mean > 0:
            offset = offset + p["host_ebv"][:, None] * _PHOT.dust(bands, ob, zb).reshape(n, nb)
        if model.name == "SN Ia":
            offset = offset + p["color_c"][:, None] * _PHOT.dust(bands, ob, zb, r_v=2.1).reshape(n, nb)
        self.offset = offset.ravel().astype(np.float32)
        peak = offset + _PHOT.magnitude(model.family, bands, ob, zb, np.repeat(log_tpk, nb)).reshape(n, nb)
        self.visible = np.any(peak < self.sa["best_depth"][None, :] + PRESCREEN_MARGIN_MAG, axis=1)

    def observe(self, rng, gobj: np.ndarray, visit: np.ndarray):
        """Times, band indices, noisy fluxes and errors of visits ``visit`` of objects ``gobj``."""
        survey, sa, nb = self.survey, self.sa, len(self.survey.bands)
        t_obs = survey.time_mjd[visit]
        b = survey.band_idx[visit].astype(np.int32)
        zo = self.z[gobj]
        t_rest = ((t_obs - self.t0[gobj]) / (1 + zo)).astype(np.float32)
        dm, log_t = _src.transient_lightcurve(self.model, self.p32, gobj, t_rest)
        mag = self.offset[gobj * nb + b] + dm
        mag += _PHOT.magnitude(self.model.family, survey.bands, b, zo, log_t)
        mag -= ZERO_POINT
        mag *= -0.4
        np.minimum(mag, 30.0, out=mag)
        flux_true = np.power(np.float32(10.0), mag)  # 10**-inf = 0 before explosion
        flux, err = _noise(rng, flux_true, sa["sky_sigma"][visit], sa["gain"][b], sa["floor"])
        return t_obs, b, flux, err


@dataclass(frozen=True)
class Options:
    """How objects are modelled and observed (arguments of :func:`~astrokeras.simulation.simulate`).

    Attributes:
        sed: ``"templates"`` (SN Ia from SALT/Hsiao, SN II and Ib/c from the SNANA templates; see
            :mod:`~astrokeras.simulation.template_models`) or ``"analytic"`` (the data-free
            blackbody photospheres of :mod:`~astrokeras.simulation.sources`).
        ia_model: ``"salt3"``, ``"salt2"`` (SALT2-B21) or ``"hsiao"`` (with ``sed="templates"``).
        pre_explosion_days: observer days before explosion where the window starts.
        post_trigger_days: observer days after the trigger (second detection) where it ends.
        peak_mag_max: keep only objects whose brightest detection is brighter than this AB
            magnitude (a BTS-like spectroscopic selection: 18.5 for ZTF BTS, Perley et al. 2020);
            None keeps every detected object.
    """

    sed: str = "templates"
    ia_model: str = "salt3"
    pre_explosion_days: float = PRE_EXPLOSION_DAYS
    post_trigger_days: float = POST_TRIGGER_DAYS
    peak_mag_max: float | None = None

    def __post_init__(self) -> None:
        if self.sed not in ("templates", "analytic"):
            raise ValueError(f"sed must be 'templates' or 'analytic', got {self.sed!r}")
        if self.ia_model not in _tm.IA_MODELS:
            raise ValueError(f"ia_model must be one of {', '.join(_tm.IA_MODELS)}, got {self.ia_model!r}")
        for name in ("pre_explosion_days", "post_trigger_days"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite non-negative number of days, got {v!r}")
        if self.peak_mag_max is not None and not np.isfinite(self.peak_mag_max):
            raise ValueError(f"peak_mag_max must be a finite magnitude or None, got {self.peak_mag_max!r}")

    def uses_templates(self, label: str) -> bool:
        return self.sed == "templates" and label in _tm.TEMPLATE_CLASSES


DEFAULT_OPTIONS = Options()


def _noise_fn(sa):
    def noise(rng, flux_true, visit, b):
        return _noise(rng, flux_true, sa["sky_sigma"][visit], sa["gain"][b], sa["floor"])
    return noise


def _screen_kmin(label: str, survey: Survey, opts: Options) -> tuple[np.ndarray, float]:
    """(k(z) on its grid, grid step) for the stage-1 screen."""
    if opts.uses_templates(label):
        key = ("tkmin", label, survey.bands, opts.ia_model)
        if key not in _KMIN:
            _KMIN[key] = _tm.kmin(label, list(survey.bands), opts.ia_model)
        return _KMIN[key], float(_tp.TEMPLATE_Z_GRID[1])
    return _kmin(_src.TRANSIENTS[label].family, label, survey), float(_src.Z_GRID[1])


def _draw_stage1(label: str, rng, n: int, opts: Options) -> dict:
    if opts.uses_templates(label):
        return _tm.draw_stage1(label, rng, n)
    return _src.draw_peak_magnitudes(_src.TRANSIENTS[label], rng, n)


def _make_context(rng, survey: Survey, label: str, z, mu, stage1, opts: Options, depth_limit, shared=None):
    if opts.uses_templates(label):
        return _tm.TemplateContext(rng, survey, label, z, mu, stage1, opts.ia_model, _PHOT, depth_limit,
                                   _src.TRANSIENTS[label].duration_days, draw_mw_ebv, shared=shared)
    return _TransientContext(rng, survey, _src.TRANSIENTS[label], z, mu, stage1, shared=shared)


def shared_draw(ctx, survey: Survey) -> dict:
    """The per-object draw of ``ctx`` for re-observing the same objects with ``survey``.

    The sky position is kept as a position in [0, 1) (the field's index over the number of fields),
    so a survey with a different number of fields still sees one fixed field per object.
    """
    u = (ctx.field + 0.5) / ctx.survey.n_fields
    return {"p": ctx.p, "ebv_mw": ctx.ebv_mw, "t0": ctx.t0,
            "field": np.minimum((u * survey.n_fields).astype(np.int64), survey.n_fields - 1)}


def _observe(ctx, rng, gobj, visit, sa):
    if isinstance(ctx, _tm.TemplateContext):
        return ctx.observe(rng, gobj, visit, _noise_fn(sa))
    return ctx.observe(rng, gobj, visit)


def _depth_limit(sa: dict, opts: Options) -> np.ndarray:
    lim = sa["best_depth"].copy()
    if opts.peak_mag_max is not None:
        lim = np.minimum(lim, opts.peak_mag_max)
    return lim + PRESCREEN_MARGIN_MAG


def _brightest_detection_mag(obj: np.ndarray, flux: np.ndarray, err: np.ndarray, n_obj: int) -> np.ndarray:
    """Per object: AB magnitude of its brightest S/N >= 5 detection (inf if none); obj need not be sorted."""
    best = np.zeros(n_obj)
    det = (flux / err >= DETECTION_SNR) & (flux > 0)
    np.maximum.at(best, obj[det], flux[det])
    with np.errstate(divide="ignore"):
        return np.where(best > 0, ZERO_POINT - 2.5 * np.log10(np.maximum(best, 1e-30)), np.inf)


def _transient_batch(rng, survey: Survey, label: str, n: int, z_lo: float, z_hi: float,
                     opts: Options = DEFAULT_OPTIONS, extra_surveys: tuple = ()) -> dict:
    sa = _survey_arrays(survey)
    depth_limit = _depth_limit(sa, opts)
    # stage 1: redshift and peak magnitude only; skip objects that cannot reach the depth
    z = sample_redshifts(rng, label, n, z_lo, z_hi)
    stage1 = _draw_stage1(label, rng, n, opts)
    mu = distance_modulus(z)
    kmin, dz = _screen_kmin(label, survey, opts)
    bound = stage1["peak_abs_mag"] + mu + interp_uniform(z, 0.0, dz, kmin)
    ok = np.flatnonzero(bound < depth_limit.max())
    ctx = _make_context(rng, survey, label, z[ok], mu[ok], {k: v[ok] for k, v in stage1.items()}, opts, depth_limit)
    m = ok.size

    # pass 1: visits from before explosion to the end of the trigger period
    cand = np.flatnonzero(ctx.visible)
    t0, dur = ctx.t0[cand], ctx.duration[cand]
    obj, visit = survey.visits(ctx.field[cand], t0 - opts.pre_explosion_days, t0 + dur)
    gobj = cand[obj]
    t_obs, b, flux, err = _observe(ctx, rng, gobj, visit, sa)
    count, first_t, trig_t = _detections(obj, t_obs, flux / err, cand.size)
    keep_c = count >= 2
    in_win = keep_c[obj] & (t_obs <= trig_t[obj] + opts.post_trigger_days)
    # pass 2: the rest of the post-trigger window, for detected objects only
    kc = np.flatnonzero(keep_c)
    obj2, visit2 = survey.visits(ctx.field[cand[kc]], t0[kc] + dur[kc] + 1e-7, trig_t[kc] + opts.post_trigger_days)
    gobj2 = cand[kc[obj2]]
    t2, b2, flux2, err2 = _observe(ctx, rng, gobj2, visit2, sa)
    g_all = np.concatenate([gobj[in_win], gobj2])
    order = np.argsort(g_all, kind="stable")  # pass-2 visits are later than pass-1 visits of an object
    kept = cand[keep_c]
    g_all = g_all[order]
    t_all = np.concatenate([t_obs[in_win], t2])[order]
    b_all = np.concatenate([b[in_win], b2])[order]
    f_all = np.concatenate([flux[in_win], flux2])[order]
    e_all = np.concatenate([err[in_win], err2])[order]
    brightest = np.full(m, np.inf)
    brightest[:] = _brightest_detection_mag(g_all, f_all, e_all, m)
    if opts.peak_mag_max is not None:
        kept = kept[brightest[kept] < opts.peak_mag_max]
        sel = np.isin(g_all, kept)
        g_all, t_all, b_all, f_all, e_all = g_all[sel], t_all[sel], b_all[sel], f_all[sel], e_all[sel]

    p = ctx.p
    meta = {
        "redshift": ctx.z, "peak_mjd": ctx.t0 + p["t_peak_days"] * (1 + ctx.z), "t_explosion_mjd": ctx.t0,
        "peak_abs_mag": p["peak_abs_mag"] + (3.1 * p["color_c"] if label == "SN Ia" and not opts.uses_templates(label) else 0.0),
        "distmod": ctx.mu, "ebv_mw": ctx.ebv_mw, "ebv_host": p["host_ebv"], "field": ctx.field.astype(float),
        "x1": p["x1"], "color_c": p["color_c"], "rise_days": p["rise_days"], "tau_m_days": p["tau_m_days"],
        "magnetar_tp_days": p["magnetar_tp_days"], "plateau_days": p["plateau_days"],
        "decline_days": p["decline_days"], "t_peak_k": p["t_peak_k"], "brightest_mag": brightest,
        "subtype_code": p.get("subtype_code", np.full(m, np.nan)),
        "template_index": p.get("template_index", np.full(m, np.nan)),
    }
    full_trig = np.full(m, np.nan)
    full_trig[cand] = trig_t
    full_count = np.zeros(m)
    full_count[cand] = count
    meta["trigger_mjd"] = full_trig
    meta["n_detections"] = full_count
    res = _batch_result(m, kept, g_all, t_all, b_all, f_all, e_all, meta)
    res["n_drawn"] = n
    # the same kept objects through other surveys: same parameters, explosion time and sky position,
    # observed over the same window (30 d before explosion to post_trigger_days after the trigger)
    res["views"] = []
    trig_full = np.full(m, np.nan)
    trig_full[cand] = trig_t
    for sv in extra_surveys:
        cx = _make_context(rng, sv, label, ctx.z, ctx.mu, None, opts, _depth_limit(_survey_arrays(sv), opts),
                           shared=shared_draw(ctx, sv))
        ox, vx = sv.visits(cx.field[kept], ctx.t0[kept] - opts.pre_explosion_days, trig_full[kept] + opts.post_trigger_days)
        gx = kept[ox]
        tx, bx, fx, ex = _observe(cx, rng, gx, vx, _survey_arrays(sv))
        vres = _batch_result(m, kept, gx, tx, bx, fx, ex, {})
        vres["survey"] = sv
        res["views"].append(vres)
    return res


def _agn_batch(rng, survey: Survey, n: int, z_lo: float, z_hi: float) -> dict:
    sa = _survey_arrays(survey)
    bands, nb = survey.bands, len(survey.bands)
    z = sample_redshifts(rng, "AGN", n, z_lo, z_hi)
    p = _src.draw_agn_params(rng, n)
    field = rng.integers(0, survey.n_fields, n)
    ebv_mw = draw_mw_ebv(rng, n)
    mu = distance_modulus(z)
    ob = np.repeat(np.arange(nb)[None, :], n, 0).ravel()
    zb = np.repeat(z, nb)
    ref = _PHOT.reference("powerlaw", p["alpha_nu"], kind="agn")
    mean_mag = ((p["m_i"] - ref + mu)[:, None] + ebv_mw[:, None] * _PHOT.dust(bands, np.arange(nb), np.zeros(nb))[None, :]
                + _PHOT.magnitude("powerlaw", bands, ob, zb, np.repeat(p["alpha_nu"], nb)).reshape(n, nb))
    wl_rest = sa["wavelength_angstrom"][None, :] / (1 + z)[:, None]
    sf, _ = _src.macleod_drw(wl_rest, p["m_i"][:, None], p["log_mbh"][:, None])
    sf = sf * 10 ** p["sf_scatter_dex"][:, None]
    _, tau = _src.macleod_drw(6200.0 / (1 + z), p["m_i"], p["log_mbh"])
    tau = tau * 10 ** p["tau_scatter_dex"]
    sigma_mag = sf / np.sqrt(2.0)  # stationary std of the DRW in magnitudes
    f_mean = 10.0 ** (-0.4 * (mean_mag - ZERO_POINT))
    best_sigma = 10.0 ** (-0.4 * (sa["best_depth"] - ZERO_POINT)) / DETECTION_SNR
    amp = f_mean * (10 ** (0.4 * 3.0 * sigma_mag) - 1.0)
    visible = np.any(amp > 1.26 * best_sigma[None, :], axis=1)

    span = max(survey.t_end - survey.t_start - AGN_WINDOW_DAYS, 0.0)
    t_lo = survey.t_start + rng.random(n) * span
    cand = np.flatnonzero(visible)
    obj, visit = survey.visits(field[cand], t_lo[cand], t_lo[cand] + AGN_WINDOW_DAYS)
    gobj = cand[obj]
    t_obs = survey.time_mjd[visit]
    b = survey.band_idx[visit].astype(np.int64)
    offsets = np.r_[0, np.cumsum(np.bincount(obj, minlength=cand.size))]
    walk = _src.damped_random_walk(rng, t_obs / (1 + z[gobj]), offsets, tau[cand], np.ones(cand.size))
    dmag = sigma_mag.ravel()[gobj * nb + b] * walk
    fm = f_mean.ravel()[gobj * nb + b]
    total = fm * 10.0 ** (-0.4 * dmag)
    err = np.sqrt(sa["sky_sigma"][visit] ** 2 + total * sa["gain"][b])
    flux = (total - fm) + err * rng.standard_normal(total.size)  # difference flux vs the mean-flux template
    count, _, trig_t = _detections(obj, t_obs, flux / err, cand.size)
    keep_c = count >= 2
    in_win = keep_c[obj]
    kept = cand[keep_c]
    nan = np.full(n, np.nan)
    full_trig = nan.copy()
    full_trig[cand] = trig_t
    full_count = np.zeros(n)
    full_count[cand] = count
    ref_band = int(np.argmin(np.abs(sa["wavelength_angstrom"] - 6200.0)))
    meta = {"redshift": z, "peak_mjd": nan, "t_explosion_mjd": nan, "trigger_mjd": full_trig,
            "peak_abs_mag": p["m_i"], "distmod": mu, "ebv_mw": ebv_mw, "ebv_host": p["host_ebv"],
            "n_detections": full_count, "field": field.astype(float), "agn_log_mbh": p["log_mbh"],
            "agn_tau_days": tau, "agn_sf_inf_mag": sf[:, ref_band], "agn_alpha_nu": p["alpha_nu"],
            "agn_mean_mag": mean_mag[:, ref_band]}
    return _batch_result(n, kept, gobj[in_win], t_obs[in_win], b[in_win], flux[in_win], err[in_win], meta)


def _batch_result(n, kept, gobj, t_obs, b, flux, err, meta) -> dict:
    remap = np.full(n, -1, dtype=np.int64)
    remap[kept] = np.arange(kept.size)
    out_meta = {k: np.full(kept.size, np.nan) for k in META_COLUMNS}
    for k, v in meta.items():
        out_meta[k] = np.asarray(v, dtype=float)[kept]
    return {"n_drawn": n, "obj": remap[gobj], "time_mjd": t_obs, "band_idx": b.astype(np.int8),
            "flux": flux, "flux_err": err, "meta": out_meta}


def prepare(survey: Survey, labels, opts: Options = DEFAULT_OPTIONS) -> None:
    """Build every table the given classes need in this survey (call before forking workers)."""
    _cosmology_tables()
    _survey_arrays(survey)
    for label in labels:
        if label == "AGN":
            _PHOT.magnitude("powerlaw", survey.bands, np.zeros(1, np.int64), np.zeros(1), np.zeros(1))
            _PHOT.reference("powerlaw", np.zeros(1), kind="agn")
            continue
        model = _src.TRANSIENTS[label]
        _PHOT.dust(survey.bands, np.zeros(1, np.int64), np.zeros(1))
        _PHOT.dust(survey.bands, np.zeros(1, np.int64), np.zeros(1), r_v=2.1)
        if opts.uses_templates(label):
            _screen_kmin(label, survey, opts)
            tables = _tp.template_tables()
            if label != "SN Ia":
                tables.cc_reference()
            elif opts.ia_model == "hsiao":
                tables.hsiao_reference()
                tables.salt("salt3", survey.bands)
            else:
                tables.salt_reference(opts.ia_model)
            continue
        _kmin(model.family, label, survey)
        _PHOT.magnitude(model.family, survey.bands, np.zeros(1, np.int64), np.zeros(1), np.full(1, 4.0))
        _src.arnett_table() if model.lightcurve == "arnett" else None
        _src.magnetar_table() if model.lightcurve == "magnetar" else None


def bright_redshift_limit(label: str, survey: Survey, peak_mag_max: float, opts: Options = DEFAULT_OPTIONS) -> float:
    """Redshift beyond which no object of ``label`` can have a detection brighter than ``peak_mag_max``.

    From the class's brightest allowed peak magnitude, the distance modulus and the brightest
    K-correction over bands (the pre-screen's bound), with a 0.3 mag margin for noise.
    """
    if label == "AGN":
        return np.inf
    if opts.uses_templates(label):
        m_bright = _tm.brightest_abs_mag(label)
    else:
        model = _src.TRANSIENTS[label]
        m_bright = model.mag_range[0] - (0.42 + 0.93 if label == "SN Ia" else 0.0)
    kmin, dz = _screen_kmin(label, survey, opts)
    z = np.linspace(0.001, 4.0, 4000)
    ok = m_bright + distance_modulus(z) + interp_uniform(z, 0.0, dz, kmin) - 0.3 < peak_mag_max
    return float(z[ok].max()) if ok.any() else 0.001


def simulate_class(survey: Survey, label: str, n: int, seed, redshift_range: tuple[float, float] | None = None,
                   max_draws: int | None = None, opts: Options = DEFAULT_OPTIONS, extra_surveys: tuple = ()) -> dict:
    """Simulate ``n`` detected objects of one class in one survey (flat arrays; see :func:`_batch_result`).

    Args:
        survey: a :class:`~astrokeras.simulation.surveys.Survey`.
        label: class name (one of :data:`~astrokeras.simulation.sources.CLASSES`).
        n: number of *detected* objects wanted.
        seed: anything ``numpy.random.default_rng`` accepts (a ``SeedSequence`` for chunks).
        redshift_range: ``(z_lo, z_hi)`` overriding the class/survey default.
        max_draws: give up (``RuntimeError``) after this many draws (default ``max(2000 n, 1e6)``).
        opts: :class:`Options` (SED models, window, BTS-like peak-magnitude selection).
        extra_surveys: more :class:`Survey` objects that observe the same kept objects; their
            results are in ``out["views"]`` (same layout, metadata left NaN).

    Returns:
        dict with ``obj`` (0..n-1), ``time_mjd``, ``band_idx`` (into ``survey.bands``), ``flux``,
        ``flux_err``, ``meta`` (dict of per-object float arrays, :data:`META_COLUMNS`), ``n_drawn``.
    """
    rng = np.random.default_rng(seed)
    z_lo, z_hi = redshift_range or REDSHIFT_RANGES.get(survey.name, REDSHIFT_RANGES["lsst"])[label]
    if opts.peak_mag_max is not None:  # nothing beyond this redshift can pass the selection
        z_hi = max(min(z_hi, bright_redshift_limit(label, survey, opts.peak_mag_max, opts)), z_lo + 1e-3)
    parts, have, drawn, rate = [], 0, 0, 0.3
    max_draws = max_draws or max(2000 * n, 1_000_000)
    while have < n:
        need = n - have
        batch = int(min(max(need / max(rate, 1e-3) * 1.2, 256), 20000))
        if label == "AGN":
            if extra_surveys:
                raise ValueError("simulate_views supports the transient classes; AGN has no shared-draw view yet")
            res = _agn_batch(rng, survey, batch, z_lo, z_hi)
        else:
            res = _transient_batch(rng, survey, label, batch, z_lo, z_hi, opts, extra_surveys)
        n_kept = res["meta"]["redshift"].size
        drawn += batch
        if n_kept:
            parts.append(_truncate(res, need))
            have += min(n_kept, need)
        rate = max(have / drawn, 1e-4)
        if have < n and drawn >= max_draws:
            raise RuntimeError(
                f"only {have} of {n} {label} objects were detected in {drawn} draws with redshifts in "
                f"[{z_lo}, {z_hi}] in survey {survey.name!r}; widen the redshift range or use a deeper survey")
    out = _concat(parts, drawn)
    if extra_surveys:
        out["views"] = [_concat([p["views"][j] for p in parts], drawn) for j in range(len(extra_surveys))]
    return out


def _truncate(res: dict, need: int) -> dict:
    n_kept = res["meta"]["redshift"].size
    if n_kept <= need:
        return res
    m = res["obj"] < need
    out = {"n_drawn": res["n_drawn"], "obj": res["obj"][m], "time_mjd": res["time_mjd"][m],
           "band_idx": res["band_idx"][m], "flux": res["flux"][m], "flux_err": res["flux_err"][m],
           "meta": {k: v[:need] for k, v in res["meta"].items()}}
    if res.get("views"):
        out["views"] = [_truncate(v, need) for v in res["views"]]
    return out


def _concat(parts: list[dict], drawn: int) -> dict:
    if not parts:
        return {"n_drawn": drawn, "obj": np.zeros(0, np.int64), "time_mjd": np.zeros(0), "band_idx": np.zeros(0, np.int8),
                "flux": np.zeros(0), "flux_err": np.zeros(0), "meta": {k: np.zeros(0) for k in META_COLUMNS}}
    shift = np.cumsum([0] + [p["meta"]["redshift"].size for p in parts[:-1]])
    return {"n_drawn": drawn,
            "obj": np.concatenate([p["obj"] + s for p, s in zip(parts, shift)]),
            **{k: np.concatenate([p[k] for p in parts]) for k in ("time_mjd", "band_idx", "flux", "flux_err")},
            "meta": {k: np.concatenate([p["meta"][k] for p in parts]) for k in META_COLUMNS}}
