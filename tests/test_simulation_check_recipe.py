"""recipes/simulation_check.py: simulated vs real BTS on a small configuration."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

import astrokeras as ak
from recipes import simulation_check as R


def test_summary_statistics_on_a_hand_made_light_curve():
    # two detections in g and r around the peak, one non-detection that the S/N cut removes
    lcs = ak.LightCurves(["a"] * 5, [0.0, 2.0, 2.5, 10.0, 40.0], ["ztf::g", "ztf::g", "ztf::r", "ztf::r", "ztf::r"],
                         ak.mag_to_flux(np.array([19.0, 18.0, 18.2, 18.5, 24.0])), [10.0, 10.0, 10.0, 10.0, 10.0])
    s = R.summarise(lcs, snr_min=5.0).loc["a"]
    assert s["n_det"] == 4 and s["peak_mag"] == pytest.approx(18.0)
    assert s["duration"] == 10.0 and s["rise"] == 2.0 and s["fade"] == 8.0
    assert s["g_r_peak"] == pytest.approx(-0.2)


def test_bright_redshift_limit_grows_with_luminosity():
    from astrokeras.simulation import population as P
    from astrokeras.simulation.surveys import default_survey

    s = default_survey("ztf")
    opts = P.Options(sed="analytic")
    assert P.bright_redshift_limit("SLSN-I", s, 18.5, opts) > P.bright_redshift_limit("SN Ia", s, 18.5, opts) > \
        P.bright_redshift_limit("SN Ia-91bg", s, 18.5, opts)


def test_token_statistics_of_a_hand_made_light_curve():
    lcs = ak.LightCurves(["a"] * 4, [0.0, 0.1, 5.0, 20.0], ["ztf::g", "ztf::r", "ztf::g", "ztf::r"],
                         [100.0, 120.0, 400.0, 50.0], [5.0, 5.0, 5.0, 5.0])
    stats, values, mask = R.token_statistics(lcs, max_length=8)
    s = stats.loc["a"]
    assert s["n_tokens"] == 4 and s["span"] == pytest.approx(20.0, abs=1e-3)
    assert s["same_night_frac"] == pytest.approx(1 / 3) and s["g_frac"] == 0.5
    assert s["flux_max"] == pytest.approx(np.arcsinh(40.0), rel=1e-5)
    assert values.shape == (1, 8, 3) and mask.sum() == 4


@pytest.mark.slow
@pytest.mark.needs_data("ztf_bts_antares", "sim_blocks")
def test_recipe_runs_on_real_bts(data_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASTROKERAS_DATA", data_home)
    cfg = dataclasses.replace(R.get_config(quick=True), sim_factor=0.5, min_sim_per_class=40, cv_folds=3,
                              boosting_iterations=30, sequence_epochs=1, eros_per_class=40)
    table = R.run(cfg, str(tmp_path))
    assert 0.5 <= table.attrs["auroc"] <= 1.0
    assert table.attrs["auroc"] == max(table.attrs[k] for k in ("auroc_summary", "auroc_tokens", "auroc_sequence"))
    out = capsys.readouterr().out
    assert "Real-vs-simulated discriminator AUROC: " in out
    assert "Real-vs-simulated discriminator AUROC (EROS-1): " in out and 0.5 <= table.attrs["eros"]["auroc"] <= 1.0
    assert set(table.attrs["eros"]["per_class"]) == set(R.EROS_MAP)
    assert {"SN Ia", "SN II", "SN Ib/c"} <= set(table["class"])
    for name in ("distributions.png", "redshift_per_class.png", "simulation_check.md"):
        assert os.path.getsize(tmp_path / name) > 1000
    ia = table[(table["class"] == "SN Ia") & (table["quantity"] == "redshift")].iloc[0]
    # BTS-like selection: simulated and real SN Ia redshifts agree to within 0.03 in the median
    assert abs(ia["median_real"] - ia["median_sim"]) < 0.03


def test_variable_statistics_of_a_hand_made_star():
    t = np.sort(np.random.default_rng(0).uniform(0.0, 300.0, 60))  # irregular: no exact aliases
    mag_r = 18.0 + 0.5 * np.sin(2 * np.pi * t / 7.0)
    lcs = ak.LightCurves(["s"] * 120, np.r_[t, t + 0.05], ["eros::R"] * 60 + ["eros::B"] * 60,
                         ak.mag_to_flux(np.r_[mag_r, mag_r + 0.6]), np.full(120, 1.0))
    s = R.variable_statistics(lcs).loc["s"]
    assert s["n_points"] == 120 and s["b_minus_r"] == pytest.approx(0.6, abs=0.02)
    assert s["amp_r"] == pytest.approx(1.0, abs=0.1) and 10 ** s["log_period"] == pytest.approx(7.0, rel=0.02)
