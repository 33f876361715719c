"""Tests of astrokeras.downstream (embed once, heads on embeddings, fine-tuning) and the
probabilistic redshift head (astrokeras/models/probabilistic_regressor.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data
from scipy.stats import norm

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.models import GRUEncoder, ProbabilisticRegressor
from astrokeras.models.probabilistic_regressor import normal_log1p_nll, normal_log1p_summary

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


@pytest.fixture(scope="module")
def sim_lcs():
    return ak.simulate("ztf", n=60, classes=["SN Ia", "SN II", "AGN"], seed=3)


@pytest.fixture(scope="module")
def tiny_encoder():
    keras.utils.set_random_seed(0)
    return GRUEncoder(**TINY)


# ------------------------------------------------------------------ probabilistic head
def test_probabilistic_regressor_keras_checks(tmp_path):
    _, reloaded = run_keras_model_checks(
        lambda: ProbabilisticRegressor(GRUEncoder(**TINY), hidden_units=(8,), min_scale=0.01),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(2,),
    )
    assert reloaded.min_scale == 0.01
    out = reloaded.predict(make_sequence_inputs(batch=3, length=5), verbose=0)
    assert (out[:, 1] >= 0.01).all()


def test_normal_nll_matches_scipy_and_trains():
    mu, sigma, z = np.array([0.1, 0.3]), np.array([0.05, 0.2]), np.array([0.12, 0.5])
    got = keras.ops.convert_to_numpy(normal_log1p_nll(z, np.stack([mu, sigma], 1).astype("float32")))
    want = -norm.logpdf(np.log1p(z), mu, sigma)
    np.testing.assert_allclose(got, want, rtol=1e-5)

    keras.utils.set_random_seed(2)
    x, y = tiny_task_data(batch=16)
    y["redshift"] = np.where(y["class"] == 1, 0.6, 0.1).astype("float32")
    model = ProbabilisticRegressor(GRUEncoder(**TINY), hidden_units=(8,))
    model.compile(optimizer=keras.optimizers.Adam(0.03))
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] - 0.5
    with pytest.raises(ValueError, match="min_scale"):
        ProbabilisticRegressor(GRUEncoder(**TINY), min_scale=0.0)


def test_summary_intervals_are_calibrated_for_a_true_model():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(0.2, 0.05, 20000), rng.uniform(0.02, 0.1, 20000)
    z = np.expm1(rng.normal(mu, sigma))
    s = normal_log1p_summary(np.stack([mu, sigma], 1), z_true=z)
    assert ak.evaluation.interval_coverage(z, s["lower_68"], s["upper_68"]) == pytest.approx(0.68, abs=0.01)
    assert ak.evaluation.interval_coverage(z, s["lower_95"], s["upper_95"]) == pytest.approx(0.95, abs=0.01)
    assert np.histogram(s["pit"], bins=10, range=(0, 1))[0].min() > 1800  # flat PIT
    assert np.mean(z) == pytest.approx(np.mean(s["mean"]), rel=0.02)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        normal_log1p_summary(np.zeros((3, 3)))


# ------------------------------------------------------------------------- embeddings
def test_embed_keeps_input_order(sim_lcs, tiny_encoder):
    z = ds.embed(tiny_encoder, sim_lcs, batch_size=7)
    padded = ak.Tokenizer().tokenize(sim_lcs).padded()
    want = tiny_encoder.predict(padded, verbose=0)
    assert z.shape == (len(sim_lcs), 6)
    np.testing.assert_allclose(z, want, atol=1e-5)
    reversed_ = sim_lcs.subset(np.arange(len(sim_lcs))[::-1])
    np.testing.assert_allclose(ds.embed(tiny_encoder, reversed_), want[::-1], atol=1e-5)


def _separable(n=400, d=8, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, d)).astype("float32") * 5 + 3  # un-standardised on purpose
    label = (latent[:, 0] > 3).astype(int) + (latent[:, 1] > 6).astype(int)
    return latent, label


def test_fit_head_classification_learns_and_attach_matches(sim_lcs, tiny_encoder, tmp_path):
    latent, label = _separable()
    head = ds.fit_head(latent[:300], label[:300], "classification", n_classes=3, hidden_units=(16,), seed=0)
    prob = head.predict(latent[300:], verbose=0)
    assert prob.shape == (100, 3) and np.allclose(prob.sum(1), 1, atol=1e-5)
    assert ak.evaluation.macro_auroc(label[300:], prob) > 0.95

    # on real embeddings: head(embed(x)) == attach_head(encoder, head)(x), and it saves/loads
    z = ds.embed(tiny_encoder, sim_lcs)
    y = sim_lcs.metadata["label"].astype("category").cat.codes.to_numpy()
    head = ds.fit_head(z, y, "classification", n_classes=3, hidden_units=(8,), epochs=5, seed=0)
    model = ds.attach_head(tiny_encoder, head)
    assert isinstance(model, ak.Classifier) and model.encoder.trainable is False
    assert tiny_encoder.trainable is True  # the caller's encoder is untouched
    want = head.predict(z, verbose=0)
    np.testing.assert_allclose(ds.predict_in_order(model, sim_lcs), want, atol=1e-5)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(ds.predict_in_order(reloaded, sim_lcs), want, atol=1e-5)
    assert ds.head_penultimate(head, z).shape == (len(z), 8)


def test_fit_head_binary_and_missing_class():
    latent, label = _separable()
    binary = (label > 0).astype(int)
    head = ds.fit_head(latent, binary, "classification", n_classes=3, hidden_units=(8,), seed=1)
    prob = head.predict(latent, verbose=0)
    assert prob[:, 2].max() < 1e-6  # never-seen class
    assert ak.evaluation.macro_auroc(binary, prob[:, :2]) > 0.85  # orientation of the [0, l] logits
    with pytest.raises(ValueError, match="class targets"):
        ds.fit_head(latent, label, "classification", n_classes=2)
    with pytest.raises(ValueError, match="NaN"):
        ds.fit_head(latent, np.where(label > 0, np.nan, 0.1), "regression")


def test_fit_head_regression_predicts_in_target_units(sim_lcs, tiny_encoder):
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(600, 5)).astype("float32") * 10
    target = 0.05 + 0.002 * latent[:, 0] + 0.001 * latent[:, 1]
    head = ds.fit_head(latent[:500], target[:500], "regression", hidden_units=(16,), seed=0)
    pred = head.predict(latent[500:], verbose=0)[:, 0]
    metrics = ak.evaluation.regression_metrics(target[500:], pred)
    assert metrics["r2"] > 0.9
    model = ds.attach_head(tiny_encoder, ds.fit_head(ds.embed(tiny_encoder, sim_lcs),
                                                     sim_lcs.labels("redshift"), "regression", epochs=3))
    assert isinstance(model, ak.Regressor)


def test_fit_head_normal_gives_calibrated_widths(sim_lcs, tiny_encoder):
    rng = np.random.default_rng(2)
    latent = rng.normal(size=(1500, 4)).astype("float32")
    noise = np.where(latent[:, 1] > 0, 0.08, 0.02)
    z = np.expm1(0.2 + 0.05 * latent[:, 0] + noise * rng.normal(size=1500))
    head = ds.fit_head(latent[:1200], z[:1200], "normal", hidden_units=(16,), seed=0, batch_size=256,
                       learning_rate=3e-3, patience=10)
    s = normal_log1p_summary(head.predict(latent[1200:], verbose=0), z_true=z[1200:])
    assert 0.55 < ak.evaluation.interval_coverage(z[1200:], s["lower_68"], s["upper_68"]) < 0.8
    wide = latent[1200:, 1] > 0
    assert s["sigma_log1p"][wide].mean() > 1.5 * s["sigma_log1p"][~wide].mean()
    model = ds.attach_head(tiny_encoder, ds.fit_head(ds.embed(tiny_encoder, sim_lcs), sim_lcs.labels("redshift"),
                                                     "normal", epochs=2))
    assert isinstance(model, ProbabilisticRegressor)
    with pytest.raises(ValueError, match="> -1"):
        ds.fit_head(latent, np.full(1500, -2.0), "normal")


# ------------------------------------------------------------------ end-to-end training
def test_set_encoder_trainable_gru_only(tiny_encoder):
    enc = ds.copy_encoder(tiny_encoder)
    ds.set_encoder_trainable(enc, "gru")
    names = {v.path.split("/")[-2] if "/" in v.path else v.path for v in enc.trainable_weights}
    assert enc.trainable_weights and all("gru" in v.path for v in enc.trainable_weights), names
    assert len(enc.non_trainable_weights) > 0
    ds.set_encoder_trainable(enc, "none")
    assert not enc.trainable_weights
    with pytest.raises(ValueError, match="trainable"):
        ds.set_encoder_trainable(enc, "dense")


def test_finetune_sequence_model_trains_only_the_gru(sim_lcs, tiny_encoder):
    enc = ds.set_encoder_trainable(ds.copy_encoder(tiny_encoder), "gru")
    codes = sim_lcs.metadata["label"].astype("category").cat.codes.to_numpy()
    model = ak.Classifier(enc, n_classes=3, hidden_units=(8,))
    dense_before = enc.get_layer("latent").get_weights()[0].copy()
    gru_before = enc.get_layer("gru").get_weights()[0].copy()
    history = ds.finetune_sequence_model(model, sim_lcs, {"class": codes}, stratify=codes, epochs=2,
                                         batch_size=16, jit_compile=False)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    np.testing.assert_array_equal(enc.get_layer("latent").get_weights()[0], dense_before)
    assert not np.allclose(enc.get_layer("gru").get_weights()[0], gru_before)
    with pytest.raises(ValueError, match="targets"):
        ds.finetune_sequence_model(model, sim_lcs, {"class": codes[:-1]}, epochs=1)


def test_truncate_light_curves(sim_lcs):
    short = ds.truncate_light_curves(sim_lcs, 10.0)
    assert len(short) == len(sim_lcs) and (short.lengths >= 1).all()
    assert (short.lengths <= sim_lcs.lengths).all() and short.lengths.sum() < sim_lcs.lengths.sum()
    first = short.time_mjd[short.offsets[:-1]]
    assert (short.time_mjd - np.repeat(first, short.lengths) <= 10.0).all()
    assert list(short.metadata.index) == list(sim_lcs.object_ids)
    with pytest.raises(ValueError, match="max_days"):
        ds.truncate_light_curves(sim_lcs, -1)


# --------------------------------------------------------------------- README example
def _readme_setup(tmp_path, monkeypatch, encoder):
    """A released-style encoder in $ASTROKERAS_MODELS and a user's CSV tables in the cwd."""
    models = tmp_path / "models"
    models.mkdir()
    encoder.save(models / "classifier_ztf_lsst_full.keras")
    ak.presets.write_sidecar(str(models / "classifier_ztf_lsst_full.keras"), tokenizer=ak.Tokenizer().get_config())
    monkeypatch.setenv("ASTROKERAS_MODELS", str(models))
    sim = ak.simulate("ztf", n=60, classes=["SN Ia", "SN II"], seed=5)
    phot = sim.photometry.rename(columns={"time_mjd": "mjd", "band": "filter"})
    phot["filter"] = phot["filter"].str.replace("ztf::", "")
    phot.to_csv(tmp_path / "photometry.csv", index=False)
    sim.metadata[["label"]].rename_axis("object_id").reset_index().to_csv(tmp_path / "labels.csv", index=False)
    monkeypatch.chdir(tmp_path)


