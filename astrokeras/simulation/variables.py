"""Periodic variable stars: RR Lyrae (ab, c), classical Cepheids, eclipsing binaries, Miras, delta Scuti.

Extra classes of :func:`~astrokeras.simulation.simulate` (:data:`VARIABLE_CLASSES`); the 8 transient
classes stay the default. Every star has a period, a mean absolute magnitude from a published
period-luminosity (PL) relation, a mean colour, a light-curve shape and a distance; its magnitude in
band ``b`` at time ``t`` is

    m_b(t) = M_V + C_b(T) + mu + A_b E(B-V) + a_V r_b s(phase)          (pulsators)
    m_b(t) = M_V,sys + C_b,sys + mu + A_b E(B-V) - 2.5 log10 F_b(phase)  (eclipsing binaries)

* ``C_b(T)``: synthetic photometry of a blackbody through the real filter curve, relative to
  Bessell V (:func:`~astrokeras.simulation.sources.ab_magnitude_table`). The colour temperature of a
  pulsator is solved from its (V - I) colour, itself the difference of the published V and I PL
  relations (so redder bands inherit the steeper PL slope, as observed). Vega -> AB offsets
  V +0.02, I +0.45 (Blanton & Roweis 2007, AJ 133, 734).
* ``s(phase)``: a Fourier series ``sum_k R_k1 cos(2 pi k phase + phi_k1)`` (R_11 = 1, phi_11 = 0;
  cosine convention, phi_k1 = phi_k1(sine) + (k-1) pi/2) normalised to unit peak-to-peak amplitude
  and zero mean; ``a_V`` the V peak-to-peak amplitude; ``r_b`` the amplitude ratio at the band's
  pivot wavelength, interpolated in log wavelength in :data:`AMPLITUDE_RATIOS` (held constant
  outside the tabulated range).
* ``F_b``: eclipsing binaries are two uniform spheres on a circular orbit (fractional radii
  ``r1, r2`` in units of the separation, inclination ``i``, blackbody surface brightnesses), so
  eclipse depths and their colour dependence follow from the geometry; contact binaries add an
  ellipsoidal term ``1 - e cos(4 pi phase)``.
* ``A_b``: Fitzpatrick (1999) R_V = 3.1 extinction through the band.

Classes (period distribution; luminosity; amplitude; shape):

================  ===========================================================================
RR Lyrae ab       P ~ N(0.576, 0.07) d (OGLE-III LMC, Soszynski et al. 2009, AcA 59, 1); M_V and M_I
                  from Catelan, Pritzl & Smith 2004 (ApJS 154, 633): M_V = 2.288 + 0.8824 log Z +
                  0.1079 (log Z)^2, M_I = 0.4711 - 1.1318 log P + 0.2053 log Z, log Z = [Fe/H] +
                  log(0.638 f + 0.362) - 1.765 with [alpha/Fe] = 0.3, [Fe/H] ~ N(-1.5, 0.4) (LMC,
                  Gratton et al. 2004); a_V from the Oosterhoff I Bailey relation a_V = -2.627 -
                  22.046 log P - 30.876 (log P)^2 (Cacciari et al. 2005, AJ 129, 267) + N(0, 0.12);
                  R21 ~ 0.48, R31 ~ 0.32, phi21 ~ 4.0, phi31 ~ 2.0 (V band, Jurcsik & Kovacs 1996,
                  A&A 312, 111, converted to cosines), mild scatter.
RR Lyrae c        P ~ N(0.337, 0.04) d (OGLE-III LMC mean RRc period, Soszynski et al. 2009, AcA
                  59, 1, abstract); PL as RRab with the fundamentalised period log P_F = log P + 0.127
                  (Catelan 2004); a_V ~ N(0.45, 0.08); nearly sinusoidal: R21 ~ 0.15, R31 ~ 0.07,
                  phi21 ~ 4.7, phi31 ~ 3.2 (approximate).
Cepheid           classical; 60 % fundamental mode, log P ~ N(0.55, 0.22) in [0, 1.8], 40 % first
                  overtone, log P ~ N(0.25, 0.17) in [-0.4, 0.8] (OGLE-III LMC: 1848 F, 1228 1O,
                  median F period 3.7 d; Soszynski et al. 2008, AcA 58, 163); Leavitt law from HST
                  parallaxes: M_V = -4.05 - 2.43 (log P_F - 1), M_I = -4.78 - 2.81 (log P_F - 1)
                  (Benedict et al. 2007, AJ 133, 1810) with P_F = P / 0.72 for overtones, intrinsic
                  scatter 0.15 mag (strip width); a_V ~ N(0.75, 0.2) (F), N(0.45, 0.12) (1O);
                  Hertzsprung progression: R21 dips from 0.42 to 0.15 and phi21 from 4.2 to 3.2
                  around P = 10 d (approximate shape of Soszynski et al. 2008, fig. 3); overtones
                  nearly sinusoidal (the shape at the dip).
EB detached       P log-uniform in [0.5, 100] d (Opik law), kept when eclipsing: cos i uniform,
                  cos i < 0.95 (r1 + r2), so the geometric eclipse probability (R1 + R2)/a ~ P^(-2/3)
                  favours short periods (median ~1.4 d, as the EROS-1 binaries' 1.5 d), both stars
                  inside their Roche lobes; primary T1 log-uniform 5000-20000 K on the main sequence
                  (M_V, mass, radius from an approximate table after Pecaut & Mamajek 2013, ApJS 208,
                  9); mass ratio q ~ U(0.4, 1); separation from Kepler's third law.
EB contact        W UMa: log P ~ N(-0.43, 0.1) in [0.22, 1] d (period peak 0.37 d, Rucinski 2007,
                  MNRAS 382, 393); (B-V)_0 = 0.04 P^-2.25 + |N(0, 0.05)| (Rucinski's blue envelope);
                  M_V = -4.44 log P + 3.02 (B-V)_0 + 0.12 (Rucinski & Duerbeck 1997, PASP 109,
                  1340); q ~ U(0.1, 1); both stars fill their Roche lobes (Eggleton 1983, ApJ 268,
                  368), common temperature; ellipsoidal semi-amplitude e ~ U(0.05, 0.15) sin^2 i.
Mira              log P ~ N(2.45, 0.12) in [2.0, 3.0] (EROS-like survey: N(2.26, 0.27) in [1.7, 3.0],
                  the EROS-1 "Mira" class of long-period variables, training split);
                  M_K = -3.51 (log P - 2.38) - 7.25 (Whitelock, Feast & van Leeuwen 2008, MNRAS 386,
                  313, abstract: O-rich Galactic zero point); (I - K)_0 = 3.4 + 2.0 (log P - 2.4)
                  and (V - I)_0 = 3.95 + 2.0 (log P - 2.4) (approximate, chosen to reproduce the
                  EROS-1 training-split "Mira" R_E ~ 15.7 and B_E - R_E ~ 2.5 through
                  :data:`EROS_RESPONSE`); a_I ~ N(0.7, 0.3) in [0.3, 2.5] (long-period variables as
                  labelled in EROS-1; OGLE Miras proper have a_I > 0.8, Soszynski et al. 2009, AcA
                  59, 239), a_V = a_I / 0.55; R21 ~ 0.1.
delta Scuti       log P ~ N(-1.1, 0.2) in [-1.6, -0.6] d; M_V = -2.89 log P - 1.31 (McNamara 2011,
                  AJ 142, 110); (V - I)_0 ~ N(0.3, 0.08); a_V log-uniform 0.05-0.8 (detectable,
                  HADS-like); R21 ~ 0.25, phi21 ~ 4.1.
================  ===========================================================================

Checked against the sources' own text (abstracts / catalogue pages): Catelan et al. 2004 M_I and M_V
(astro-ph/0406067; the code keeps four digits where the abstract rounds to three), Whitelock et al.
2008 (slope -3.51, Galactic zero point -7.25; LMC -7.15 at mu = 18.39, i.e. -7.24 at 18.477),
OGLE-III LMC RR Lyrae mean periods 0.576 / 0.337 d and counts (17,693 RRab, 4,958 RRc; Soszynski et
al. 2009; 0.339 d was the OGLE-II *modal* RRc period, corrected), OGLE-III LMC Cepheid counts (1,848
F, 1,228 1O; Soszynski et al. 2008; 1849/1238 corrected), Rucinski & Duerbeck 1997's form and range
(M_V(log P, (B-V)_0), 0.26 < (B-V)_0 < 1.14, 0.24 < P < 1.15 d). Not found in a searchable source
(kept as typed, consistent with other evidence): Benedict et al. 2007's coefficients (they reproduce
OGLE-III LMC Cepheid V, I at log P = 0.5 to 0.04 mag at mu = 18.477), the W UMa coefficients,
McNamara 2011's delta Scuti relation, the Cacciari et al. 2005 Bailey relation and the
Jurcsik & Kovacs Fourier parameters (approximate values), and the amplitude ratios.

Distances: in the EROS-like survey every star is in the LMC (mu = 18.477, Pietrzynski et al. 2019,
Nature 567, 200, plus a 0.05 mag depth scatter; E(B-V) ~ N(0.08, 0.03)). In the Galactic surveys
(ZTF, LSST, ...) the distance is drawn from ``d^2 rho(d)`` along a random high-latitude line of sight:
a halo ``rho ~ r^-2.7`` (Deason et al. 2011) from 1 to 80 kpc for RR Lyrae, exponential discs
(scale 3 kpc for Cepheids and Miras; 0.8 kpc for binaries and delta Scuti); the Milky-Way E(B-V)
draw of the transients is scaled by ``1 - exp(-d / 0.5 kpc)``.

Magnitudes are AB except in the EROS bands, which are reported on the EROS system (B_E ~ V,
R_E ~ I_C on the Vega scale; :data:`MAGNITUDE_SYSTEM_OFFSET`), as the real EROS-1 light curves are.

Photometry: PSF photometry of the star (total flux, not difference flux), with the survey's
science-image depth, source photon noise and an error floor in magnitudes (:data:`ERROR_FLOOR_MAG`);
in the EROS bands, bright points are compressed towards faint magnitudes as the real EROS-1 ones are
(:data:`EROS_RESPONSE`, :func:`apply_response`);
points brighter than the survey's saturation (:data:`SATURATION_MAG`) are dropped.

Selection: a star is kept when it has at least ``MIN_DETECTIONS`` = 10 points with S/N >= 5 and its
variability is visible: the true peak-to-peak amplitude over its observed points, in its
best-sampled band, is at least 3 times the median magnitude error there. The light curve covers the
survey's whole schedule.

Metadata: ``redshift`` 0, ``distmod``, ``ebv_mw``, ``peak_mjd`` (an epoch of maximum light, or of
primary eclipse), ``peak_abs_mag`` (mean M_V, Vega; binaries: system), ``field``, ``n_detections``,
``brightest_mag``, plus :data:`VARIABLE_META_COLUMNS`: ``period_days``, ``amplitude_v_mag``
(pulsators), ``abs_mag_i`` (Vega, pulsators), ``feh`` (RR Lyrae), ``teff_k`` (colour temperature;
binaries: primary).

Example:
    >>> from astrokeras.simulation import simulate
    >>> lcs = simulate("eros", classes={"Cepheid": 3, "RR Lyrae ab": 2}, seed=0)
    >>> sorted(set(lcs.band)), len(lcs)
    (['eros::B', 'eros::R'], 5)
    >>> bool((lcs.metadata["period_days"] > 0.2).all())
    True
"""

