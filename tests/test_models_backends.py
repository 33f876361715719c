"""Backend tests: run under whichever Keras backend is active (TensorFlow by default).

Keras picks its backend once per process, so each backend is its own pytest run; `.ci/run` runs
this file (with the per-model files listed there) three times::

    python -m pytest -q tests/test_models_backends.py                       # TensorFlow
    KERAS_BACKEND=jax python -m pytest -q tests/test_models_backends.py
    KERAS_BACKEND=torch python -m pytest -q tests/test_models_backends.py

Checked here on the active backend: every saveable astrokeras class round-trips (config JSON
equality, ``.keras`` save -> ``load_model`` -> ``allclose``), every released encoder loads and
reproduces its stored reference outputs, and a newcomer's whole flow works: a released-style
encoder from ``GRUEncoder.from_preset`` -> ``embed`` -> ``fit_head`` -> ``attach_head`` ->
fine-tuning -> save -> ``load_model`` -> ``predict_table`` on a DataFrame.
"""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.layers import BandEmbedding, GradientReversal
from astrokeras.losses import ClassWeightedCrossentropy, SupervisedContrastiveLoss
from astrokeras.models import (
    AdversarialClassifier,
    Classifier,
    ContrastiveClassifier,
    GRUEncoder,
    ProbabilisticRegressor,
    InvariantClassifier,
    Regressor,
)
from astrokeras.models.probabilistic_regressor import NormalLog1pNLL, NormalParameters

BACKEND = keras.backend.backend()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "saved_models")
TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)
TOKENIZER = {"include_flux_err": False, "normalization": "absolute", "flux_scale": 10.0,
             "time_scale_days": 100.0, "max_length": 64, "window": "peak"}
# the token formats of the flow tests: the default, and flux error + band-family embedding
TOKEN_FORMATS = {"default": TOKENIZER,
                 "flux_err+band": {**TOKENIZER, "include_flux_err": True, "band_channel": "family",
                                   "band_vocabulary": ["g", "r", "i"]}}

MODEL_FACTORIES = {
    "GRUEncoder": lambda: GRUEncoder(n_gru_layers=2, dropout=0.1, **TINY),
    "Classifier": lambda: Classifier(GRUEncoder(**TINY), n_classes=3, class_weight=[1.0, 2.0, 3.0],
                                     hidden_units=(8,), class_names=["SN Ia", "SN II", "AGN"],
                                     tokenizer=TOKENIZER),
    "ContrastiveClassifier": lambda: ContrastiveClassifier(GRUEncoder(**TINY), n_classes=2,
                                                           class_names=["a", "b"]),
    "AdversarialClassifier": lambda: AdversarialClassifier(GRUEncoder(**TINY), n_classes=2,
                                                           discriminator_units=8, contrastive_weight=0.5),
    "Regressor": lambda: Regressor(GRUEncoder(**TINY), hidden_units=(8,), tokenizer=TOKENIZER),
    "ProbabilisticRegressor": lambda: ProbabilisticRegressor(GRUEncoder(**TINY), hidden_units=(8,),
                                                             loc=0.1, scale=0.2, tokenizer=TOKENIZER),
}


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_model_round_trips(name, tmp_path):
    model, reloaded = run_keras_model_checks(MODEL_FACTORIES[name], make_sequence_inputs(batch=2, length=7),
                                             tmp_path, sequence_lengths=(5,))
    assert type(reloaded).__name__ == name
    if hasattr(model, "tokenizer"):
        assert reloaded.tokenizer == model.tokenizer


@pytest.mark.parametrize("layer_factory", [lambda: GradientReversal(0.5),
                                           lambda: NormalParameters(0.01, loc=0.1, scale=0.3),
                                           lambda: BandEmbedding(4, 2, dropout=0.3, seed=2)],
                         ids=["GradientReversal", "NormalParameters", "BandEmbedding"])
def test_layer_round_trips(layer_factory, tmp_path):
    data = np.random.default_rng(0).normal(size=(2, 2)).astype("float32")
    run_keras_model_checks(layer_factory, data, tmp_path)