def test_readme_finetuning_example(tmp_path, monkeypatch, tiny_encoder):
    """The README's 10-line fine-tuning script, run verbatim on a released-style tiny encoder."""
    _readme_setup(tmp_path, monkeypatch, tiny_encoder)

    # --- README snippet (begin) ---
    import numpy as np
    import pandas as pd

    import astrokeras as ak
    from astrokeras.downstream import attach_head, embed, fit_head, tokenizer_for

    lcs, _ = ak.LightCurves.from_table(pd.read_csv("photometry.csv"),         # object_id, mjd, filter, flux, flux_err
                                       metadata=pd.read_csv("labels.csv"), survey="ztf").validate()
    encoder = ak.load_encoder("classifier_ztf_lsst_full")                     # released, checksum verified
    z = embed(encoder, lcs, tokenizer_for("classifier_ztf_lsst_full"))        # latents, computed once
    classes, y = np.unique(lcs.labels("label"), return_inverse=True)
    head = fit_head(z, y, "classification", n_classes=len(classes))           # 2-layer MLP, early stopping
    model = attach_head(encoder, head, class_names=classes)                  # frozen encoder + head: one model
    model.save("my_classifier.keras")                                         # load_model() after import astrokeras
    # --- README snippet (end) ---

    reloaded = keras.models.load_model("my_classifier.keras")
    np.testing.assert_allclose(ds.predict_in_order(reloaded, lcs), head.predict(z, verbose=0), atol=1e-5)
    assert list(classes) == ["SN II", "SN Ia"] and len(lcs) == 60


def test_readme_snippet_is_the_one_tested():
    """The fine-tuning block in README.md is, line for line, the snippet run above."""
    import inspect
    import os

    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")) as fh:
        readme = fh.read()
    block = readme.split("## Fine-tune a released encoder on your own labels", 1)[1]
    block = block.split("```python", 1)[1].split("```", 1)[0]
    source = inspect.getsource(test_readme_finetuning_example)
    tested = source.split("# --- README snippet (begin) ---", 1)[1].split("# --- README snippet (end) ---", 1)[0]
    def lines(text):
        return [line.strip() for line in text.strip().splitlines()]
    assert lines(block) == lines(tested)