from __future__ import annotations

import functools

import numpy as np

from astrokeras import bands as _bands
from astrokeras.simulation import sources as _src
from astrokeras.simulation.surveys import DETECTION_SNR, ZERO_POINT, Survey

VARIABLE_CLASSES: tuple[str, ...] = ("RR Lyrae ab", "RR Lyrae c", "Cepheid", "EB detached", "EB contact", "Mira",
                                     "delta Scuti")
#: Bump whenever a change to this module can change the simulated variable stars for the same arguments
#: (independent of ``SIMULATOR_VERSION``, which versions the transients): caches of simulated sets that
#: hold variables include it in their key (:func:`astrokeras.caching.cached_light_curves`).
#: 1: first release; 2: EROS-1 realism (magnitude systems, error model, period and colour distributions).
VARIABLES_VERSION = 2
VARIABLE_META_COLUMNS = ("period_days", "amplitude_v_mag", "abs_mag_i", "feh", "teff_k")
MIN_DETECTIONS = 10
VISIBILITY_SIGMA = 3.0
LMC_DISTMOD = 18.477
VEGA_TO_AB = {"V": 0.02, "I": 0.45}
FIRST_OVERTONE_FRACTION = 0.4
#: reported magnitude = AB magnitude - offset: EROS B_E / R_E magnitudes are calibrated to the Johnson V
#: and Cousins I (Vega) scales (Tisserand et al. 2007, A&A 469, 387), not AB
MAGNITUDE_SYSTEM_OFFSET = {"eros::B": VEGA_TO_AB["V"], "eros::R": VEGA_TO_AB["I"]}
#: ``(m_lin, k)``: bright-end response of the EROS-1 R_E photometry, ``m_reported = m + k (m_lin - m)``
#: for ``m < m_lin`` (identity for fainter points and other bands). Empirical, fitted on the EROS-1
#: *training* split (train.csv, 604 Cepheids): their R_E period-luminosity slope is -1.49 per dex
#: instead of the Leavitt-law -2.81 in I (Benedict et al. 2007; OGLE-III LMC -2.96), they are 0.50 mag
#: fainter at log P = 0.46 than that relation at the LMC distance and get *bluer* in B_E - R_E as they get
#: brighter (0.68 at R_E ~ 15.75, 0.26 at 14.5), while RR Lyrae (R_E ~ 18.8) agree with Catelan et al.
#: (2004) to 0.02 mag: bright R_E points are compressed towards faint magnitudes (saturation or
#: non-linearity of the 1991-94 CCD photometry; the per-point errors also rise brightwards,
#: :data:`ERROR_FLOOR_MAG`). The slope ratio gives ``k``, the offset ``m_lin``. B_E has no such term:
#: bright blue binaries (B_E - R_E ~ -0.1 at R_E 15.5-16.5) rule out a compression there, so the
#: EROS-1 Cepheids' B_E, ~0.8 mag fainter than the Leavitt law predicts, stays unexplained.
EROS_RESPONSE = {"eros::R": (16.4, 0.47)}