def test_band_encoder_round_trips_and_trains_under_the_custom_step(tmp_path):
    """GRUEncoder with flux error and a band embedding (dropout on): round trip, then an
    InvariantClassifier's custom step (TF/JAX/torch) trains it, the band table included."""
    tok = ak.Tokenizer(**TOKEN_FORMATS["flux_err+band"])
    factory = lambda: GRUEncoder(**tok.encoder_kwargs(), band_dropout=0.2, **TINY)  # noqa: E731
    inputs = make_sequence_inputs(batch=2, length=7, n_features=tok.n_features)
    inputs["values"][..., -1] = [[1, 2, 3, 0, 1, 2, 3], [3, 3, 1, 1, 2, 2, 0]]
    run_keras_model_checks(factory, inputs, tmp_path, sequence_lengths=(5,))
    keras.utils.set_random_seed(0)
    x, y = tiny_task_data(batch=16, n_features=tok.n_features)
    x["values"][..., -1] = np.where(x["mask"], np.arange(16)[:, None] % 4, 0)
    y["object"] = np.arange(16) // 2
    # A small view-loss weight: on 16 curves NT-Xent fights the class loss and makes the check
    # seed-dependent; all three terms still go through the custom step.
    model = InvariantClassifier(factory(), n_classes=2, consistency_weight=1.0, invariance_weight=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    before = model.encoder.get_layer("band_embedding").get_weights()[0].copy()
    # Judge training on the deterministic evaluation class loss (dropout off): the per-epoch
    # training loss of 2 batches with band dropout is too noisy to compare first vs last epoch.
    loss_before = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["class_loss"]
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history
    loss_after = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["class_loss"]
    assert np.all(np.isfinite(history["loss"])) and loss_after < 0.8 * loss_before
    assert not np.allclose(model.encoder.get_layer("band_embedding").get_weights()[0], before)
    model.save(tmp_path / "inv.keras")
    reloaded = keras.models.load_model(tmp_path / "inv.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("loss", [SupervisedContrastiveLoss(0.3), ClassWeightedCrossentropy([0.5, 1.5]),
                                  NormalLog1pNLL()], ids=lambda loss: type(loss).__name__)
def test_loss_round_trips(loss):
    config = keras.saving.serialize_keras_object(loss)
    clone = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert type(clone) is type(loss)
    assert json.dumps(keras.saving.serialize_keras_object(clone), sort_keys=True) == json.dumps(config, sort_keys=True)
    y = np.array([0, 1, 1], "int32")
    if isinstance(loss, SupervisedContrastiveLoss):
        y_pred = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    elif isinstance(loss, NormalLog1pNLL):
        y, y_pred = np.array([0.1, 0.2, 0.3], "float32"), np.array([[0.1, 0.2]] * 3, "float32")
    else:
        y_pred = np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5]], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(y, y_pred)),
                               keras.ops.convert_to_numpy(loss(y, y_pred)), rtol=1e-6)


@pytest.mark.parametrize("model_name", ["AdversarialClassifier", "ContrastiveClassifier"])
def test_custom_step_trains_and_reloads_compiled(model_name, tmp_path):
    """The backend's own custom step (TF/JAX/torch): loss decreases; the compiled model reloads."""
    keras.utils.set_random_seed(0)
    x, y = tiny_task_data(batch=16)
    model = MODEL_FACTORIES[model_name]()
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0).history
    key = "class_loss"
    assert np.all(np.isfinite(history[key])) and history[key][-1] < history[key][0]
    assert int(model.optimizer.iterations) == 2 * 6
    path = str(tmp_path / "m.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert int(reloaded.optimizer.iterations) == 2 * 6  # compiled again, optimizer state restored
    logs = reloaded.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"])
    with pytest.raises(ValueError, match="optimizer only"):
        model.compile(optimizer="adam", loss="mse")


def test_plain_models_train_through_keras_compile(tmp_path):
    """Classifier/Regressor use Keras' own step: user losses and metrics work, class weights too."""
    keras.utils.set_random_seed(0)
    x, y = tiny_task_data(batch=8)
    model = Classifier(GRUEncoder(**TINY), n_classes=2, class_weight=[1.0, 3.0])
    model.compile(optimizer="sgd")
    assert isinstance(model.loss, ClassWeightedCrossentropy) and model.loss.class_weight == [0.5, 1.5]
    probabilities = model.predict(x, verbose=0)
    per_sample = -np.log(probabilities[np.arange(8), y["class"]])
    weights = np.array([0.5, 1.5])[y["class"]]
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx((weights * per_sample).sum() / weights.sum(), rel=1e-4)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    history = model.fit(x, y["class"], epochs=1, batch_size=4, verbose=0).history
    assert sorted(history) == ["acc", "loss"]
    regressor = Regressor(GRUEncoder(**TINY), hidden_units=(4,))
    regressor.compile(optimizer="adam", metrics=["mse"])
    assert sorted(regressor.fit(x, y, verbose=0).history) == ["loss", "mse"]
    model.compile(optimizer="adam")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "c.keras")
    reloaded = keras.models.load_model(tmp_path / "c.keras")
    assert isinstance(reloaded.loss, ClassWeightedCrossentropy) and reloaded.loss.class_weight == [0.5, 1.5]
    assert int(reloaded.optimizer.iterations) == 4
    assert reloaded.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-5)


@pytest.mark.parametrize("name", ["classifier_ztf", "classifier_ztf_lsst", "classifier_ztf_lsst_full",
                                  "contrastive_ztf_lsst", "contrastive_ztf_lsst_full", "adversarial_ztf_lsst",
                                  "adversarial_confusion_ztf_lsst", "contrastive_adversarial_ztf_lsst",
                                  "invariant_ztf_lsst", "classifier_paired_ztf_lsst"])
