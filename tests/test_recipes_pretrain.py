"""recipes.pretrain end to end at a tiny scale: simulate, split, train, measure alignment, release."""

import json
import os

import numpy as np

import astrokeras as ak
from recipes import pretrain


def test_pretrain_recipe_releases_an_encoder(tmp_path):
    models = str(tmp_path / "models")
    config = pretrain.get_config(quick=True, variants=("contrastive_ztf_lsst",), scale=0.003, epochs=1,
                                 n_jobs=1, release=True, models_dir=models, max_val_alignment=200)
    table = pretrain.run(config, str(tmp_path / "work"))
    row = table.loc["contrastive_ztf_lsst"]
    assert row["epochs_run"] == 1 and row["n_train"] > row["n_val"] > 0
    assert 0.0 <= row["alignment_probe_auroc"] <= 1.0 and np.isfinite(row["alignment_mmd2"])
    assert (tmp_path / "work" / "pretrain_summary.md").read_text().startswith("| ")

    info = ak.presets.encoder_info("contrastive_ztf_lsst", models)
    assert info["data_presets"] == ["ztf_pretrain", "lsst_pretrain"] and info["data_scale"] == 0.003
    assert "--variant contrastive_ztf_lsst" in info["command"]
    encoder = ak.load_encoder("contrastive_ztf_lsst", models)
    assert isinstance(encoder, ak.GRUEncoder)
    ref = pretrain.reference_inputs(models)
    with np.load(os.path.join(models, "contrastive_ztf_lsst.reference.npz")) as stored:
        np.testing.assert_allclose(encoder.predict(ref, verbose=0), stored["outputs"], atol=1e-5)
    metrics = json.loads((tmp_path / "work" / "contrastive_ztf_lsst" / "metrics.json").read_text())
    assert metrics["variant"] == "contrastive_ztf_lsst"
