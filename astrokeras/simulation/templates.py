"""Spectral time-series templates (SALT3, SALT2-B21, Hsiao, SNANA core collapse) as fast band tables.

The simulator never integrates a spectrum per observation. For every template and band it
tabulates, once per process, the photon-counting band flux of the redshifted template on a uniform
grid of rest-frame phase (days from rest-frame B maximum, :data:`PHASE_GRID`) and redshift
(:data:`TEMPLATE_Z_GRID`); an observation is a bilinear look-up (float32) in that table. Units:
``10**(-0.4 m_AB)`` of the template's own flux scale (the absolute scale cancels: every object is
normalised through its rest-frame Bessell B magnitude at phase 0).

Templates (``$ASTROKERAS_DATA/sim_blocks``):

* **SALT3** (Kenworthy et al. 2021, ApJ 923, 265; the M0/M1/colour-law files of the
  ``salt3_yunyishen`` folder, 2000-11000 A, phases -20..+50 d) and **SALT2-B21** (Taylor et al.
  2021 / Brout et al. 2022 Pantheon+ retraining, 2000-9200 A): flux
  ``x0 (M0 + x1 M1) 10**(-0.4 c CL(lambda))`` with the SALT2 colour-law polynomial (Guy et al. 2007,
  A&A 466, 11, eq. 7; linear extrapolation outside 2800-7000 A). Tables: ``M0``, ``M1`` and the
  colour slope ``K = dm/dc`` (evaluated at c = 0.1; the colour law is applied per wavelength inside
  the band integral, so K carries the K-correction of the colour term).
* **Hsiao** (Hsiao et al. 2007, ApJ 663, 1187; 1000-25000 A, -20..+85 d): one component; a
  stretch ``s`` rescales its phase axis.
* **SNANA core collapse** (28 SDSS/CSP spectrophotometric templates, Kessler et al. 2010, PASP
  122, 1415; 17 IIP, 4 Ib, 5 Ic, 2 IIn, extended to 300-20000 A by S. Rodney): one table each.

Outside a template's phases: before its first phase the flux rises as ``(t - t_exp)**2`` from zero at
``t_exp`` = first phase - :data:`PRE_RISE_DAYS` (a fireball rise; the templates start 2-4 mag below
peak, SALT at ~0); after its last phase each band declines linearly in magnitude with the slope of
its last :data:`TAIL_FIT_DAYS` days, clipped to :data:`TAIL_SLOPE_RANGE` mag/day (late SN decline
is 0.01-0.03 mag/d: 56Co decay with gamma-ray leakage, e.g. Leibundgut 2000). Outside a template's
wavelength range the SED is extended by ``f_lambda ∝ lambda**-3`` on the red side and is zero on
the blue side (far-UV flux of SNe is negligible).

Example:
    >>> t = template_tables()                                    # doctest: +SKIP
    >>> f0 = t.salt("salt3", ["ztf::g"])["M0"]                   # doctest: +SKIP
    >>> f0.shape == (1, TEMPLATE_Z_GRID.size, PHASE_GRID.size)   # doctest: +SKIP
    True
"""

from __future__ import annotations

import functools
import glob
import gzip
import os
import threading

import numpy as np

PHASE_GRID = np.arange(-60.0, 421.0, 1.0)  # rest-frame days from B maximum
TEMPLATE_Z_GRID = np.linspace(0.0, 2.0, 101)
PRE_RISE_DAYS = 5.0
TAIL_FIT_DAYS = 15.0
TAIL_SLOPE_RANGE = (0.008, 0.03)

#: SALT2 colour-law reference wavelengths (Guy et al. 2007; as in SNANA and sncosmo)
SALT_B_WAVELENGTH, SALT_V_WAVELENGTH = 4302.57, 5428.55

#: SNANA template -> subtype (from each file's ``SNTYPE`` header; IIN written IIn here)
CC_SUBTYPES = ("IIP", "IIn", "Ib", "Ic")

