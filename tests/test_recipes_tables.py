"""Tests of recipes/table1.py and recipes/table2.py with tiny configurations and tiny encoders."""

from __future__ import annotations

import json
import os
import shutil

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
                  sim_scale=0.02, seeds=(0,), sim_seeds=(0, 1), scratch_seeds=(0,), scratch_tasks=("sim",),
                  sequence_epochs=2, scratch_encoder=TINY, head_epochs=20, head_grid=((8,), (16,)), n_jobs=1,
                  n_boot=200, jit_compile=False)
    return table1.get_config(quick=True, **{**kwargs, **overrides})


def test_table1_simulated_columns(tiny_models_dir, tmp_path, capsys):
    table = table1.run(_tiny_table1_config(tiny_models_dir), str(tmp_path))
    hybrid = [r for r in table.index if r.startswith("Features + latent of")]
    assert list(table.index)[:4] == [table1.SCRATCH_ROW, "Classifier (ZTF only)", "Classifier + Contrastive",
                                     table1.FEATURE_ROW] and len(hybrid) == 1
    assert list(table.columns) == ["Sim ZTF z MSE", "Sim LSST z MSE"]
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert set(runs["column"]) == {"Sim ZTF z MSE", "Sim LSST z MSE"}
    assert np.isfinite(runs["value"]).all() and (runs["value"] > 0).all() and runs["dev_value"].notna().all()
    counts = runs.groupby(["row", "column"]).size()
    assert counts["Classifier (ZTF only)", "Sim ZTF z MSE"] == 2          # two head seeds
    assert counts[table1.SCRATCH_ROW, "Sim LSST z MSE"] == 1
    summary = pd.read_csv(tmp_path / "summary.csv").set_index(["row", "column"])
    cell = summary.loc[("Classifier (ZTF only)", "Sim ZTF z MSE")]
    assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"] and cell["n_seeds"] == 2
    assert "[" in table.loc["Classifier (ZTF only)", "Sim ZTF z MSE"]     # the CI is printed
    comps = pd.read_csv(tmp_path / "comparisons.csv")
    assert {"a", "b", "difference", "ci_low", "ci_high", "verdict"} <= set(comps.columns) and len(comps)
    assert ((comps["ci_low"] <= comps["difference"]) & (comps["difference"] <= comps["ci_high"])).all()
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert set(prov["encoder_sha256"]) == set(NAMES) and prov["data_checksums"]["sim_ztf"]
    assert "git_commit" in prov and prov["versions"]["keras"]
    md = (tmp_path / "table1.md").read_text()
    out = capsys.readouterr().out
    assert "QUICK MODE" in md and "stands in for the paper's Kepler" in md
    assert "adversarial_ztf_lsst" in out                                 # the missing encoder is reported
    assert max(len(line) for line in out.splitlines() if line.startswith(("model", "classifier", "no pre", "feat"))) <= 120
    choices = json.loads((tmp_path / "choices.json").read_text())
    heads = [c for c in choices if "redshift" in c and "hidden_units" in c["redshift"] and c["row"] != table1.SCRATCH_ROW]
    assert heads and {tuple(c["redshift"]["hidden_units"]) for c in heads} <= {(8,), (16,)}


def test_table1_reports_missing_real_data(tiny_models_dir, tmp_path, capsys):
    config = _tiny_table1_config(tiny_models_dir, tasks=("eros",), data_home=str(tmp_path / "nowhere"),
                                 encoders=NAMES[:1], scratch=False, features=False)
    table1.run(config, str(tmp_path))
    out = capsys.readouterr().out
    assert "EROS-1 columns missing" in out and "python -m astrofm fetch eros1_ramp" in out


def test_quick_and_full_configs():
    quick, full = table1.get_config(quick=True), table1.get_config(quick=False)
    assert quick.quick and not full.quick
    assert full.seeds == full.scratch_seeds == (0, 1, 2, 3, 4) and full.split_seeds == (0, 1, 2, 3, 4)
    assert quick.scratch and quick.sequence_epochs == full.sequence_epochs >= 100  # converged in both modes
    assert quick.split_seeds == (0, 1, 2, 3, 4)  # outer splits in quick mode too (frozen rows)


def test_table1_main_parses_arguments(monkeypatch):
    seen = {}
    monkeypatch.setattr(table1, "run", lambda config, workdir: seen.update(config=config, workdir=workdir))
    assert table1.main(["--full", "--workdir", "w", "--models-dir", "m"]) == 0
    assert seen["workdir"] == "w" and seen["config"].models_dir == "m"
    assert not seen["config"].quick and seen["config"].seeds == (0, 1, 2, 3, 4)
    assert table1.main(["--tasks", "eros", "--encoders", "a,b", "--eros-encoders", "b"]) == 0
    assert seen["config"].encoders == ("a", "b") and seen["config"].previous_encoders == ()
    assert seen["config"].eros_encoders == ("b",) and seen["config"].tasks == ("eros",)