#: amplitude ratio a_lambda / a_V at (B, V, R, I, J, K) = (0.44, 0.55, 0.66, 0.80, 1.25, 2.2) um.
#: Cepheids: Freedman 1988 (ApJ 326, 691) / Madore & Freedman 1991 (PASP 103, 933); RR Lyrae and
#: delta Scuti: B/V 1.27, I/V 0.63 (Kinman & Brown 2014, PASP 126, 616; Di Criscienzo et al. 2011),
#: K/V ~0.2; Miras: large in the optical, ~0.4 of V in I (Soszynski et al. 2009, AcA 59, 239).
AMPLITUDE_WAVELENGTH_UM = np.array([0.44, 0.55, 0.66, 0.80, 1.25, 2.2])
AMPLITUDE_RATIOS = {
    "cepheid": np.array([1.50, 1.00, 0.78, 0.60, 0.40, 0.30]),
    "rrlyrae": np.array([1.27, 1.00, 0.80, 0.63, 0.35, 0.20]),
    "mira": np.array([1.10, 1.00, 0.80, 0.55, 0.25, 0.15]),
}

#: saturation (AB) of each survey's science images, approximate: ZTF ~12.5 (Masci et al. 2019), LSST ~16
#: in 30 s (Ivezic et al. 2019), PS1 ~13.5, ATLAS ~11, DES ~16, SDSS ~14, EROS-1 CCD ~13.
SATURATION_MAG = {"ztf": 12.5, "ztf_gri": 12.5, "lsst": 16.0, "ps1": 13.5, "atlas": 11.0, "des": 16.0,
                  "sdss": 14.0, "eros": 13.0}
#: ``(floor_mag, bright_mag, bright_slope)``: per-point magnitude-error floor
#: ``sqrt(floor^2 + (bright 10^(-bright_slope (m - 13.75)))^2)``, added in quadrature to the sky and photon
#: noise. EROS-1: fitted to the median per-star errors of the 3,641 real light curves in 0.5-mag bins
#: (faint-end floor B_E 0.088, R_E 0.105 mag; brighter than ~16 (B_E) / ~15 (R_E) the errors grow to
#: 0.20 / 0.19 mag at 13.75, with the 5-sigma depths B_E 20.1, R_E 19.1 of ``eros_pointing_log``);
#: others: relative-photometry floors of their light-curve products (ZTF DR ~0.015 mag, Masci et al.
#: 2019; LSST 0.005, SRD).
ERROR_FLOOR_MAG = {"eros::B": (0.088, 0.18, 0.15), "eros::R": (0.105, 0.158, 0.45), "lsst": (0.005, 0.0, 0.0),
                   "ztf": (0.015, 0.0, 0.0), "default": (0.01, 0.0, 0.0)}