def test_released_encoder_loads_and_reproduces_reference(name):
    encoder = GRUEncoder.from_preset(name, MODELS)
    assert encoder.preset_tokenizer == ds.tokenizer_for(name, MODELS)
    with np.load(os.path.join(MODELS, "reference_inputs.npz")) as ref:
        inputs = {"values": ref["values"], "mask": ref["mask"]}
    with np.load(os.path.join(MODELS, f"{name}.reference.npz")) as stored:
        expected = stored["outputs"]
    np.testing.assert_allclose(encoder.predict(inputs, verbose=0), expected, atol=1e-4)


# ----------------------------------------------------------------------------- the whole flow
@pytest.fixture(scope="module")
def flow_data():
    sim = ak.simulate("ztf", n=40, classes=["SN Ia", "SN II"], seed=11)
    lcs, _ = sim.validate()
    return lcs


@pytest.fixture(params=sorted(TOKEN_FORMATS))
def preset_dir(request, tmp_path):
    """A released-style tiny encoder with its sidecar in a models folder, for each token format."""
    keras.utils.set_random_seed(0)
    models = tmp_path / "models"
    models.mkdir()
    tokenizer = ak.Tokenizer(**TOKEN_FORMATS[request.param])
    GRUEncoder(**tokenizer.encoder_kwargs(), **TINY).save(models / "tiny_preset.keras")
    ak.presets.write_sidecar(str(models / "tiny_preset.keras"), tokenizer=tokenizer.get_config())
    return str(models)


def test_flow_preset_embed_head_finetune_save_predict_table(flow_data, preset_dir, tmp_path):
    lcs = flow_data
    tokenizer = ds.tokenizer_for("tiny_preset", preset_dir)
    encoder = GRUEncoder.from_preset("tiny_preset", preset_dir)
    z = ds.embed(encoder, lcs, tokenizer)
    assert z.shape == (len(lcs), TINY["latent_dim"]) and np.isfinite(z).all()
    classes, y = np.unique(lcs.labels("label"), return_inverse=True)
    head = ds.fit_head(z, y, "classification", n_classes=len(classes), hidden_units=(8,), epochs=20)
    model = ds.attach_head(encoder, head, class_names=list(classes))
    assert model.tokenizer == tokenizer  # the preset's, by default
    np.testing.assert_allclose(ds.predict_in_order(model, lcs, tokenizer), head.predict(z, verbose=0),
                               atol=1e-5)

    ds.set_encoder_trainable(model.encoder, "gru")
    before = [w.copy() for w in model.encoder.get_layer("gru").get_weights()]
    history = ds.finetune_sequence_model(model, lcs, {"class": y}, tokenizer=tokenizer, stratify=y,
                                         epochs=2, batch_size=16, learning_rate=0.01)
    assert np.isfinite(history.history["loss"]).all()
    assert any(not np.allclose(a, b) for a, b in zip(model.encoder.get_layer("gru").get_weights(), before))

    path = str(tmp_path / "my_classifier.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert reloaded.class_names == list(classes) and reloaded.tokenizer == tokenizer

    table = lcs.photometry.rename(columns={"time_mjd": "mjd", "band": "filter"})
    frame = reloaded.predict_table(table)
    assert list(frame.columns) == ["object_id", *classes, "predicted_class"]
    assert list(frame["object_id"]) == list(lcs.object_ids)
    expected = ds.predict_in_order(model, lcs, tokenizer)
    np.testing.assert_allclose(frame[list(classes)].to_numpy(), expected, atol=1e-5)
    assert list(frame["predicted_class"]) == list(classes[np.argmax(expected, axis=1)])
    with pytest.raises(TypeError, match="predict_table"):
        reloaded.predict(lcs)
    wrong = ak.Tokenizer(include_flux_err=True, band_channel=None if tokenizer.band_channel else "family")
    with pytest.raises(ValueError, match="band codes"):  # a band format the model was not trained with
        reloaded.predict_table(table, tokenizer=wrong)


@pytest.mark.parametrize("task", ["regression", "normal"])
def test_flow_regression_heads_save_and_predict_table(task, flow_data, preset_dir, tmp_path):
    lcs = flow_data
    encoder = GRUEncoder.from_preset("tiny_preset", preset_dir)
    z = ds.embed(encoder, lcs, encoder.preset_tokenizer)
    target = np.linspace(0.05, 0.4, len(lcs)).astype("float32")
    head = ds.fit_head(z, target, task, hidden_units=(8,), epochs=5)
    model = ds.attach_head(encoder, head)
    path = str(tmp_path / f"{task}.keras")
    model.save(path)
    frame = keras.models.load_model(path).predict_table(lcs)
    out = head.predict(z, verbose=0)
    if task == "regression":
        assert list(frame.columns) == ["object_id", "redshift"]
        np.testing.assert_allclose(frame["redshift"], out[:, 0], atol=1e-5)
    else:
        assert list(frame.columns) == ["object_id", "redshift_mean", "redshift_std", "redshift_median",
                                       "redshift_lower_68", "redshift_upper_68"]
        np.testing.assert_allclose(frame["redshift_median"], np.expm1(out[:, 0]), rtol=1e-5, atol=1e-6)
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(lcs)