def test_table2_rows(tiny_models_dir, tmp_path):
    # a copy of the tiny encoders plus a 'previous release' of one of them (its rows are compared with it)
    models = tmp_path / "models"
    shutil.copytree(tiny_models_dir, models)
    for ext in (".keras", ".json"):
        shutil.copy(models / f"classifier_ztf{ext}", models / f"classifier_ztf_sim1{ext}")
    config = table2.get_config(quick=True, models_dir=str(models), encoders=NAMES, sim_scale=0.03,
                               seeds=(0,), sequence_epochs=2, scratch_encoder=TINY, head_epochs=20,
                               head_grid=((8,),), knn_k=10, n_jobs=1, n_boot=200, jit_compile=False,
                               scratch_settings=table2.SETTINGS)
    table = table2.run(config, str(tmp_path))
    index = list(table.index)
    assert index[0].startswith("direct") and index[-1].startswith("zero-shot kNN")
    assert "zero-shot MLP: Classifier + Contrastive (ZTF)" in index
    assert "direct: No pretraining (ZTF + LSST)" in index
    assert len(index) == 4 + 5 * (len(NAMES) + 1)
    assert "zero-shot MLP: Classifier (ZTF only) [simulator v1] (ZTF)" in index
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert np.isfinite(runs["value"]).all() and (runs["value"] > 0).all()
    assert "z < 0.4" in (tmp_path / "table2.md").read_text()
    comps = pd.read_csv(tmp_path / "comparisons.csv")
    assert "zero-shot MLP: Classifier + Contrastive (ZTF)" in set(comps["a"])
    # the previous release is compared with its retrained version only, zero-shot MLP and kNN
    v1 = comps[(comps["a"].str.contains("simulator v1")) | (comps["b"].str.contains("simulator v1"))]
    assert sorted(v1["a"]) == ["zero-shot MLP: Classifier (ZTF only) (ZTF)",
                               "zero-shot kNN k=10: Classifier (ZTF only) (ZTF)"]
    assert v1["b"].str.endswith("[simulator v1] (ZTF)").all()


def test_zero_shot_rows_never_see_an_lsst_redshift(tiny_models_dir, tmp_path):
    both, splits = table2.load_sets(table2.get_config(quick=True, sim_scale=0.03, n_jobs=1), str(tmp_path))
    z = both.metadata["redshift"].to_numpy(float)
    tasks, test = table2.tasks_for(z, splits)
    lsst = set(np.r_[splits["lsst"][0], splits["lsst"][1], splits["lsst"][2]].tolist())
    zs = tasks["zero-shot MLP (ZTF)"]
    assert not (set(zs.train.tolist()) | set(zs.dev.tolist())) & lsst
    assert (z[test] < table2.Z_MAX).all() and set(test.tolist()) <= lsst


@pytest.mark.slow
@pytest.mark.needs_data("ztf_bts_antares", "eros1_ramp")
def test_table1_real_columns(tiny_models_dir, tmp_path, data_home):
    config = _tiny_table1_config(tiny_models_dir, tasks=("bts", "eros"), data_home=data_home, encoders=NAMES[:1],
                                 n_limited=128, scratch_tasks=("bts",), split_seeds=(0, 1))
    table = table1.run(config, str(tmp_path))
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert np.isfinite(runs["value"]).all()
    for column in ("BTS class AUROC (Lim.)", "BTS anomaly AUROC (Full)", "EROS-1 AUROC (Full)"):
        values = runs.loc[runs["column"] == column, "value"]
        assert len(values) >= 2 and values.between(0, 1).all()
    assert set(runs.loc[runs["column"] == "BTS class AUROC (Full)", "split"]) == {0, 1}
    assert table.loc["Features + HistGradientBoosting", "BTS class AUROC (Full)"] != "—"
    calib = pd.read_csv(tmp_path / "calibration.csv")
    assert any("ECE (T-scaled)" in c for c in calib.columns)
    assert (tmp_path / "reliability_bts.png").exists() and len(list(tmp_path.glob("confusion_bts_*.png"))) >= 2
    per_class = pd.read_csv(tmp_path / "per_class_auroc.csv")
    assert set(per_class["class"]) >= {"SN Ia", "SN Ib/c", "SN II", "RR Lyrae"}


