"""Analytic SEDs, synthetic photometry tables and bolometric light curves."""

from __future__ import annotations

import os

import numpy as np
import pytest

from astrokeras import bands
from astrokeras.simulation import sources as S


def test_blackbody_shape_is_normalised_and_peaks_at_wien():
    w = np.linspace(50.0, 3e6, 600001)
    for t in (3000.0, 1e4, 3e4):
        shape = S.blackbody_shape(w, np.array(t))
        assert np.trapezoid(shape, w) == pytest.approx(1.0, rel=2e-3)
        assert w[np.argmax(shape)] == pytest.approx(2.898e7 / t, rel=2e-3)  # Wien: 2.898e-3 m K


def test_flat_fnu_source_has_the_textbook_k_correction():
    # f_nu = const (alpha_nu = 0): m(z) - m(0) = -2.5 log10(1+z) in every band (Hogg+2002 eq. 13)
    phot = S.SyntheticPhotometry()
    names = ["ztf::g", "lsst::u", "lsst::y"]
    idx = np.arange(3)
    for z in (0.3, 1.7):
        m0 = phot.magnitude("powerlaw", names, idx, np.zeros(3), np.zeros(3))
        mz = phot.magnitude("powerlaw", names, idx, np.full(3, z), np.zeros(3))
        assert np.allclose(mz - m0, -2.5 * np.log10(1 + z), atol=2e-3)
        assert np.allclose(m0, m0[0], atol=2e-3)  # a flat f_nu source has the same AB magnitude in all bands


def test_band_integration_differs_from_effective_wavelength_for_blanketed_sed():
    # at z = 0.19 the ztf::g pivot (4789 A observed, 4025 A rest) lies redward of the 4000 A
    # blanketing cutoff, so an effective-wavelength evaluation sees no suppression at all; the
    # band's blue wing (3676 A observed, 3090 A rest) does, and integrating through the filter shows it
    phot = S.SyntheticPhotometry()
    z, log_t = np.array([0.19]), np.log10([12000.0])
    blanketed = phot.magnitude("blanketed", ["ztf::g"], np.zeros(1), z, log_t)[0]
    bare = phot.magnitude("blackbody", ["ztf::g"], np.zeros(1), z, log_t)[0]
    pivot_rest = bands.get_band("ztf::g").wavelength_um * 1e4 / 1.19
    assert S.uv_suppression(np.array([pivot_rest]), 4000.0, 2.0)[0] == 1.0
    assert blanketed - bare > 0.05
    # and the r band (entirely redward of the cutoff) is unaffected
    r_diff = (phot.magnitude("blanketed", ["ztf::r"], np.zeros(1), z, log_t)
              - phot.magnitude("blackbody", ["ztf::r"], np.zeros(1), z, log_t))[0]
    assert abs(r_diff) < 1e-4


def test_dust_coefficients_match_fitzpatrick_at_z0():
    phot = S.SyntheticPhotometry()
    k = phot.dust(["bessell::B", "bessell::V"], np.array([0, 1]), np.zeros(2), r_v=3.1)
    assert k[0] - k[1] == pytest.approx(1.0, abs=0.08)  # E(B-V) = A_B - A_V per unit E(B-V)
    assert k[1] == pytest.approx(3.1, abs=0.15)
    # rest-frame dust on a redshifted source hits bluer rest wavelengths -> larger A per E(B-V)
    assert phot.dust(["ztf::r"], np.zeros(1), np.array([0.5]))[0] > phot.dust(["ztf::r"], np.zeros(1), np.zeros(1))[0]


def test_arnett_rise_maps_to_tau_and_tail_follows_cobalt():
    table = S.arnett_table()
    assert np.all(np.diff(table.t_peak) >= 0)  # longer diffusion time -> later peak
    tau = S.tau_m_for_rise(np.array([18.0]))
    t = np.array([18.0, 250.0, 350.0])
    log_l = table(t, np.log10(np.repeat(tau, 3)))
    assert log_l[0] == pytest.approx(0.0, abs=0.01)
    slope = -2.5 * (log_l[2] - log_l[1])  # mag per 100 d on the tail
    assert 0.98 <= slope < 2.5  # 56Co decay (0.98) steepened by gamma-ray leakage


def test_magnetar_peak_is_normalised_and_later_for_slow_spin_down():
    table = S.magnetar_table()
    assert np.max(10 ** table.log_lum) == pytest.approx(1.0, abs=1e-3)
    assert table.t_peak[-1] > table.t_peak[0]