# main sequence (approximate, after Pecaut & Mamajek 2013): Teff (K), M_V (Vega), mass, radius (solar)
_MS_TEFF = np.array([3500.0, 4500.0, 5000.0, 5800.0, 6500.0, 7500.0, 9000.0, 12000.0, 20000.0])
_MS_MV = np.array([10.2, 7.0, 6.2, 4.8, 3.6, 2.4, 1.3, -0.3, -2.5])
_MS_MASS = np.array([0.4, 0.7, 0.8, 1.0, 1.3, 1.7, 2.2, 3.2, 7.0])
_MS_RADIUS = np.array([0.4, 0.7, 0.8, 1.0, 1.3, 1.7, 2.0, 2.6, 4.0])

_N_PHASE = 256


# ---------------------------------------------------------------------------- colours
@functools.lru_cache(maxsize=None)
def _bb_table(band: str) -> np.ndarray:
    """AB magnitude of a unit-bolometric blackbody through ``band`` on sources.LOGT_GRID (z = 0)."""
    return _src.ab_magnitude_table("blackbody", band, z_grid=np.array([0.0, 1e-6]))[0]


def blackbody_colour(band: str, log_t: np.ndarray, reference: str = "bessell::V") -> np.ndarray:
    """``m_band - m_reference`` (AB) of a blackbody of temperature ``10**log_t`` K.

    Example:
        >>> c = blackbody_colour("bessell::I", np.log10([4000.0, 8000.0]))
        >>> bool(c[0] < c[1] < 0)   # cooler is redder (brighter in I relative to V)
        True
    """
    grid = _src.LOGT_GRID
    return np.interp(log_t, grid, _bb_table(band) - _bb_table(reference))


def colour_temperature(v_minus_i_ab: np.ndarray) -> np.ndarray:
    """log10 T of the blackbody with the given Bessell (V - I) AB colour (clipped to the grid)."""
    grid = _src.LOGT_GRID
    vi = -(_bb_table("bessell::I") - _bb_table("bessell::V"))  # decreasing in T
    return np.interp(-np.asarray(v_minus_i_ab, dtype=float), -vi, grid)


def amplitude_ratio(kind: str, wavelength_um) -> np.ndarray:
    """``a_lambda / a_V`` interpolated in log wavelength (constant outside 0.44-2.2 um)."""
    return np.interp(np.log(np.asarray(wavelength_um, dtype=float)), np.log(AMPLITUDE_WAVELENGTH_UM),
                     AMPLITUDE_RATIOS[kind])


# ---------------------------------------------------------------------------- parameter draws
def _clipped(rng, n, mean, sigma, lo, hi):
    return np.clip(mean + sigma * rng.standard_normal(n), lo, hi)


def _nan(n):
    return np.full(n, np.nan)


