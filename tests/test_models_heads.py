"""Tests of the downstream heads: Regressor and Classifier(hidden_units=...) on a frozen encoder."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data

from astrokeras.models import Classifier, GRUEncoder, Regressor

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


def test_regressor_keras_checks(tmp_path):
    _, reloaded = run_keras_model_checks(
        lambda: Regressor(GRUEncoder(**TINY), hidden_units=(8, 4), dropout=0.1),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(1,),
    )
    assert reloaded.hidden_units == (8, 4) and reloaded.target == "redshift"


def test_frozen_encoder_head_classifier_survives_save_and_trains_only_the_head(tmp_path):
    keras.utils.set_random_seed(0)
    encoder = GRUEncoder(**TINY)
    encoder.trainable = False
    model, reloaded = run_keras_model_checks(
        lambda: Classifier(encoder, n_classes=2, hidden_units=(8,), dropout=0.2),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(2,),
    )
    assert reloaded.encoder.trainable is False
    assert [layer.name for layer in model.layers][-4:] == [
        "head_dense_0", "head_dropout_0", "class_logits", "class_probabilities"]
    x, y = tiny_task_data(batch=16)
    before = model.encoder.get_weights()
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    for got, want in zip(model.encoder.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_regressor_learns_a_linear_target_with_weights():
    keras.utils.set_random_seed(1)
    x, y = tiny_task_data(batch=16)
    y["redshift"] = np.where(y["class"] == 1, 0.8, 0.2).astype("float32")
    model = Regressor(GRUEncoder(**TINY), hidden_units=(8,))
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(x, y, validation_data=(x, y), epochs=15, batch_size=8, verbose=0).history
    assert history["val_loss"][-1] < 0.3 * history["val_loss"][0]
    prediction = model.predict(x, verbose=0)
    weights = np.linspace(0, 2, 16).astype("float32")
    logs = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0, return_dict=True)
    error = prediction[:, 0] - y["redshift"]
    assert logs["loss"] == pytest.approx((weights * error**2).sum() / weights.sum(), rel=1e-4)
    with pytest.raises(ValueError, match="'redshift'"):
        model.evaluate(x, {"class": y["class"]}, verbose=0)
