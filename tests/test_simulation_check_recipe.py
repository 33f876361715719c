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


def test_results_files_and_readme_block(tmp_path):
    import json

    import pandas as pd

    def res(auroc):
        table = pd.DataFrame({"class": ["SN Ia"], "quantity": ["n_det"], "n_real": [3], "n_sim": [4],
                              "median_real": [5.0], "median_sim": [6.0], "ks": [0.5]})
        return {"auroc": auroc, "auroc_tokens": auroc - 0.01, "auroc_sequence": 0.6, "auroc_summary": 0.7,
                "giveaways": [("span", 0.8), ("n_tokens", 0.7)], "per_class": {"SN Ia": auroc}, "table": table,
                "n_real": 10, "n_sim": 20}

    main = res(0.9)
    table = main.pop("table")
    table.attrs.update(main, empirical=res(0.7), eros=res(0.8), wall_time_s=60.0)
    R.write_results(table, R.get_config(quick=True), str(tmp_path / "simulation_check"))
    folder = tmp_path / "simulation_check"
    summary = pd.read_csv(folder / "summary.csv")
    assert summary["comparison"].tolist() == ["bts", "bts_empirical", "eros"]
    assert summary["auroc"].tolist() == [0.9, 0.7, 0.8] and summary["giveaways"][0].startswith("span 0.80")
    assert set(pd.read_csv(folder / "quantities.csv")["comparison"]) == {"bts", "bts_empirical", "eros"}
    block = (folder / "readme_block.md").read_text()
    assert "**0.700**" in block and R.COMPARISONS["eros"] in block and "1.0 min wall" in block
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["config"]["seed"] == 0 and "git_commit" in prov and prov["variables_version"] >= 2
    # the README block generated from these files
    md = tmp_path / "README.md"
    md.write_text("x\n<!-- results:simulation_check/readme_block.md -->\nold\n<!-- /results:simulation_check/readme_block.md -->\n")
    ak.results.update_markdown_blocks(str(md), str(tmp_path))
    assert block in md.read_text() and "old" not in md.read_text()