def draw_params(label: str, rng: np.random.Generator, n: int, population: str = "galactic") -> dict[str, np.ndarray]:
    """Intrinsic parameters of ``n`` stars of a variable class (see the module table).

    ``population="eros"`` (the EROS-like survey) draws the Mira periods of the EROS-1 "Mira" class
    (long-period variables, semiregulars included: log P ~ N(2.26, 0.27) in [1.7, 3.0], the
    training split's median and spread), instead of Miras proper.

    Returns a dict with ``period_days``, ``abs_mag_v`` (Vega), ``kind`` (a string) and the class's
    shape parameters (pulsators: ``abs_mag_i``, ``amp_v``, ``fourier_r``/``fourier_phi`` of shape
    (n, 3); binaries: ``t1``, ``t2``, ``r1``, ``r2``, ``cos_i``, ``lum_ratio_v``, ``ellipsoidal``).

    Example:
        >>> p = draw_params("Cepheid", np.random.default_rng(0), 4)
        >>> p["period_days"].shape, bool(np.all(p["abs_mag_v"] < -1))
        ((4,), True)
    """
    if label not in VARIABLE_CLASSES:
        raise ValueError(f"unknown variable class {label!r}; known: {', '.join(VARIABLE_CLASSES)}")
    p: dict = {"feh": _nan(n)}
    if label in ("RR Lyrae ab", "RR Lyrae c"):
        ab = label == "RR Lyrae ab"
        period = _clipped(rng, n, 0.576, 0.07, 0.40, 0.90) if ab else _clipped(rng, n, 0.337, 0.04, 0.22, 0.48)
        feh = _clipped(rng, n, -1.5, 0.4, -2.5, -0.3)
        log_z = feh + np.log10(0.638 * 10**0.3 + 0.362) - 1.765
        log_pf = np.log10(period) + (0.0 if ab else 0.127)
        mv = 2.288 + 0.8824 * log_z + 0.1079 * log_z**2 + 0.1 * rng.standard_normal(n)
        mi = 0.4711 - 1.1318 * log_pf + 0.2053 * log_z + 0.05 * rng.standard_normal(n)
        if ab:
            lp = np.log10(period)
            amp = np.clip(-2.627 - 22.046 * lp - 30.876 * lp**2 + 0.12 * rng.standard_normal(n), 0.2, 1.5)
            r = np.stack([_clipped(rng, n, 0.48, 0.05, 0.3, 0.6), _clipped(rng, n, 0.32, 0.05, 0.15, 0.45),
                          _clipped(rng, n, 0.20, 0.04, 0.08, 0.3)], 1)
            phi = np.stack([4.0 + 0.15 * rng.standard_normal(n), 2.0 + 0.25 * rng.standard_normal(n),
                            0.1 + 0.4 * rng.standard_normal(n)], 1)
        else:
            amp = _clipped(rng, n, 0.45, 0.08, 0.2, 0.7)
            r = np.stack([_clipped(rng, n, 0.15, 0.05, 0.03, 0.3), _clipped(rng, n, 0.07, 0.03, 0.0, 0.15),
                          np.zeros(n)], 1)
            phi = np.stack([4.7 + 0.3 * rng.standard_normal(n), 3.2 + 0.5 * rng.standard_normal(n), np.zeros(n)], 1)
        p.update(period_days=period, abs_mag_v=mv, abs_mag_i=mi, amp_v=amp, fourier_r=r, fourier_phi=phi, feh=feh,
                 kind="rrlyrae")
    elif label == "Cepheid":
        overtone = rng.random(n) < FIRST_OVERTONE_FRACTION
        lp = np.where(overtone, _clipped(rng, n, 0.25, 0.17, -0.4, 0.8), _clipped(rng, n, 0.55, 0.22, 0.0, 1.8))
        lpf = lp + np.where(overtone, -np.log10(0.72), 0.0)  # fundamentalised period (P1/P0 = 0.72)
        strip = 0.15 * rng.standard_normal(n)  # position in the instability strip: brighter is bluer
        mv = -4.05 - 2.43 * (lpf - 1) + strip
        mi = -4.78 - 2.81 * (lpf - 1) + 0.6 * strip
        dip = np.where(overtone, 1.0, np.exp(-((lp - 1.0) / 0.12) ** 2))  # Hertzsprung progression; 1O: sinusoidal
        r = np.stack([0.42 - 0.27 * dip + 0.04 * rng.standard_normal(n), 0.25 - 0.15 * dip + 0.03 * rng.standard_normal(n),
                      0.12 - 0.06 * dip + 0.02 * rng.standard_normal(n)], 1).clip(0.0, 0.7)
        phi = np.stack([4.2 - 1.0 * dip + 0.15 * rng.standard_normal(n), 2.2 - 1.2 * dip + 0.3 * rng.standard_normal(n),
                        0.3 + 0.4 * rng.standard_normal(n)], 1)
        amp = np.where(overtone, _clipped(rng, n, 0.45, 0.12, 0.15, 0.8), _clipped(rng, n, 0.75, 0.2, 0.2, 1.6))
        p.update(period_days=10**lp, abs_mag_v=mv, abs_mag_i=mi, amp_v=amp, overtone=overtone.astype(float),
                 fourier_r=r, fourier_phi=phi, kind="cepheid")
    elif label == "Mira":
        lp = (_clipped(rng, n, 2.26, 0.27, 1.7, 3.0) if population == "eros"
              else _clipped(rng, n, 2.45, 0.12, 2.0, 3.0))
        mk = -3.51 * (lp - 2.38) - 7.25 + 0.15 * rng.standard_normal(n)
        mi = mk + 3.4 + 2.0 * (lp - 2.4) + 0.2 * rng.standard_normal(n)
        mv = mi + 3.95 + 2.0 * (lp - 2.4) + 0.2 * rng.standard_normal(n)
        amp_i = _clipped(rng, n, 0.7, 0.3, 0.3, 2.5)
        r = np.stack([_clipped(rng, n, 0.1, 0.04, 0.0, 0.2), np.zeros(n), np.zeros(n)], 1)
        phi = np.stack([4.0 + 0.3 * rng.standard_normal(n), np.zeros(n), np.zeros(n)], 1)
        p.update(period_days=10**lp, abs_mag_v=mv, abs_mag_i=mi, amp_v=amp_i / AMPLITUDE_RATIOS["mira"][3],
                 fourier_r=r, fourier_phi=phi, kind="mira")
    elif label == "delta Scuti":
        lp = _clipped(rng, n, -1.1, 0.2, -1.6, -0.6)
        mv = -2.89 * lp - 1.31 + 0.1 * rng.standard_normal(n)
        mi = mv - _clipped(rng, n, 0.3, 0.08, 0.05, 0.6)
        r = np.stack([_clipped(rng, n, 0.25, 0.08, 0.0, 0.5), _clipped(rng, n, 0.1, 0.04, 0.0, 0.25), np.zeros(n)], 1)
        phi = np.stack([4.1 + 0.3 * rng.standard_normal(n), 2.1 + 0.4 * rng.standard_normal(n), np.zeros(n)], 1)
        p.update(period_days=10**lp, abs_mag_v=mv, abs_mag_i=mi, amp_v=np.exp(rng.uniform(np.log(0.05), np.log(0.8), n)),
                 fourier_r=r, fourier_phi=phi, kind="rrlyrae")
    elif label == "EB detached":
        p.update(_detached_binaries(rng, n))
    else:  # EB contact
        lp = _clipped(rng, n, -0.43, 0.1, np.log10(0.22), 0.0)
        period = 10**lp
        bv = 0.04 * period**-2.25 + np.abs(0.05 * rng.standard_normal(n))
        mv = -4.44 * lp + 3.02 * bv + 0.12 + 0.2 * rng.standard_normal(n)
        t = 10 ** colour_temperature(_bv_to_vi_ab(bv))
        q = rng.uniform(0.1, 1.0, n)  # M2 / M1
        r1, r2 = _roche_radius(1 / q), _roche_radius(q)
        cos_i = rng.random(n) * 0.9 * (r1 + r2)
        ell = rng.uniform(0.05, 0.15, n) * (1 - cos_i**2)
        share = r2**2 / (r1**2 + r2**2)  # equal temperatures: light shared by area
        p.update(period_days=period, t1=t, t2=t, r1=r1, r2=r2, cos_i=cos_i, ellipsoidal=ell, kind="eb",
                 abs_mag_v=mv, lum_ratio_v=share / (1 - share))
    return p


