"""Test of recipes/early_classification.py: a tiny configuration on the BTS copy shipped with astrokeras."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from recipes import early_classification as ec


@pytest.fixture(scope="module")
def tiny_models_dir(tmp_path_factory):
    """A tiny untrained encoder released under the name the recipe uses."""
    folder = str(tmp_path_factory.mktemp("models"))
    keras.utils.set_random_seed(0)
    encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=6, name="gru_encoder")
    path = os.path.join(folder, "contrastive_ztf_lsst.keras")
    encoder.save(path)
    ak.presets.write_sidecar(path, recipe="tests", tokenizer=ak.Tokenizer().get_config())
    return folder


def test_early_classification_recipe_tiny(tiny_models_dir, tmp_path):
    config = ec.get_config(models_dir=tiny_models_dir, max_objects=30, seeds=(0, 1), head_grid=((8,),),
                           head_epochs=30, n_per_object=3, finetune_epochs=1, n_boot=100, jit_compile=False,
                           n_jobs=1)
    table = ec.run(config, str(tmp_path))
    names = ec.encoder_rows("contrastive_ztf_lsst")
    rows = [names["whole"], names["trunc"], ec.FEATURE_WHOLE, ec.FEATURE_TRUNC, ec.HYBRID_TRUNC, ec.EARLY_TRUNC,
            ec.ENSEMBLE, names["finetune"]]
    columns = ["3 d", "5 d", "10 d", "20 d", "30 d", "50 d", "all"]
    assert list(table.index) == rows and list(table.columns) == columns
    assert (table != "—").all().all()
    for name in ("early_classification.md", "early_classification.png", "summary.csv", "runs.csv",
                 "readme_table.md", "comparisons.csv", "comparisons.md", "choices.json", "provenance.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary["part"]) == {"dev", "test"} and len(summary) == 2 * len(rows) * len(columns)
    assert summary["mean"].between(0, 1).all()
    assert (summary["ci_low"] <= summary["mean"] + 1e-9).all() and (summary["mean"] <= summary["ci_high"] + 1e-9).all()
    assert set(summary.loc[summary["column"] == "all", "days"]) == {np.inf}
    runs = pd.read_csv(tmp_path / "runs.csv")
    counts = runs[runs["part"] == "test"].groupby("row").size()
    assert counts[names["trunc"]] == 2 * len(columns) and counts[ec.FEATURE_TRUNC] == len(columns)
    assert runs.loc[runs["part"] == "test", "dev_value"].notna().all()
    # features + gradient boosting on the real whole curves is well above chance even on 90 objects
    cell = summary.set_index(["part", "row", "column"]).loc[("test", ec.FEATURE_TRUNC, "all")]
    assert cell["mean"] > 0.6
    comps = pd.read_csv(tmp_path / "comparisons.csv")
    assert {(names["trunc"], names["whole"]), (ec.FEATURE_TRUNC, ec.FEATURE_WHOLE)} <= set(zip(comps["a"], comps["b"]))
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["config"]["n_per_object"] == 3 and len(prov["data_checksums"]["bts"]) == 16
    choices = json.loads((tmp_path / "choices.json").read_text())
    assert {c["row"] for c in choices} == set(rows)
    weights = [c["weight_hgb"] for c in choices if c["row"] == ec.ENSEMBLE]
    assert len(weights) == 2 and all(0.0 <= w <= 1.0 for w in weights)
    assert {(ec.EARLY_TRUNC, ec.HYBRID_TRUNC), (ec.ENSEMBLE, ec.EARLY_TRUNC)} <= set(zip(comps["a"], comps["b"]))
    md = (tmp_path / "early_classification.md").read_text()
    assert "**Test**" in md and "**Dev**" in md and "median points per test curve" in md.lower()


def test_ensemble_weight_is_chosen_on_dev():
    from astrokeras.evaluation import macro_auroc
    from astrokeras.learners import Fitted

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    pa = np.eye(3)[y] * 0.6 + rng.dirichlet(np.ones(3), size=len(y))      # two different, informative learners
    pb = np.eye(3)[y] * 0.4 + rng.dirichlet(np.ones(3), size=len(y))
    a = Fitted(lambda pos: pa[pos], lambda pos: pa[pos], {"iterations": 5})
    b = Fitted(lambda pos: pb[pos], lambda pos: pb[pos], {"epochs": 3})
    dev, grid = np.arange(0, 120, 2), np.linspace(0.0, 1.0, 11)
    ens = ec.ensemble_of(a, b, dev, y)
    scores = [macro_auroc(y[dev], w * pa[dev] + (1 - w) * pb[dev]) for w in grid]
    w = ens.info["weight_hgb"]
    assert w == grid[int(np.argmax(scores))] and ens.info["hgb_iterations"] == 5 and ens.info["head_epochs"] == 3
    test = np.arange(1, 120, 2)
    np.testing.assert_allclose(ens.predict(test), w * pa[test] + (1 - w) * pb[test])


def test_get_config_quick_and_full():
    quick, full = ec.get_config(), ec.get_config(quick=False)
    assert quick.quick and quick.sim_scale == 0 and quick.seeds == (0, 1, 2) and quick.finetune
    assert not full.quick and full.sim_scale > 0 and len(full.seeds) == 5
    assert quick.encoder == "contrastive_ztf_lsst" and quick.days == ak.early.EARLY_DAYS
    with pytest.raises(TypeError):
        ec.get_config(not_an_option=1)