def test_sn_ia_parameters_follow_published_distributions():
    rng = np.random.default_rng(0)
    p = S.draw_transient_params(S.TRANSIENTS["SN Ia"], rng, 20000)
    x1, c = p["x1"], p["color_c"]
    # asymmetric Gaussians (Scolnic & Kessler 2016): the mass above the mode is sigma+/(sigma- + sigma+)
    assert np.mean(x1 > 0.973) == pytest.approx(0.222 / (1.472 + 0.222), abs=0.01)
    assert np.mean(c > -0.054) == pytest.approx(0.101 / (0.043 + 0.101), abs=0.015)
    assert np.median(x1[x1 > 0.973]) - 0.973 == pytest.approx(0.6745 * 0.222, abs=0.02)
    # Tripp: intrinsic M_B = -19.25 - 0.14 x1 + 0.12 scatter
    resid = p["peak_abs_mag"] - (-19.25 - 0.14 * x1)
    assert abs(resid.mean()) < 0.01 and resid.std() == pytest.approx(0.12, abs=0.01)


def test_macleod_relations_scale_with_wavelength_and_luminosity():
    sf_blue, tau_blue = S.macleod_drw(np.array([2000.0]), np.array([-23.0]), np.array([9.0]))
    sf_red, tau_red = S.macleod_drw(np.array([8000.0]), np.array([-23.0]), np.array([9.0]))
    assert sf_blue[0] > sf_red[0] and tau_blue[0] < tau_red[0]
    sf_bright, _ = S.macleod_drw(np.array([4000.0]), np.array([-27.0]), np.array([9.0]))
    assert sf_bright[0] < S.macleod_drw(np.array([4000.0]), np.array([-23.0]), np.array([9.0]))[0][0]


def test_damped_random_walk_has_the_drw_structure_function():
    rng = np.random.default_rng(1)
    n_obj, n_t = 400, 200
    t = np.tile(np.arange(n_t) * 5.0, n_obj)
    offsets = np.arange(n_obj + 1) * n_t
    x = S.damped_random_walk(rng, t, offsets, np.full(n_obj, 50.0), np.full(n_obj, 0.2)).reshape(n_obj, n_t)
    assert x.std() == pytest.approx(0.2, rel=0.05)
    # SF(dt)^2 = 2 sigma^2 (1 - exp(-dt/tau)) (MacLeod+2010 eq. 4)
    for lag in (1, 10, 60):
        sf = np.sqrt(np.mean((x[:, lag:] - x[:, :-lag]) ** 2))
        expected = np.sqrt(2 * 0.2**2 * (1 - np.exp(-lag * 5.0 / 50.0)))
        assert sf == pytest.approx(expected, rel=0.07)


@pytest.mark.needs_data("sim_blocks")
def test_analytic_ia_resembles_the_hsiao_template(data_home):
    from astropy.io import fits

    data = fits.getdata(os.path.join(data_home, "sim_blocks", "hsiao", "Hsiao_SED_V3_subsampled.fits")).astype(float)
    wave = 1000.0 + 50.0 * np.arange(data.shape[1])
    phase = -20.0 + 5.0 * np.arange(data.shape[0])

    def ab(flux, band):
        bw, bt = bands.load_transmission(band)
        f = np.interp(bw, wave, flux)
        return -2.5 * np.log10(np.trapezoid(f * bt * bw, bw) / np.trapezoid(bt / bw, bw))

    hsiao = {b: np.array([ab(row, b) for row in data]) for b in ("bessell::B", "ztf::g", "ztf::r")}
    h_dm15 = float(np.interp(15, phase, hsiao["bessell::B"]) - np.interp(0, phase, hsiao["bessell::B"]))
    h_gr = float(np.interp(0, phase, hsiao["ztf::g"]) - np.interp(0, phase, hsiao["ztf::r"]))

    model = S.TRANSIENTS["SN Ia"]
    p = S.draw_transient_params(model, np.random.default_rng(0), 1, {"peak_abs_mag": np.array([-19.25]),
                                                                      "x1": np.array([0.0])})
    p["t_early_k"][:] = 30000.0
    t = np.linspace(0.0, 90.0, 901)
    dm, log_t = S.transient_lightcurve(model, p, np.zeros(t.size, np.int64), t)
    phot = S.SyntheticPhotometry()
    mags = {b: dm + phot.magnitude("blanketed", [b], np.zeros(t.size, np.int64), np.zeros(t.size), log_t)
            for b in ("bessell::B", "ztf::g", "ztf::r")}
    t_b = t[np.argmin(mags["bessell::B"])]
    dm15 = float(np.interp(t_b + 15, t, mags["bessell::B"]) - np.interp(t_b, t, mags["bessell::B"]))
    gr = float(np.interp(t_b, t, mags["ztf::g"]) - np.interp(t_b, t, mags["ztf::r"]))
    assert 15.0 < t_b < 22.0  # rest-frame B rise time of a normal Ia
    assert abs(dm15 - h_dm15) < 0.35, (dm15, h_dm15)
    assert abs(gr - h_gr) < 0.3, (gr, h_gr)