def _detached_binaries(rng: np.random.Generator, n: int) -> dict:
    """Detached eclipsing binaries: Opik's law (P log-uniform, 0.5-100 d), then the geometric eclipse
    probability ``(R1 + R2) / a`` (random orientation, ``cos i`` uniform, eclipsing when
    ``cos i < 0.95 (r1 + r2)``) and both stars inside their Roche lobes (Eggleton 1983); the eclipse
    probability ``~ P^(-2/3)`` shifts the eclipsing population to short periods (median ~1.4 d;
    EROS-1 binaries: 1.5 d)."""
    keys = ("period_days", "t1", "t2", "r1", "r2", "cos_i", "mass_ratio", "mv1", "mv2")
    got = {k: [] for k in keys}
    have = 0
    while have < n:
        m = max(8 * (n - have), 64)
        t1 = np.exp(rng.uniform(np.log(5000.0), np.log(20000.0), m))
        m1 = np.interp(t1, _MS_TEFF, _MS_MASS)
        q = rng.uniform(0.4, 1.0, m)
        m2 = m1 * q
        t2 = np.interp(m2, _MS_MASS, _MS_TEFF)
        rad1, rad2 = np.interp(m1, _MS_MASS, _MS_RADIUS), np.interp(m2, _MS_MASS, _MS_RADIUS)
        period = np.exp(rng.uniform(np.log(0.5), np.log(100.0), m))
        a_rsun = 4.208 * (m1 + m2) ** (1 / 3) * period ** (2 / 3)
        r1, r2 = rad1 / a_rsun, rad2 / a_rsun
        cos_i = rng.random(m)
        mv1 = np.interp(t1, _MS_TEFF, _MS_MV) + 0.3 * rng.standard_normal(m)
        mv2 = np.interp(t2, _MS_TEFF, _MS_MV) + 0.3 * rng.standard_normal(m)
        ok = (cos_i < 0.95 * (r1 + r2)) & (r1 < _roche_radius(1 / q)) & (r2 < _roche_radius(q))
        for k, v in zip(keys, (period, t1, t2, r1, r2, cos_i, q, mv1, mv2)):
            got[k].append(v[ok])
        have += int(ok.sum())
    d = {k: np.concatenate(v)[:n] for k, v in got.items()}
    mv1, mv2 = d.pop("mv1"), d.pop("mv2")
    return {**d, "ellipsoidal": np.zeros(n), "kind": "eb", **_binary_magnitudes(mv1, mv2)}


def _bv_to_vi_ab(bv: np.ndarray) -> np.ndarray:
    """Approximate main-sequence (V - I)_Vega ~ 1.2 (B - V) converted to AB."""
    return 1.2 * np.asarray(bv) + VEGA_TO_AB["V"] - VEGA_TO_AB["I"]


def _roche_radius(q: np.ndarray) -> np.ndarray:
    """Eggleton (1983) volume-equivalent Roche-lobe radius / separation for mass ratio ``q`` = M_star / M_other."""
    q23 = np.asarray(q) ** (2 / 3)
    return 0.49 * q23 / (0.6 * q23 + np.log1p(np.asarray(q) ** (1 / 3)))


def _binary_magnitudes(mv1: np.ndarray, mv2: np.ndarray) -> dict:
    l1, l2 = 10 ** (-0.4 * mv1), 10 ** (-0.4 * mv2)
    return {"abs_mag_v": -2.5 * np.log10(l1 + l2), "lum_ratio_v": l2 / l1}


# ---------------------------------------------------------------------------- light curves
def _fourier(r: np.ndarray, phi: np.ndarray, phase: np.ndarray) -> np.ndarray:
    x = 2 * np.pi * phase
    out = np.cos(x)
    for k in range(r.shape[-1]):
        out = out + r[..., k] * np.cos((k + 2) * x + phi[..., k])
    return out


