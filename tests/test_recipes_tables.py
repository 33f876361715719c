"""Tests of recipes/table1.py and recipes/table2.py with tiny configurations and tiny encoders."""

from __future__ import annotations

import os

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from recipes import table1, table2

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)
NAMES = ("classifier_ztf", "contrastive_ztf_lsst")


@pytest.fixture(scope="module")
def tiny_models_dir(tmp_path_factory):
    """Two tiny 'released' encoders (one epoch of pretraining on a few simulated curves)."""
    folder = str(tmp_path_factory.mktemp("models"))
    lcs = ak.LightCurves.concat([ak.simulate("ztf", n=48, seed=1), ak.simulate("lsst", n=48, seed=2)])
    codes = pd.Categorical(lcs.metadata["label"], categories=list(ak.simulation.CLASSES)).codes
    for seed, name in enumerate(NAMES):
        keras.utils.set_random_seed(seed)
        model = ak.Classifier(ak.GRUEncoder(**TINY), n_classes=len(ak.simulation.CLASSES))
        data = ak.pipeline.make_dataset(ak.Tokenizer().tokenize(lcs), {"class": codes.astype(np.int32)},
                                        batch_size=32, shuffle=True, seed=seed)
        model.compile(optimizer="adam")
        model.fit(data, epochs=1, verbose=0)
        path = os.path.join(folder, f"{name}.keras")
        model.encoder.save(path)
        ak.presets.write_sidecar(path, recipe="tests", tokenizer=ak.Tokenizer().get_config())
    return folder


def _tiny_table1_config(models_dir, **overrides):
    kwargs = dict(models_dir=models_dir, encoders=NAMES + ("adversarial_ztf_lsst",), tasks=("sim",),
                  sim_scale=0.02, seeds=(0,), sim_seeds=(0, 1), scratch_seeds=(0,), scratch_epochs=1,
                  scratch_max_train=64, scratch_encoder=TINY, head_epochs=20, n_jobs=1)
    return table1.get_config(quick=True, **{**kwargs, **overrides})


def test_table1_simulated_columns(tiny_models_dir, tmp_path, capsys):
    summary = table1.run(_tiny_table1_config(tiny_models_dir, hybrid_encoders=NAMES[:1]), str(tmp_path))
    rows = [table1.SCRATCH_ROW, "Classifier (ZTF only)", "Classifier + Contrastive", table1.FEATURE_ROW,
            table1.hybrid_row("Classifier (ZTF only)")]
    assert list(summary.index) == rows
    assert list(summary.columns) == table1.COLUMNS
    raw = pd.read_csv(tmp_path / "table1.csv")
    assert set(raw["column"]) == {"Sim ZTF z MSE", "Sim LSST z MSE"}
    assert np.isfinite(raw["value"]).all() and (raw["value"] > 0).all()
    # two head seeds per encoder and survey; one seed for the from-scratch row
    counts = raw.groupby(["row", "column"]).size()
    assert counts["Classifier (ZTF only)", "Sim ZTF z MSE"] == 2
    assert counts[table1.SCRATCH_ROW, "Sim LSST z MSE"] == 1
    assert "±" in summary.loc["Classifier (ZTF only)", "Sim ZTF z MSE"]
    assert summary.loc["Classifier (ZTF only)", "BTS class AUROC (Lim.)"] == "—"
    md = (tmp_path / "table1.md").read_text()
    out = capsys.readouterr().out
    for text in (md, out):
        assert "QUICK MODE" in text and "stands in for the paper's Kepler" in text
        assert "adversarial_ztf_lsst" in text  # the missing encoder is reported


def test_table1_reports_missing_real_data(tiny_models_dir, tmp_path, capsys):
    config = _tiny_table1_config(tiny_models_dir, tasks=("bts", "eros"), data_home=str(tmp_path / "nowhere"),
                                 encoders=NAMES[:1], scratch=False, features=False)
    summary = table1.run(config, str(tmp_path))
    out = capsys.readouterr().out
    assert "BTS columns missing" in out and "EROS-1 columns missing" in out
    assert (summary.to_numpy() == "—").all() if summary.size else True


def test_quick_headline_falls_back_to_the_quick_size_encoder():
    config = table1.get_config(quick=True)
    assert config.eros_encoders == config.hybrid_encoders == (table1.QUICK_HEADLINE,)
    both = ["classifier_ztf_lsst", table1.QUICK_HEADLINE]
    assert table1.with_available_headline(config, both) == config
    fallback = table1.with_available_headline(config, ["classifier_ztf_lsst"])
    assert fallback.eros_encoders == fallback.hybrid_encoders == ("classifier_ztf_lsst",)
    full = table1.get_config(quick=False)  # None = every encoder: untouched
    assert table1.with_available_headline(full, ["classifier_ztf_lsst"]).eros_encoders is None


