"""Rates, redshift draws, the emergent detection selection, and physical sanity of simulated fluxes.

Physics checks use a *dense, deep* pointing log (daily visits in every band, 5-sigma depth 26.5) so
that the light curves themselves are measured from the simulated fluxes with little noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrokeras.simulation import population as P
from astrokeras.simulation import simulate
from astrokeras.simulation import surveys as S


def _dense_log(survey: str, band_letters: str, days: int = 900, depth: float = 26.5) -> pd.DataFrame:
    t = 60000.0 + np.arange(days)[:, None] + np.linspace(0.05, 0.3, len(band_letters))[None, :]
    bands = np.broadcast_to(np.array(list(band_letters)), t.shape)
    return pd.DataFrame({"time_mjd": t.ravel(), "band": bands.ravel(), "m5": np.full(t.size, depth)})


def _per_object(lcs, band: str):
    for i, oid in enumerate(lcs.object_ids):
        sl = slice(lcs.offsets[i], lcs.offsets[i + 1])
        m = lcs.band[sl] == band
        yield oid, lcs.time_mjd[sl][m], lcs.flux[sl][m]


def test_rates_and_redshift_draws_follow_the_volume():
    assert P.volumetric_rate("SN II", np.array([0.0]))[0] == pytest.approx(0.7 * 7e-5)
    assert P.md14(np.array([0.0]))[0] == pytest.approx(1.0)
    assert P.md14(np.array([1.9]))[0] > 8  # cosmic star formation peaks near z ~ 2
    rng = np.random.default_rng(0)
    z = P.sample_redshifts(rng, "AGN", 20000, 0.0, 0.1)
    # constant density at low z: N(<z) ∝ z^3 -> median at 0.1 * 0.5**(1/3) (slightly less: cosmology)
    assert np.median(z) == pytest.approx(0.1 * 0.5 ** (1 / 3), rel=0.03)
    with pytest.raises(ValueError, match="unknown class"):
        P.volumetric_rate("nova", np.array([0.1]))


def test_detection_fraction_falls_with_redshift():
    survey = S.ztf_survey()
    eff = []
    # v2: ZTF difference-imaging depth is 0.9 mag shallower (calibrated on BTS), so the last bin is
    # z = 0.2-0.25 instead of 0.3-0.35 (where SALT3 SNe Ia are now at the survey's edge)
    for k, zr in enumerate(((0.02, 0.05), (0.1, 0.13), (0.2, 0.25))):
        batch = P._transient_batch(np.random.default_rng(k), survey, "SN Ia", 3000, *zr)
        eff.append(batch["meta"]["redshift"].size / 3000)
    assert eff[0] > eff[1] > eff[2] > 0
    assert eff[0] > 2 * eff[2]


def test_selection_emerges_ztf_shallow_lsst_deep():
    counts = {"SN Ia": 150, "SN II": 150, "SN Ib/c": 100}
    ztf = simulate("ztf", classes=counts, seed=11).metadata
    lsst = simulate("lsst", classes=counts, seed=11).metadata
    assert (ztf["redshift"] < 0.4).mean() > 0.9
    assert lsst["redshift"].median() > 2 * ztf["redshift"].median()
    # Malmquist bias: distant detected SNe Ia are intrinsically brighter than nearby ones
    ia = ztf[ztf["label"] == "SN Ia"]
    near, far = ia[ia["redshift"] < 0.12], ia[ia["redshift"] > 0.25]
    assert far["peak_abs_mag"].mean() < near["peak_abs_mag"].mean() - 0.1


def test_sn_ia_peak_absolute_magnitude_from_the_fluxes():
    lcs = simulate("ztf", classes={"SN Ia": 60}, seed=3, redshift_range=(0.02, 0.04), cadence=_dense_log("ztf", "gr"))
    meta = lcs.metadata
    m_peak = np.array([27.5 - 2.5 * np.log10(f.max()) for _, _, f in _per_object(lcs, "ztf::g")])
    a_g = 3.6 * meta["ebv_mw"].to_numpy()  # A_g / E(B-V) for R_V = 3.1
    abs_g = m_peak - meta["distmod"].to_numpy() - a_g
    # rest-frame g at z~0.03 is close to B; allow for that and the sampling
    assert np.median(abs_g) == pytest.approx(-19.25, abs=0.3)


def test_time_dilation_of_the_light_curve_width():
    def widths(zr, band, seed):
        lcs = simulate("lsst", classes={"SN Ia": 40}, seed=seed, redshift_range=zr,
                       cadence=_dense_log("lsst", "ugrizy", depth=28.0))
        out = []
        for _, t, f in _per_object(lcs, band):
            if f.size and f.max() > 0:
                above = t[f > 0.5 * f.max()]
                out.append(above.max() - above.min())
        return np.median(out), np.median(lcs.metadata["redshift"])

    # observed g at z~0.07 and observed i at z~0.7 both sample rest-frame ~4450 A
    w_lo, z_lo = widths((0.06, 0.08), "lsst::g", 1)
    w_hi, z_hi = widths((0.68, 0.72), "lsst::i", 2)
    assert w_hi / w_lo == pytest.approx((1 + z_hi) / (1 + z_lo), rel=0.15)


def test_sn_ia_colour_reddens_with_redshift():
    def peak_colour(zr, seed):
        lcs = simulate("ztf", classes={"SN Ia": 40}, seed=seed, redshift_range=zr, cadence=_dense_log("ztf", "gr"))
        colours = []
        for (_, tg, fg), (_, tr, fr) in zip(_per_object(lcs, "ztf::g"), _per_object(lcs, "ztf::r")):
            k = np.argmax(fr)
            colours.append(-2.5 * np.log10(max(np.interp(tr[k], tg, fg), 1e-3) / fr[k]))
        return np.median(colours)

    assert peak_colour((0.25, 0.3), 5) > peak_colour((0.02, 0.04), 4) + 0.2


def test_agn_variability_matches_the_macleod_structure_function():
    lcs = simulate("lsst", classes={"AGN": 40}, seed=7, redshift_range=(0.2, 1.0),
                   cadence=_dense_log("lsst", "r", depth=27.0))
    meta = lcs.metadata
    ratios = []
    for (oid, t, diff) in _per_object(lcs, "lsst::r"):
        f_mean = 10 ** (-0.4 * (meta.loc[oid, "agn_mean_mag"] - 27.5))
        dmag = -2.5 * np.log10(np.clip(1 + diff / f_mean, 1e-3, None))
        ratios.append(dmag.std() / (meta.loc[oid, "agn_sf_inf_mag"] / np.sqrt(2)))
    # a 730-day window spans a few tau, so the sample std is somewhat below the stationary value
    assert 0.4 < np.median(ratios) < 1.15


@pytest.mark.slow
def test_all_classes_both_surveys_larger_run():
    for survey in ("ztf", "lsst"):
        lcs = simulate(survey, n=4000, seed=1, n_jobs=2)
        counts = lcs.metadata["label"].value_counts()
        assert counts.min() == counts.max() == 500
        assert np.all(np.isfinite(lcs.flux))