def shape_normalisation(r: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per object: (mean, peak-to-peak, phase of maximum light) of the raw Fourier series."""
    grid = (np.arange(_N_PHASE) + 0.5) / _N_PHASE
    vals = _fourier(r[:, None, :], phi[:, None, :], grid[None, :])
    return vals.mean(1), np.ptp(vals, axis=1), grid[np.argmin(vals, axis=1)]


def _overlap_area(d: np.ndarray, r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Area of the intersection of two discs of radii r1, r2 whose centres are d apart."""
    d = np.maximum(d, 1e-12)
    out = np.zeros(np.broadcast(d, r1, r2).shape)
    full = d <= np.abs(r1 - r2)
    out = np.where(full, np.pi * np.minimum(r1, r2) ** 2, out)
    part = (d < r1 + r2) & ~full
    c1 = np.clip((d**2 + r1**2 - r2**2) / (2 * d * r1), -1, 1)
    c2 = np.clip((d**2 + r2**2 - r1**2) / (2 * d * r2), -1, 1)
    k = np.clip((-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2), 0, None)
    lens = r1**2 * np.arccos(c1) + r2**2 * np.arccos(c2) - 0.5 * np.sqrt(k)
    return np.where(part, lens, out)


def binary_flux(phase: np.ndarray, r1, r2, cos_i, lum1, lum2, ellipsoidal) -> np.ndarray:
    """Relative flux of a two-sphere eclipsing binary at orbital ``phase`` (0: primary eclipse).

    ``lum1``, ``lum2``: the stars' fluxes in the band (any common unit); uniform discs.

    Example:
        >>> f = binary_flux(np.array([0.0, 0.25]), 0.1, 0.1, 0.0, 1.0, 1.0, 0.0)
        >>> f.round(3).tolist()   # equal stars, central eclipse: half the light is lost
        [0.5, 1.0]
    """
    x = 2 * np.pi * np.asarray(phase)
    cos_x = np.cos(x)
    d = np.sqrt(np.sin(x) ** 2 + (cos_i * cos_x) ** 2)
    area = _overlap_area(d, r1, r2)
    s1, s2 = lum1 / (np.pi * r1**2), lum2 / (np.pi * r2**2)
    lost = np.where(cos_x > 0, area * s1, area * s2)  # phase 0: star 2 in front of star 1
    total = lum1 + lum2
    return (total - lost) / total * (1.0 - ellipsoidal * np.cos(2 * x))


class _Stars:
    """Per-object magnitudes of one batch of stars in a survey's bands."""

    def __init__(self, label: str, p: dict, survey: Survey, mu: np.ndarray, ebv: np.ndarray, phot) -> None:
        self.label, self.p, self.survey = label, p, survey
        bands, nb, n = survey.bands, len(survey.bands), mu.size
        mw = phot.dust(bands, np.arange(nb), np.zeros(nb))
        dust = ebv[:, None] * mw[None, :]
        system = np.array([MAGNITUDE_SYSTEM_OFFSET.get(b, 0.0) for b in bands])
        if p["kind"] == "eb":
            tv, tb = np.log10(p["t1"]), np.log10(p["t2"])
            # band luminosity of each star relative to its V luminosity: blackbody colours
            c1 = np.stack([blackbody_colour(b, tv) for b in bands], 1)
            c2 = np.stack([blackbody_colour(b, tb) for b in bands], 1)
            l1 = 10 ** (-0.4 * c1)
            l2 = p["lum_ratio_v"][:, None] * 10 ** (-0.4 * c2)
            self.lum1, self.lum2 = l1, l2
            sys_colour = -2.5 * np.log10((l1 + l2) / (1 + p["lum_ratio_v"][:, None]))
            self.mean = (p["abs_mag_v"] + VEGA_TO_AB["V"] + mu)[:, None] + sys_colour + dust - system[None, :]
            self.teff = p["t1"]
            self.amp = None
        else:
            log_t = colour_temperature(p["abs_mag_v"] + VEGA_TO_AB["V"] - p["abs_mag_i"] - VEGA_TO_AB["I"])
            colour = np.stack([blackbody_colour(b, log_t) for b in bands], 1)
            self.mean = (p["abs_mag_v"] + VEGA_TO_AB["V"] + mu)[:, None] + colour + dust - system[None, :]
            wl = np.array([_bands.get_band(b).wavelength_um for b in bands])
            self.amp = p["amp_v"][:, None] * amplitude_ratio(p["kind"], wl)[None, :]
            self.shape_mean, self.shape_ptp, self.max_phase = shape_normalisation(p["fourier_r"], p["fourier_phi"])
            self.teff = 10**log_t
        self.n = n

    def brightest_faintest(self) -> tuple[np.ndarray, np.ndarray]:
        """Per (object, band): brightest and faintest true magnitude over a cycle."""
        if self.amp is not None:
            return self.mean - 0.5 * self.amp, self.mean + 0.5 * self.amp
        p = self.p
        depth = 1 - binary_flux(np.zeros((self.n, 1)), p["r1"][:, None], p["r2"][:, None], p["cos_i"][:, None],
                                self.lum1, self.lum2, p["ellipsoidal"][:, None])
        return self.mean - 2.5 * np.log10(1 + p["ellipsoidal"])[:, None], self.mean - 2.5 * np.log10(np.maximum(1 - depth, 1e-6))

    def magnitude(self, obj: np.ndarray, b: np.ndarray, phase: np.ndarray) -> np.ndarray:
        p = self.p
        if self.amp is not None:
            s = (_fourier(p["fourier_r"][obj], p["fourier_phi"][obj], phase) - self.shape_mean[obj]) / self.shape_ptp[obj]
            return self.mean[obj, b] + self.amp[obj, b] * s
        f = binary_flux(phase, p["r1"][obj], p["r2"][obj], p["cos_i"][obj], self.lum1[obj, b], self.lum2[obj, b],
                        p["ellipsoidal"][obj])
        return self.mean[obj, b] - 2.5 * np.log10(np.maximum(f, 1e-6))


def draw_distances(label: str, survey_name: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance modulus and E(B-V) of ``n`` stars (LMC for the EROS-like survey, else Galactic)."""
    from astrokeras.simulation.population import draw_mw_ebv

    if survey_name == "eros":
        return LMC_DISTMOD + 0.05 * rng.standard_normal(n), _clipped(rng, n, 0.08, 0.03, 0.0, 0.25)
    if label.startswith("RR Lyrae"):
        lo, hi, pdf = 1.0, 80.0, lambda d: d ** -0.7
    elif label in ("Cepheid", "Mira"):
        lo, hi, pdf = 0.5, 30.0, lambda d: d**2 * np.exp(-d / 3.0)
    else:
        lo, hi, pdf = 0.05, 8.0, lambda d: d**2 * np.exp(-d / 0.8)
    grid = np.linspace(lo, hi, 2001)
    cdf = np.r_[0.0, np.cumsum(0.5 * (pdf(grid[1:]) + pdf(grid[:-1])))]
    d_kpc = np.interp(rng.random(n), cdf / cdf[-1], grid)
    ebv = draw_mw_ebv(rng, n) * (1 - np.exp(-d_kpc / 0.5))
    return 5 * np.log10(d_kpc * 100.0), ebv


def apply_response(mag: np.ndarray, band_idx: np.ndarray, bands: tuple[str, ...]) -> np.ndarray:
    """Reported magnitudes after the bright-end response of :data:`EROS_RESPONSE` (other bands: unchanged).

    Example:
        >>> apply_response(np.array([15.4, 19.0, 15.4]), np.array([1, 1, 0]), ("eros::B", "eros::R")).round(2).tolist()
        [15.87, 19.0, 15.4]
    """
    out = np.asarray(mag, dtype=float).copy()
    for i, band in enumerate(bands):
        if band in EROS_RESPONSE:
            m_lin, k = EROS_RESPONSE[band]
            sel = (band_idx == i) & (out < m_lin)
            out[sel] += k * (m_lin - out[sel])
    return out


def _floor_mag(band: str, survey_name: str) -> tuple[float, float, float]:
    return ERROR_FLOOR_MAG.get(band, ERROR_FLOOR_MAG.get(survey_name, ERROR_FLOOR_MAG["default"]))


def _batch(rng, survey: Survey, label: str, n: int, phot) -> dict:
    from astrokeras.simulation.population import _batch_result

    p = draw_params(label, rng, n, population="eros" if survey.name == "eros" else "galactic")
    mu, ebv = draw_distances(label, survey.name, rng, n)
    field = rng.integers(0, survey.n_fields, n)
    epoch = survey.t_start + rng.random(n) * p["period_days"]
    stars = _Stars(label, p, survey, mu, ebv, phot)
    depth = np.array([np.quantile(survey.depth_mag[survey.band_idx == i], 0.99) if np.any(survey.band_idx == i)
                      else -np.inf for i in range(len(survey.bands))])
    sat = SATURATION_MAG.get(survey.name, 12.0)
    bright, faint = stars.brightest_faintest()
    cand = np.flatnonzero(np.any((bright < depth[None, :]) & (faint > sat), axis=1))
    obj, visit = survey.visits(field[cand], np.full(cand.size, survey.t_start), np.full(cand.size, survey.t_end))
    gobj = cand[obj]
    t = survey.time_mjd[visit]
    b = survey.band_idx[visit].astype(np.int64)
    phase = np.mod((t - epoch[gobj]) / p["period_days"][gobj], 1.0)
    mag = stars.magnitude(gobj, b, phase)
    mag = apply_response(mag, b, survey.bands)
    unsat = mag > sat
    gobj, visit, t, b, mag = gobj[unsat], visit[unsat], t[unsat], b[unsat], mag[unsat]
    flux_true = 10 ** (-0.4 * (mag - ZERO_POINT))
    f5 = 10 ** (-0.4 * (survey.depth_mag[visit] - ZERO_POINT))
    gain = 10 ** (-0.4 * (survey.electron_zp[b] - ZERO_POINT))
    floors = np.array([_floor_mag(bb, survey.name) for bb in survey.bands])
    floor_mag = np.hypot(floors[b, 0], floors[b, 1] * 10 ** (-floors[b, 2] * (mag - 13.75)))
    err = np.sqrt((f5 / DETECTION_SNR) ** 2 + flux_true * gain + (flux_true * floor_mag / 1.0857) ** 2)
    flux = flux_true + err * rng.standard_normal(flux_true.size)
    # selection: >= MIN_DETECTIONS S/N >= 5 points and visible variability in the best-sampled band
    det = flux >= DETECTION_SNR * err
    nb = len(survey.bands)
    key = gobj * nb + b
    n_det = np.bincount(gobj[det], minlength=n)
    per_band = np.bincount(key[det], minlength=n * nb).reshape(n, nb)
    best = np.argmax(per_band, axis=1)
    inb = b == best[gobj]
    sel = inb & det
    hi = np.full(n, -np.inf)
    lo = np.full(n, np.inf)
    np.maximum.at(hi, gobj[sel], mag[sel])
    np.minimum.at(lo, gobj[sel], mag[sel])
    sig_mag = 1.0857 * err / flux_true
    med = _group_median(gobj[sel], sig_mag[sel], n)
    visible = (hi - lo) >= VISIBILITY_SIGMA * med
    kept = np.flatnonzero((n_det >= MIN_DETECTIONS) & visible)
    brightest = np.full(n, np.inf)
    np.minimum.at(brightest, gobj[det], ZERO_POINT - 2.5 * np.log10(flux[det]))
    max_phase = stars.max_phase if stars.amp is not None else np.zeros(n)
    meta = {"redshift": np.zeros(n), "distmod": mu, "ebv_mw": ebv, "field": field.astype(float),
            "peak_mjd": epoch + max_phase * p["period_days"], "peak_abs_mag": p["abs_mag_v"],
            "n_detections": n_det.astype(float), "brightest_mag": brightest,
            "period_days": p["period_days"], "amplitude_v_mag": p.get("amp_v", _nan(n)),
            "abs_mag_i": p.get("abs_mag_i", _nan(n)), "feh": p["feh"], "teff_k": stars.teff}
    res = _batch_result(n, kept, gobj, t, b, flux, err, meta)
    keep_pts = res["obj"] >= 0
    for k in ("obj", "time_mjd", "band_idx", "flux", "flux_err"):
        res[k] = res[k][keep_pts]
    for k in VARIABLE_META_COLUMNS:
        res["meta"][k] = np.asarray(meta[k], dtype=float)[kept]
    return res


def _group_median(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    if group.size == 0:
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    counts = np.diff(np.r_[starts, g.size])
    out[g[starts]] = v[starts + (counts - 1) // 2]
    return out


def simulate_variables(survey: Survey, label: str, n: int, seed, max_draws: int | None = None) -> dict:
    """Simulate ``n`` kept stars of one variable class (flat arrays; the layout of
    :func:`~astrokeras.simulation.population.simulate_class`, plus :data:`VARIABLE_META_COLUMNS`).

    Example:
        >>> from astrokeras.simulation.surveys import default_survey
        >>> out = simulate_variables(default_survey("ztf"), "RR Lyrae ab", 3, seed=0)
        >>> out["meta"]["period_days"].size
        3
    """
    from astrokeras.simulation.population import _PHOT, _concat

    rng = np.random.default_rng(seed)
    parts, have, drawn, rate = [], 0, 0, 0.3
    max_draws = max_draws or max(2000 * n, 200_000)
    while have < n:
        need = n - have
        batch = int(min(max(need / max(rate, 1e-3) * 1.2, 64), 5000))
        res = _batch(rng, survey, label, batch, _PHOT)
        drawn += batch
        n_kept = res["meta"]["redshift"].size
        if n_kept:
            if n_kept > need:
                m = res["obj"] < need
                res = {**res, **{k: res[k][m] for k in ("obj", "time_mjd", "band_idx", "flux", "flux_err")},
                       "meta": {k: v[:need] for k, v in res["meta"].items()}}
            parts.append(res)
            have += min(n_kept, need)
        rate = max(have / drawn, 1e-4)
        if have < n and drawn >= max_draws:
            raise RuntimeError(f"only {have} of {n} {label} stars were kept in {drawn} draws in survey {survey.name!r}")
    out = _concat(parts, drawn)
    for k in VARIABLE_META_COLUMNS:
        out["meta"][k] = np.concatenate([p["meta"][k] for p in parts]) if parts else np.zeros(0)
    return out