def test_table1_main_parses_arguments(monkeypatch):
    seen = {}
    monkeypatch.setattr(table1, "run", lambda config, workdir: seen.update(config=config, workdir=workdir))
    assert table1.main(["--full", "--workdir", "w", "--seed", "3", "--models-dir", "m"]) == 0
    assert seen["workdir"] == "w" and seen["config"].split_seed == 3 and seen["config"].models_dir == "m"
    assert not seen["config"].quick and seen["config"].seeds == (0, 1, 2, 3, 4)
    assert table1.get_config(quick=True).quick


def test_table2_rows(tiny_models_dir, tmp_path):
    config = table2.get_config(quick=True, models_dir=tiny_models_dir, encoders=NAMES, sim_scale=0.03,
                               seeds=(0,), scratch_epochs=1, scratch_max_train=64, scratch_encoder=TINY,
                               head_epochs=20, knn_k=10, n_jobs=1)
    summary = table2.run(config, str(tmp_path))
    index = list(summary.index)
    assert index[0].startswith("direct") and index[-1].startswith("zero-shot kNN")
    assert "zero-shot MLP: Classifier + Contrastive (ZTF)" in index
    assert "direct: No pretraining (ZTF + LSST)" in index
    assert len(index) == 4 + 4 * len(NAMES) + len(NAMES)
    raw = pd.read_csv(tmp_path / "table2.csv")
    assert np.isfinite(raw["value"]).all() and (raw["value"] > 0).all()
    assert "z < 0.4" in (tmp_path / "table2.md").read_text()


@pytest.mark.slow
@pytest.mark.needs_data("ztf_bts_antares", "eros1_ramp")
def test_table1_real_columns(tiny_models_dir, tmp_path, data_home):
    config = _tiny_table1_config(tiny_models_dir, tasks=("bts", "eros"), data_home=data_home, encoders=NAMES[:1],
                                 n_limited=128, eros_encoders=NAMES[:1], eros_epochs=1)
    summary = table1.run(config, str(tmp_path))
    raw = pd.read_csv(tmp_path / "table1.csv")
    assert np.isfinite(raw["value"]).all()
    for column in ("BTS class AUROC (Lim.)", "BTS anomaly AUROC per-class (Full)", "EROS-1 AUROC (Full)"):
        values = raw.loc[raw["column"] == column, "value"]
        assert len(values) >= 3 and values.between(0, 1).all()
    assert summary.loc["Features + HistGradientBoosting", "BTS class AUROC (Full)"] != "—"


def test_figures_recipe_without_real_data(tiny_models_dir, tmp_path):
    from recipes import figures

    config = figures.get_config(models_dir=tiny_models_dir, encoders=NAMES[:1], data_home=str(tmp_path / "nowhere"),
                                sim_scale=0.03, n_umap=40, umap=False, n_jobs=1, tasks=("sim",))
    out = figures.run(config, str(tmp_path))
    names = {os.path.basename(f) for f in out["files"]}
    assert {"light_curves_sim.png", "umap_classifier_ztf.png", "redshift_classifier_ztf_sim.png"} <= names
    assert all(os.path.getsize(f) > 1000 for f in out["files"])
    row = out["redshift"].iloc[0]
    assert row["data"] == "ZTF (simulated)" and 0 <= row["coverage_68"] <= row["coverage_95"] <= 1
    assert "light_curves_real.png" not in names and "roc_bts.png" not in names  # the BTS data ship with astrokeras


@pytest.mark.slow
@pytest.mark.needs_data("ztf_bts_antares")
def test_figures_recipe_real_data(tiny_models_dir, tmp_path, data_home):
    from recipes import figures

    config = figures.get_config(models_dir=tiny_models_dir, encoders=NAMES[:1], data_home=data_home,
                                sim_scale=0.03, n_umap=40, umap=False, days=(5, 30), n_jobs=1)
    out = figures.run(config, str(tmp_path))
    early = out["early"]
    assert set(early["model"]) == {"Classifier (ZTF only)", "Features + HistGradientBoosting"}
    assert early["macro_auroc"].between(0, 1).all()
    assert (tmp_path / "roc_bts.png").exists() and (tmp_path / "early_classification.md").exists()