_N_BAND_SAMPLES = 256
_AB_FNU = 3631e-23
_C_ANGSTROM = 2.99792458e18


def sim_blocks_path(data_home: str | None = None) -> str:
    """``$ASTROKERAS_DATA/sim_blocks`` (raises a clear error when the templates are missing)."""
    from astrokeras.datasets.home import dataset_path

    return dataset_path("sim_blocks", data_home, must_contain="salt3_yunyishen",
                        how_to_get="The template SEDs (SALT3, SALT2-B21, Hsiao, SNANA core collapse) live in "
                                   "sim_blocks/; point $ASTROKERAS_DATA at a data home that has it, or pass "
                                   "sed='analytic' to astrokeras.simulate for the data-free blackbody models.")


# ---------------------------------------------------------------------------- readers
def _read_grid(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``phase wavelength flux`` text grid -> (phases, wavelengths, flux[phase, wave])."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        data = np.loadtxt(fh, comments="#")
    phases = np.unique(data[:, 0])
    waves = np.unique(data[:, 1])
    flux = np.zeros((phases.size, waves.size))
    flux[np.searchsorted(phases, data[:, 0]), np.searchsorted(waves, data[:, 1])] = data[:, 2]
    return phases, waves, flux


def salt_colorlaw(wavelength_angstrom: np.ndarray, coeffs, wave_range=(2800.0, 7000.0)) -> np.ndarray:
    """SALT2/SALT3 colour law ``CL(lambda)`` (version 1: polynomial in reduced wavelength, linear outside).

    ``CL(B) = 0`` and ``CL(V) = -1``, so ``10**(-0.4 c CL)`` gives ``B - V = c`` at first order.

    Example:
        >>> cl = salt_colorlaw(np.array([SALT_B_WAVELENGTH, SALT_V_WAVELENGTH]), [-0.5, 0.8, -0.3, 0.05])
        >>> np.round(cl, 6).tolist()
        [-0.0, -1.0]
    """
    coeffs = [float(c) for c in coeffs]
    poly = np.r_[0.0, 1.0 - sum(coeffs), coeffs]  # P(l) = sum_k poly[k] l^k
    dpoly = poly[1:] * np.arange(1, poly.size)
    scale = SALT_V_WAVELENGTH - SALT_B_WAVELENGTH
    l = (np.asarray(wavelength_angstrom, dtype=float) - SALT_B_WAVELENGTH) / scale
    lo, hi = ((w - SALT_B_WAVELENGTH) / scale for w in wave_range)
    p = np.polynomial.polynomial.polyval(np.clip(l, lo, hi), poly)
    p_lo, p_hi = (np.polynomial.polynomial.polyval(x, poly) for x in (lo, hi))
    d_lo, d_hi = (np.polynomial.polynomial.polyval(x, dpoly) for x in (lo, hi))
    p = np.where(l < lo, p_lo + d_lo * (l - lo), np.where(l > hi, p_hi + d_hi * (l - hi), p))
    return -p


def _read_colorlaw(path: str) -> tuple[list[float], tuple[float, float]]:
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as fh:
        tokens = fh.read().split()
    n = int(tokens[0])
    coeffs = [float(x) for x in tokens[1:1 + n]]
    lo, hi = 2800.0, 7000.0
    rest = tokens[1 + n:]
    for key, val in zip(rest[::2], rest[1::2]):
        if key.endswith("min_lambda"):
            lo = float(val)
        elif key.endswith("max_lambda"):
            hi = float(val)
    return coeffs, (lo, hi)


@functools.lru_cache(maxsize=None)
def load_salt(version: str = "salt3", data_home: str | None = None) -> dict:
    """SALT components: ``phases``, ``waves``, ``M0``, ``M1`` (phase, wave) and ``colorlaw`` (callable).

    ``version``: ``"salt3"`` (Kenworthy et al. 2021) or ``"salt2"`` (SALT2-B21, Pantheon+).
    """
    root = sim_blocks_path(data_home)
    folder, prefix = {"salt3": ("salt3_yunyishen", "salt3"), "salt2": ("salt2_B21_pantheonplus", "salt2")}[version]
    ph, w, m0 = _read_grid(os.path.join(root, folder, f"{prefix}_template_0.dat.gz"))
    ph1, w1, m1 = _read_grid(os.path.join(root, folder, f"{prefix}_template_1.dat.gz"))
    if not (np.array_equal(ph, ph1) and np.array_equal(w, w1)):
        raise ValueError(f"{version}: M0 and M1 grids differ")
    coeffs, wr = _read_colorlaw(os.path.join(root, folder, "salt2_color_correction.dat.gz"))
    return {"phases": ph, "waves": w, "M0": m0, "M1": m1, "coeffs": coeffs, "wave_range": wr,
            "colorlaw": functools.partial(salt_colorlaw, coeffs=coeffs, wave_range=wr)}


@functools.lru_cache(maxsize=None)
def load_hsiao(data_home: str | None = None) -> dict:
    """The Hsiao et al. (2007) SN Ia template: ``phases`` (-20..85 d), ``waves`` (1000-25000 A), ``flux``."""
    from astropy.io import fits

    path = os.path.join(sim_blocks_path(data_home), "hsiao", "Hsiao_SED_V3_subsampled.fits")
    with fits.open(path) as hdul:
        h, flux = hdul[0].header, np.asarray(hdul[0].data, dtype=float)
    waves = h["CRVAL1"] + h["CDELT1"] * (np.arange(h["NAXIS1"]) + 1 - h["CRPIX1"])
    phases = h["CRVAL2"] + h["CDELT2"] * (np.arange(h["NAXIS2"]) + 1 - h["CRPIX2"])
    return {"phases": phases, "waves": waves, "flux": flux}


@functools.lru_cache(maxsize=None)
def load_cc_templates(data_home: str | None = None) -> tuple[dict, ...]:
    """The SNANA core-collapse templates, sorted by name: dicts with ``name``, ``subtype``, grids."""
    files = sorted(glob.glob(os.path.join(sim_blocks_path(data_home), "snana_ccsn_seds", "*.SED.gz")))
    if not files:
        raise FileNotFoundError("sim_blocks/snana_ccsn_seds has no *.SED.gz templates")
    out = []
    for path in files:
        with gzip.open(path, "rt") as fh:
            subtype = next((line.split(":", 1)[1].strip() for line in fh if "SNTYPE" in line), "")
        subtype = {"IIN": "IIn"}.get(subtype.upper(), subtype)
        if subtype not in CC_SUBTYPES:
            raise ValueError(f"{path}: unknown SNTYPE {subtype!r}")
        ph, w, f = _read_grid(path)
        out.append({"name": os.path.basename(path).split(".")[0], "subtype": subtype,
                    "phases": ph, "waves": w, "flux": np.clip(f, 0.0, None)})
    return tuple(out)


# ---------------------------------------------------------------------------- synthetic photometry
def _band_samples(band: str) -> tuple[np.ndarray, np.ndarray]:
    from astrokeras.simulation.sources import _band_samples as samples

    return samples(band)


def band_fluxes(waves: np.ndarray, flux: np.ndarray, band: str, z_grid: np.ndarray = TEMPLATE_Z_GRID) -> np.ndarray:
    """Photon-counting band flux ``10**(-0.4 m_AB)`` of SED rows ``flux`` (P, W) redshifted to each z: (P, Z).

    ``m_AB = -2.5 log10[ int f_lambda(lambda/(1+z)) T lambda dlambda / ((1+z) int f_AB T lambda dlambda) ]``
    (the distance modulus is applied separately, as in :func:`~astrokeras.simulation.sources.ab_magnitude_table`).
    """
    w, trans = _band_samples(band)
    z = np.asarray(z_grid, dtype=float)
    rest = (w[None, :] / (1.0 + z[:, None])).ravel()
    waves = np.asarray(waves, dtype=float)
    i = np.clip(np.searchsorted(waves, rest) - 1, 0, waves.size - 2)
    frac = np.clip((rest - waves[i]) / (waves[i + 1] - waves[i]), 0.0, 1.0)
    sed = flux[:, i] * (1.0 - frac) + flux[:, i + 1] * frac  # (P, Z*W)
    red_end = np.mean(flux[:, waves >= waves[-1] - 200.0], axis=1, keepdims=True)
    sed = np.where(rest[None, :] > waves[-1], red_end * (rest[None, :] / waves[-1]) ** -3.0, sed)
    sed = np.where(rest[None, :] < waves[0], 0.0, sed).reshape(flux.shape[0], z.size, w.size)
    num = np.trapezoid(sed * (trans * w)[None, None, :], w, axis=-1)
    den = np.trapezoid(_AB_FNU * _C_ANGSTROM / w**2 * trans * w, w)
    return num / ((1.0 + z)[None, :] * den)


def to_phase_grid(phases: np.ndarray, fluxes: np.ndarray, phase_grid: np.ndarray = PHASE_GRID,
                  tail_slope_range: tuple[float, float] = TAIL_SLOPE_RANGE) -> np.ndarray:
    """Band fluxes on native phases (P, Z) -> the uniform ``phase_grid`` (Z, G), with rise and tail.

    Interpolates linearly in magnitude inside the template, adds the ``(t - t_exp)**2`` rise before
    it and the clipped linear-magnitude tail after it (see the module docstring).
    """
    f = np.asarray(fluxes, dtype=float)
    out = np.zeros((f.shape[1], phase_grid.size))
    with np.errstate(divide="ignore"):
        mag = -2.5 * np.log10(np.where(f > 0, f, np.nan))
    t_end = phases[-1]
    tail_sel = phases >= t_end - TAIL_FIT_DAYS
    for k in range(f.shape[1]):
        m = mag[:, k]
        ok = np.isfinite(m)
        if ok.sum() < 2:
            continue
        ph, mk = phases[ok], m[ok]
        inside = (phase_grid >= ph[0]) & (phase_grid <= ph[-1])
        vals = np.full(phase_grid.size, np.inf)
        vals[inside] = np.interp(phase_grid[inside], ph, mk)
        t_exp = ph[0] - PRE_RISE_DAYS
        before = (phase_grid < ph[0]) & (phase_grid > t_exp)
        vals[before] = mk[0] - 5.0 * np.log10((phase_grid[before] - t_exp) / PRE_RISE_DAYS)
        sel = tail_sel & ok
        slope = np.polyfit(phases[sel], m[sel], 1)[0] if sel.sum() >= 2 else tail_slope_range[0]
        slope = float(np.clip(slope, *tail_slope_range))
        after = phase_grid > ph[-1]
        vals[after] = mk[-1] + slope * (phase_grid[after] - ph[-1])
        out[k] = np.where(np.isfinite(vals), 10.0 ** (-0.4 * np.minimum(vals, 99.0)), 0.0)
    return out


def rest_b_flux(waves: np.ndarray, flux_row: np.ndarray) -> float:
    """Rest-frame Bessell B band flux ``10**(-0.4 m_B)`` of one SED (the normalisation of every object)."""
    return float(band_fluxes(waves, np.asarray(flux_row)[None, :], "bessell::B", np.zeros(1))[0, 0])


class TemplateTables:
    """Lazily built band tables of every template, shared by all simulations in a process.

    Methods return float32 arrays shaped ``(n_bands, len(TEMPLATE_Z_GRID), len(PHASE_GRID))`` (per
    component or per template), built on first use per band in ~0.1 s.
    """

    def __init__(self) -> None:
        self._store: dict = {}
        self._stacked: dict = {}
        self._lock = threading.Lock()

    def _get(self, key, builder):
        if key not in self._store:
            with self._lock:
                if key not in self._store:
                    self._store[key] = builder()
        return self._store[key]

    # --- SN Ia
    def salt(self, version: str, band_names) -> dict[str, np.ndarray]:
        """``{"M0", "M1", "K"}`` tables of a SALT version for ``band_names``; ``K`` is dm/dc."""
        key = ("salt", version, tuple(band_names))
        if key not in self._stacked:
            parts = [self._get(("salt", version, b), lambda b=b: self._salt_band(version, b)) for b in band_names]
            self._stacked[key] = {k: np.stack([p[k] for p in parts]).astype(np.float32) for k in ("M0", "M1", "K")}
        return self._stacked[key]

    def _salt_band(self, version: str, band: str) -> dict[str, np.ndarray]:
        s = load_salt(version)
        f0 = band_fluxes(s["waves"], s["M0"], band)
        f1 = band_fluxes(s["waves"], s["M1"], band)
        dust = 10.0 ** (-0.4 * 0.1 * s["colorlaw"](s["waves"]))
        fc = band_fluxes(s["waves"], s["M0"] * dust[None, :], band)
        m0 = to_phase_grid(s["phases"], f0)
        # M1 relative to M0 inside the template; kept at its last/first ratio outside
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(f0 > 0, f1 / f0, 0.0)
            k = np.where((f0 > 0) & (fc > 0), -2.5 * np.log10(fc / f0) / 0.1, 0.0)
        ratio_g = np.stack([np.interp(PHASE_GRID, s["phases"], ratio[:, j]) for j in range(ratio.shape[1])])
        k_g = np.stack([np.interp(PHASE_GRID, s["phases"], k[:, j]) for j in range(k.shape[1])])
        return {"M0": m0, "M1": m0 * np.clip(ratio_g, -5.0, 5.0), "K": k_g}

    def salt_reference(self, version: str) -> float:
        """Rest-frame Bessell B flux of ``M0`` at phase 0 (defines ``m_B`` as in SNANA's ``x0`` convention)."""
        def build():
            s = load_salt(version)
            return rest_b_flux(s["waves"], s["M0"][np.argmin(np.abs(s["phases"]))])
        return self._get(("salt_ref", version), build)

    def hsiao(self, band_names) -> np.ndarray:
        key = ("hsiao", tuple(band_names))
        if key not in self._stacked:
            def build(b):
                h = load_hsiao()
                return to_phase_grid(h["phases"], band_fluxes(h["waves"], h["flux"], b))
            self._stacked[key] = np.stack([self._get(("hsiao", b), lambda b=b: build(b)) for b in band_names]).astype(np.float32)
        return self._stacked[key]

    def hsiao_reference(self) -> float:
        def build():
            h = load_hsiao()
            return rest_b_flux(h["waves"], h["flux"][np.argmin(np.abs(h["phases"]))])
        return self._get(("hsiao_ref",), build)

    # --- core collapse
    def cc(self, band_names) -> np.ndarray:
        """(n_templates * n_bands, Z, G): row ``template * n_bands + band``."""
        key = ("cc", tuple(band_names))
        if key not in self._stacked:
            temps = load_cc_templates()
            rows = []
            for j, t in enumerate(temps):
                for b in band_names:
                    rows.append(self._get(("cc", j, b), lambda t=t, b=b: to_phase_grid(
                        t["phases"], band_fluxes(t["waves"], t["flux"], b))))
            self._stacked[key] = np.stack(rows).astype(np.float32)
        return self._stacked[key]

    def cc_reference(self) -> np.ndarray:
        """Per template: rest-frame B flux at the B maximum, and the phase of that maximum (days)."""
        def build():
            out = []
            for t in load_cc_templates():
                fb = band_fluxes(t["waves"], t["flux"], "bessell::B", np.zeros(1))[:, 0]
                k = int(np.argmax(fb))
                out.append((fb[k], t["phases"][k], t["phases"][0] - PRE_RISE_DAYS, t["phases"][-1]))
            return np.array(out)
        return self._get(("cc_ref",), build)


@functools.lru_cache(maxsize=1)
def template_tables() -> TemplateTables:
    """The process-wide :class:`TemplateTables`."""
    return TemplateTables()
