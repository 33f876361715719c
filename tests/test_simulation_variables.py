"""Periodic variable stars (astrokeras.simulation.variables): determinism, bands per survey, physics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from astrokeras.simulation import VARIABLE_CLASSES, simulate, simulate_preset
from astrokeras.simulation import variables as V
from astrokeras.simulation.presets import preset_counts
from astrokeras.simulation.surveys import default_survey


def _ls_periods(lcs, band, f_max=4.0, min_points=10):
    from astropy.timeseries import LombScargle

    out = np.full(len(lcs), np.nan)
    for k in range(len(lcs)):
        sl = slice(lcs.offsets[k], lcs.offsets[k + 1])
        m = lcs.band[sl] == band
        if m.sum() < min_points:
            continue
        ls = LombScargle(lcs.time_mjd[sl][m], lcs.flux[sl][m], lcs.flux_err[sl][m])
        # a coarse grid (2 samples per peak), then a fine one around its best peak: the same answer as
        # samples_per_peak=10 at a fraction of the cost on multi-year baselines
        freq, power = ls.autopower(minimum_frequency=1 / 400, maximum_frequency=f_max, samples_per_peak=2)
        step = freq[1] - freq[0]
        fine = np.linspace(freq[np.argmax(power)] - 2 * step, freq[np.argmax(power)] + 2 * step, 41)
        fine = fine[fine > 0]
        out[k] = 1 / fine[np.argmax(ls.power(fine))]
    return out


def _mean_mag(lcs, band):
    m = lcs.band == band
    df = pd.DataFrame({"o": lcs.object_id[m], "mag": 27.5 - 2.5 * np.log10(np.clip(lcs.flux[m], 1e-3, None))})
    return df.groupby("o", sort=False)["mag"].mean().reindex(lcs.object_ids).to_numpy()


def test_same_seed_is_bitwise_identical_and_transients_are_unchanged():
    counts = {"Cepheid": 4, "EB detached": 3, "Mira": 2}
    a, b = simulate("eros", classes=counts, seed=5), simulate("eros", classes=counts, seed=5)
    assert np.array_equal(a.flux, b.flux) and np.array_equal(a.time_mjd, b.time_mjd)
    assert a.metadata.equals(b.metadata)
    c = simulate("eros", classes=counts, seed=6)
    assert not np.array_equal(a.metadata["period_days"].to_numpy(), c.metadata["period_days"].to_numpy())
    # adding variable classes to a call leaves its transients bitwise unchanged (per-class seeds)
    t = simulate("ztf", classes={"SN Ia": 4}, seed=2)
    tv = simulate("ztf", classes={"SN Ia": 4, "RR Lyrae c": 3}, seed=2)
    sn = tv.subset(list(t.object_ids))
    assert np.array_equal(t.flux, sn.flux) and "period_days" not in t.metadata
    assert tv.metadata.loc[t.object_ids, "period_days"].isna().all()
    assert (tv.metadata.loc[tv.metadata["label"] == "RR Lyrae c", "period_days"] > 0.2).all()


@pytest.mark.parametrize("survey,bands", [("eros", {"eros::B", "eros::R"}), ("ztf", {"ztf::g", "ztf::r"}),
                                          ("lsst", {f"lsst::{b}" for b in "ugrizy"})])
def test_classes_and_bands_per_survey(survey, bands):
    classes = {c: 2 for c in VARIABLE_CLASSES if not (survey == "eros" and c in ("delta Scuti", "EB contact"))}
    lcs = simulate(survey, classes=classes, seed=1)
    assert set(lcs.band) <= bands and len(lcs) == sum(classes.values())
    assert lcs.metadata["label"].value_counts().to_dict() == classes
    meta = lcs.metadata
    assert (meta["redshift"] == 0).all() and meta["period_days"].notna().all()
    assert (meta["n_detections"] >= V.MIN_DETECTIONS).all()
    assert np.isfinite(lcs.flux).all() and (lcs.flux_err > 0).all()
    span = lcs.time_mjd.max() - lcs.time_mjd.min()
    assert span > 300  # whole-schedule light curves, not transient windows
    if survey == "eros":
        assert np.allclose(meta["distmod"], V.LMC_DISTMOD, atol=0.3)


def test_unknown_class_error_lists_the_variables():
    with pytest.raises(ValueError, match="RR Lyrae ab"):
        simulate("ztf", classes={"RR Lyrae": 2})


def test_periods_are_recovered_by_lomb_scargle():
    lcs = simulate("ztf", classes={"Cepheid": 25, "RR Lyrae ab": 25, "EB contact": 20}, seed=3)
    truth = lcs.metadata["period_days"].to_numpy()
    label = lcs.metadata["label"].to_numpy()
    p = _ls_periods(lcs, "ztf::g", f_max=12.0)  # contact binaries: P/2 ~ 0.18 d
    good = np.abs(p / truth - 1) < 0.01
    half = np.abs(p / (truth / 2) - 1) < 0.01  # a binary's two eclipses: Lomb-Scargle finds P/2
    for cls in ("Cepheid", "RR Lyrae ab"):
        assert np.nanmean(good[label == cls]) >= 0.7, cls
    assert np.mean((good | half)[label == "EB contact"]) >= 0.7


def test_period_luminosity_relations_are_recovered_from_the_curves():
    lcs = simulate("eros", classes={"Cepheid": 80, "RR Lyrae ab": 150}, seed=4)
    label = lcs.metadata["label"].to_numpy()
    p = _ls_periods(lcs, "eros::R")
    truth = lcs.metadata["period_days"].to_numpy()
    m = _mean_mag(lcs, "eros::R")
    ok = np.abs(p / truth - 1) < 0.01
    cep = ok & (label == "Cepheid")
    # reported R_E: compressed at the bright end like the EROS-1 Cepheids (training split: -1.49 per dex)
    slope_reported = np.polyfit(np.log10(p[cep]), m[cep], 1)[0]
    assert -2.0 < slope_reported < -1.0
    # undo the response: the Leavitt law, V -2.43, I -2.81 (Benedict+2007); R_E lies between
    m_lin, k = V.EROS_RESPONSE["eros::R"]
    true = np.where(m < m_lin, (m - k * m_lin) / (1 - k), m)
    slope_cep = np.polyfit(np.log10(p[cep]), true[cep], 1)[0]
    assert -3.2 < slope_cep < -2.0
    rr = ok & (label == "RR Lyrae ab")
    slope_rr = np.polyfit(np.log10(p[rr]), m[rr], 1)[0]
    # RR Lyrae: flat in V, M_I slope -1.13 (Catelan+2004); small period range, so a loose bound
    assert -3.0 < slope_rr < 0.0
    # LMC distance: Cepheids at P ~ 3 d have R_E (~I) ~ 15-16 (OGLE-III: I ~ 15.3 at 3 d)
    near = cep & (np.abs(np.log10(p) - 0.5) < 0.15)
    assert 14.5 < np.median(m[near]) < 16.5


def test_amplitudes_are_larger_in_the_blue():
    lcs = simulate("lsst", classes={"Cepheid": 20, "RR Lyrae ab": 20}, seed=7)
    from astrokeras.simulation.population import _PHOT

    stars = V._Stars("Cepheid", V.draw_params("Cepheid", np.random.default_rng(0), 50), default_survey("lsst"),
                     np.full(50, 14.0), np.zeros(50), _PHOT)
    ratio = stars.amp[:, 1] / stars.amp[:, 3]  # lsst g / lsst i, model amplitudes
    assert np.all((ratio > 1.3) & (ratio < 2.2))
    # and measured from the curves: 5-95 % magnitude range in g over that in i
    mag = 27.5 - 2.5 * np.log10(np.clip(lcs.flux, 1e-3, None))
    df = pd.DataFrame({"o": lcs.object_id, "b": lcs.band, "m": mag, "snr": lcs.flux / lcs.flux_err})
    df = df[df["snr"] > 30]
    rng_ = df.groupby(["o", "b"])["m"].agg(lambda x: np.percentile(x, 95) - np.percentile(x, 5) if len(x) > 8 else np.nan)
    both = rng_.unstack()[["lsst::g", "lsst::i"]].dropna()
    assert len(both) >= 10
    assert 1.1 < np.median(both["lsst::g"] / both["lsst::i"]) < 2.0
    assert V.amplitude_ratio("mira", 0.44) > V.amplitude_ratio("mira", 0.8)


def test_binary_geometry():
    # two equal stars, central eclipse: half the light; grazing eclipse: less; out of eclipse: 1
    f = V.binary_flux(np.array([0.0, 0.25, 0.5]), 0.1, 0.1, 0.0, 1.0, 1.0, 0.0)
    assert np.allclose(f, [0.5, 1.0, 0.5])
    g = V.binary_flux(np.array([0.0]), 0.1, 0.1, 0.15, 1.0, 1.0, 0.0)
    assert 0.5 < g[0] < 1.0
    # a hotter primary: the primary eclipse (primary behind) is deeper than the secondary
    h = V.binary_flux(np.array([0.0, 0.5]), 0.1, 0.1, 0.0, 4.0, 1.0, 0.0)
    assert h[0] < h[1]


def test_variable_presets():
    counts = preset_counts("eros_variables")
    assert sum(counts.values()) == 3641 and counts["RR Lyrae ab"] + counts["RR Lyrae c"] == 2231
    assert sum(preset_counts("ztf_variables").values()) == 7000 and set(preset_counts("lsst_variables")) == set(VARIABLE_CLASSES)
    lcs = simulate_preset("eros_variables", scale=0.005)
    assert lcs.metadata["label"].value_counts().to_dict() == preset_counts("eros_variables", 0.005)
    assert set(lcs.band) <= {"eros::B", "eros::R"} and all(o.startswith("erosvar_") for o in lcs.object_ids)


def test_eros_schedule_matches_the_real_cadence():
    s = default_survey("eros")
    f0 = slice(s.field_offsets[0], s.field_offsets[1])
    t = s.time_mjd[f0]
    assert 180 < t.size < 320  # real EROS-1: 249 epochs (124 B_E, 125 R_E) over 894 d
    assert 850 < np.ptp(t) < 900
    gaps = np.diff(t)
    assert 0.2 < np.mean(gaps < 0.1) < 0.6  # B_E then R_E 0.05 d later


@pytest.mark.needs_data("eros1_ramp")
def test_eros_depths_match_the_real_errors(data_home):
    lcs = ak.datasets.load_eros("test", data_home=data_home)
    mag = 27.5 - 2.5 * np.log10(lcs.flux)
    err = 1.0857 * lcs.flux_err / lcs.flux
    # points selected by magnitude (not by error, which would bias towards noisy points) where the sky dominates
    for band, depth, lo, hi in (("eros::B", 20.1, 19.5, 21.0), ("eros::R", 19.1, 18.5, 20.0)):
        floor = V.ERROR_FLOOR_MAG[band][0]
        m = (lcs.band == band) & (mag > lo) & (mag < hi)
        sky = np.sqrt(np.clip(err[m] ** 2 - floor**2, 1e-6, None))
        m5 = np.median(mag[m] - 2.5 * np.log10(sky / 0.2))
        assert abs(m5 - depth) < 0.3, band


def test_detached_binaries_follow_the_eclipse_probability():
    p = V.draw_params("EB detached", np.random.default_rng(0), 3000)
    # Opik's law times the eclipse probability (R1 + R2)/a ~ P^(-2/3): median ~1.4 d (EROS-1 binaries 1.5 d)
    assert 0.9 < np.median(p["period_days"]) < 2.5 and p["period_days"].min() >= 0.5
    assert np.all(p["cos_i"] < 0.95 * (p["r1"] + p["r2"]))  # every one eclipses
    q = p["mass_ratio"]  # M2 / M1: detached, both stars inside their Roche lobes (Eggleton 1983)
    assert np.all(p["r1"] < V._roche_radius(1 / q)) and np.all(p["r2"] < V._roche_radius(q))


def test_eros_mira_population_and_response():
    rng = np.random.default_rng(1)
    eros = V.draw_params("Mira", rng, 4000, population="eros")["period_days"]
    galactic = V.draw_params("Mira", rng, 4000)["period_days"]
    assert 150 < np.median(eros) < 215 and 230 < np.median(galactic) < 340  # EROS-1 "Mira": LPVs, median 182 d
    bands = ("eros::B", "eros::R")
    mag = np.array([14.0, 16.0, 18.0, 14.0])
    out = V.apply_response(mag, np.array([1, 1, 1, 0]), bands)
    assert out[2] == 18.0 and out[3] == 14.0  # faint R_E points and B_E: unchanged
    assert 14.0 < out[0] < out[1] and out[1] > 16.0  # bright R_E points: compressed, order kept


def test_eros_errors_follow_the_real_error_curve():
    lcs = simulate("eros", classes={"Cepheid": 40, "RR Lyrae ab": 40}, seed=2)
    mag = 27.5 - 2.5 * np.log10(np.clip(lcs.flux, 1e-3, None))
    err = 1.0857 * lcs.flux_err / np.clip(lcs.flux, 1e-3, None)
    # EROS-1 (3,641 stars, median per-star error in 0.5-mag bins): R_E 0.10-0.11 at 15.5-16.5, 0.19 at 18.5-19;
    # B_E 0.12-0.13 at 15.5-16.5 and 0.13 at 19-19.5
    for band, lo, hi, target in (("eros::R", 15.5, 16.5, 0.105), ("eros::R", 18.5, 19.0, 0.19),
                                 ("eros::B", 15.5, 16.5, 0.125), ("eros::B", 19.0, 19.5, 0.13)):
        sel = (lcs.band == band) & (mag > lo) & (mag < hi)
        assert sel.sum() > 50 and abs(np.median(err[sel]) - target) < 0.04, (band, lo)
