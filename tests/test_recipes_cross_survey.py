"""Tests of recipes/cross_survey.py with tiny encoders and a tiny paired simulation."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from recipes import cross_survey

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)
NAMES = ("classifier_ztf", "invariant_ztf_lsst", "invariant_ztf_lsst_sim1")


@pytest.fixture(scope="module")
def tiny_models_dir(tmp_path_factory):
    """Three tiny 'released' encoders (one a previous release) with sidecars (untrained: the recipe's plumbing is under test)."""
    folder = str(tmp_path_factory.mktemp("models"))
    for seed, name in enumerate(NAMES):
        keras.utils.set_random_seed(seed)
        path = os.path.join(folder, f"{name}.keras")
        ak.GRUEncoder(**TINY).save(path)
        ak.presets.write_sidecar(path, recipe="tests", tokenizer=ak.Tokenizer().get_config())
    return folder


def test_cross_survey_tiny_run(tiny_models_dir, tmp_path):
    config = cross_survey.get_config(models_dir=tiny_models_dir, targets=("lsst", "des"), n_per_class=10,
                                     head_seeds=(0, 1), head_epochs=20, n_boot=200, bts=False,
                                     encoders=NAMES + ("not_released",))
    table = cross_survey.run(config, str(tmp_path))
    assert list(table.index) == [cross_survey.ROW_NAMES[n] for n in NAMES]  # unreleased names skipped
    results = pd.read_csv(tmp_path / "cross_survey.csv")
    assert set(results["measure"]) == {"mse_ratio", "auroc_drop", "probe_auroc"}
    assert len(results) == 3 * 2 * 3 and np.isfinite(results["value"]).all()
    ratio = results[results.measure == "mse_ratio"]
    assert ((ratio["ci_low"] <= ratio["value"]) & (ratio["value"] <= ratio["ci_high"]) & (ratio["value"] > 0)).all()
    probe = results[results.measure == "probe_auroc"]["value"]
    assert ((probe >= 0) & (probe <= 1)).all()
    # the ratio is the seed-mean MSE ratio of the recorded runs
    runs = pd.read_csv(tmp_path / "runs.csv")
    mse = runs[runs.column == "z des"].groupby("row")["value"].mean()
    expected = mse["invariant_ztf_lsst|zero-shot"] / mse["invariant_ztf_lsst|direct"]
    got = ratio[(ratio.encoder == "invariant_ztf_lsst") & (ratio.target == "des")]["value"].iloc[0]
    assert got == pytest.approx(expected, rel=1e-5)
    # every head saw the same test objects, two seeds each
    assert (runs.groupby(["row", "column"]).size() == 2).all()
    # a current release is compared with its previous (simulator v1) release on the same objects
    comps = pd.read_csv(tmp_path / "comparisons.csv")
    assert {"invariant_ztf_lsst|zero-shot", "invariant_ztf_lsst_sim1|zero-shot"} <= set(comps["a"]) | set(comps["b"])
    assert ((comps.a == "invariant_ztf_lsst|zero-shot") & (comps.b == "invariant_ztf_lsst_sim1|zero-shot")).any()
    assert "[simulator v1]" in (tmp_path / "cross_survey.md").read_text()
    md = (tmp_path / "cross_survey.md").read_text()
    assert "recipes.cross_survey" in md and "MSE ratio DES" in md
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert set(prov["encoder_sha256"]) == set(NAMES) and "git_commit" in prov
    # the simulation is cached: a second run reads it back (same objects)
    again = cross_survey.simulate_eval_views(config, str(tmp_path))
    z = again["ztf"]
    assert prov["data_checksums"]["ztf"] == ak.results.array_fingerprint(z.object_ids, z.time_mjd, z.flux)
    assert all(list(v.object_ids) == list(again["ztf"].object_ids) for v in again.values())


def test_bts_views_keep_objects_with_both_bands():
    config = cross_survey.get_config(bts_min_points=3)
    views, roles, labels = cross_survey.bts_views(config)
    assert set(views) == {"g+r", "r", "g"}
    assert set(views["r"].band) == {"ztf::r"} and set(views["g"].band) == {"ztf::g"}
    for obj in roles["test"][:50]:
        assert (views["r"][obj].shape[0] >= 3) and (views["g"][obj].shape[0] >= 3)
    assert not set(roles["test"]) & (set(roles["train"]) | set(roles["dev"]))
    assert set(labels[roles["test"]]) == {0, 1, 2}


def test_band_subset_rejects_unknown_band():
    lcs = ak.LightCurves(["a", "a"], [0.0, 1.0], ["ztf::g", "ztf::r"], [1.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="ztf::i"):
        ak.paired.band_subset(lcs, ["ztf::i"])
    assert len(ak.paired.band_subset(lcs, ["ztf::g"], min_points=2)) == 0