def test_bts_split_is_disjoint_stratified_and_keeps_the_fixed_test_set():
    ids = np.array([f"ZTF{i:05d}" for i in range(400)])
    labels = np.array((["SN Ia"] * 6 + ["SN II"] * 3 + ["SN Ib/c"]) * 40)
    train, dev, test = ak.evaluation.train_dev_test_split_ids(ids, labels, 0.2, 0.2, seed=0)
    assert not (set(train) & set(dev) or set(train) & set(test) or set(dev) & set(test))
    assert len(train) + len(dev) + len(test) == 400 and len(test) == 80 and 60 <= len(dev) <= 66
    _, old_test = ak.evaluation.train_test_split_ids(ids, labels, 0.2, seed=0)
    np.testing.assert_array_equal(test, old_test)
    lab = dict(zip(ids, labels))
    assert sum(lab[i] == "SN Ib/c" for i in dev) == 6


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


def test_previous_releases_are_rows_compared_with_their_retrained_versions():
    from astrokeras.tasks import ENCODER_ROWS, FEATURE_ROW, PREVIOUS_ENCODER_ROWS, encoder_row

    assert encoder_row("contrastive_ztf_lsst_sim1") == "Classifier + Contrastive [simulator v1]"
    assert encoder_row("my_encoder") == "my_encoder"
    # the two paper-size encoders released on simulator v1 keep their release too; later paper-size ones have none
    assert [name for name in PREVIOUS_ENCODER_ROWS if name.endswith("_full_sim1")] == [
        "classifier_ztf_lsst_full_sim1", "contrastive_ztf_lsst_full_sim1"]
    rows = [ENCODER_ROWS["contrastive_ztf_lsst"], PREVIOUS_ENCODER_ROWS["contrastive_ztf_lsst_sim1"], FEATURE_ROW]
    pairs = table1.comparison_pairs(rows, ENCODER_ROWS["contrastive_ztf_lsst"], None)
    assert (rows[0], rows[1]) in pairs                     # retrained - previous, paired on the same objects
    assert (rows[0], FEATURE_ROW) in pairs and (rows[1], FEATURE_ROW) not in pairs
    # quick: the quick releases beside their v1 rows; full: the paper-size releases beside theirs
    quick, full = table1.get_config(quick=True), table1.get_config(quick=False)
    assert quick.previous_encoders == tuple(n for n in PREVIOUS_ENCODER_ROWS if not n.endswith("_full_sim1"))
    assert full.previous_encoders == ("classifier_ztf_lsst_full_sim1", "contrastive_ztf_lsst_full_sim1")
    assert all(n.endswith("_full") for n in full.encoders) and len(full.encoders) == 6
    assert table2.get_config(quick=False).encoders == full.encoders
    assert table2.get_config(quick=True).previous_encoders == quick.previous_encoders
    # within a size, against the plain classifier of that size; paper-size against quick
    full_rows = [ENCODER_ROWS[n] for n in ("adversarial_ztf_lsst_full", "classifier_ztf_lsst_full", "adversarial_ztf_lsst")]
    pairs = table1.comparison_pairs(full_rows, None, None)
    assert (full_rows[0], full_rows[1]) in pairs and (full_rows[0], full_rows[2]) in pairs
    assert (full_rows[2], full_rows[1]) not in pairs
    # the paired-view encoders are not default Table 1 rows (--encoders adds them): the objective is compared
    # with its control and both with the plain classifier of their size, never across sizes
    from astrokeras.tasks import PAIRED_ENCODER_ROWS
    inv, ctl = PAIRED_ENCODER_ROWS["invariant_ztf_lsst_full"], PAIRED_ENCODER_ROWS["classifier_paired_ztf_lsst_full"]
    base, quick_inv = ENCODER_ROWS["classifier_ztf_lsst_full"], PAIRED_ENCODER_ROWS["invariant_ztf_lsst"]
    pairs = table1.comparison_pairs([inv, ctl, base, quick_inv, FEATURE_ROW], None, None)
    assert {(inv, ctl), (inv, base), (ctl, base), (inv, FEATURE_ROW), (quick_inv, FEATURE_ROW)} <= set(pairs)
    assert not {(quick_inv, base), (quick_inv, inv), (inv, quick_inv)} & set(pairs)
    assert "invariant_ztf_lsst_full" not in table1.get_config(quick=False).encoders
    # the cross-survey table shows them and their v1 releases
    assert encoder_row("invariant_ztf_lsst_sim1") == "Classifier + view invariance (ours) [simulator v1]"
    assert "invariant_ztf_lsst_sim1" not in table1.get_config(quick=True).previous_encoders
