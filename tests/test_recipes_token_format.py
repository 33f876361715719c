"""Tests of recipes/token_format.py: a tiny run of the four token formats (plumbing, not numbers)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from recipes import token_format

TINY = dict(pretrain_per_class=4, epochs=1, gru_units=6, dense_units=(6,), latent_dim=4, max_length=64,
            n_per_class=8, head_seeds=(0, 1), head_epochs=5, n_boot=100, probe_seeds=(0, 1), bts=False)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("token_format"))
    config = token_format.get_config(**TINY)
    return config, workdir, token_format.run(config, workdir)


def test_every_format_is_pretrained_with_its_tokenizer_in_the_sidecar(tiny_run):
    config, workdir, table = tiny_run
    assert list(table.index) == list(token_format.FORMATS)
    models = os.path.join(workdir, "models")
    for name, settings in token_format.FORMATS.items():
        tokenizer = ak.downstream.tokenizer_for(name, models)
        assert tokenizer == ak.Tokenizer(max_length=config.max_length, **settings)
        encoder = ak.load_encoder(name, models)
        assert encoder.n_features == tokenizer.n_features and encoder.n_band_codes == tokenizer.n_band_codes
    assert ak.downstream.tokenizer_for("band", models).band_channel == "family"


def test_measures_and_paired_comparisons_are_consistent(tiny_run):
    config, workdir, _ = tiny_run
    results = pd.read_csv(os.path.join(workdir, "token_format.csv"))
    assert set(results["format"]) == set(token_format.FORMATS)
    assert np.isfinite(results["value"]).all()
    assert ((results["ci_low"] <= results["value"] + 1e-9) & (results["value"] <= results["ci_high"] + 1e-9)).all()
    # the ratio is the seed-mean zero-shot MSE over the seed-mean direct MSE of the recorded heads
    summary = pd.read_csv(os.path.join(workdir, "summary.csv")).set_index(["row", "column"])
    for name in token_format.FORMATS:
        expected = summary.loc[(f"{name}|zero-shot", "z lsst"), "mean"] / summary.loc[(f"{name}|direct", "z lsst"),
                                                                                      "mean"]
        got = results[(results.format == name) & (results.measure == "MSE ratio LSST")]["value"].iloc[0]
        assert got == pytest.approx(expected, rel=1e-5)
    comps = pd.read_csv(os.path.join(workdir, "comparisons.csv"))
    assert set(comps["format"]) == set(token_format.FORMATS) - {"current"}
    assert ((comps["ci_low"] <= comps["difference"] + 1e-9) & (comps["difference"] <= comps["ci_high"] + 1e-9)).all()
    value = results.set_index(["format", "measure"])["value"]
    for row in comps.itertuples():
        assert row.difference == pytest.approx(value[(row.format, row.measure)] - value[("current", row.measure)])
    prov = json.loads(Path(workdir, "provenance.json").read_text())
    assert set(prov["encoder_sha256"]) == set(token_format.FORMATS)
    assert "Differences from `current`" in Path(workdir, "token_format.md").read_text()


def test_a_second_run_reuses_the_pretrained_encoders(tiny_run):
    config, workdir, table = tiny_run
    models = os.path.join(workdir, "models")
    before = {n: ak.presets.encoder_info(n, models)["sha256"] for n in token_format.FORMATS}
    again = token_format.run(config, workdir)
    assert {n: ak.presets.encoder_info(n, models)["sha256"] for n in token_format.FORMATS} == before
    pd.testing.assert_frame_equal(again, table)


def test_bad_settings_raise(tmp_path):
    with pytest.raises(ValueError, match="unknown token format"):
        token_format.tokenizer_for_format("bands", token_format.get_config())
    with pytest.raises(ValueError, match="objective"):
        token_format.build_model("current", token_format.get_config(objective="adversarial"), None)
