"""Tests of astrokeras.models.ContrastiveClassifier (Algorithm 2: loss = CE + SCL)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data

from astrokeras.losses import SupervisedContrastiveLoss, supervised_contrastive_loss
from astrokeras.models import ContrastiveClassifier, GRUEncoder

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


def test_contrastive_keras_checks(tmp_path):
    _, reloaded = run_keras_model_checks(
        lambda: ContrastiveClassifier(GRUEncoder(**TINY), n_classes=3, temperature=0.3,
                                      contrastive_weight=0.5),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(3,),
    )
    assert reloaded.temperature == 0.3 and reloaded.contrastive_weight == 0.5


def test_one_step_equals_compiled_ce_plus_scl():
    keras.utils.set_random_seed(0)
    x, y = tiny_task_data()
    model = ContrastiveClassifier(GRUEncoder(**TINY), n_classes=2)
    reference_encoder = GRUEncoder.from_config(model.encoder.get_config())
    reference_encoder.set_weights(model.encoder.get_weights())
    z = reference_encoder(reference_encoder.input)
    head = keras.layers.Dense(2, name="logits")
    reference = keras.Model(reference_encoder.input, {"logits": head(z), "z": z})
    head.set_weights(model.class_head.get_weights())
    reference.compile(
        optimizer=keras.optimizers.SGD(0.3),
        loss={"logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              "z": SupervisedContrastiveLoss(temperature=0.5)},
    )
    model.compile(optimizer=keras.optimizers.SGD(0.3))

    latent = model.encoder.predict(x, verbose=0)
    expected_scl = float(supervised_contrastive_loss(y["class"], latent, 0.5))
    logs = model.train_on_batch(x, y, return_dict=True)
    reference_logs = reference.train_on_batch(x, {"logits": y["class"], "z": y["class"]},
                                              return_dict=True)
    assert logs["scl_loss"] == pytest.approx(expected_scl, rel=1e-5)
    assert logs["loss"] == pytest.approx(reference_logs["loss"], rel=1e-5)
    assert logs["loss"] == pytest.approx(logs["class_loss"] + logs["scl_loss"], rel=1e-5)
    for got, expected in zip(model.encoder.get_weights(), reference_encoder.get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(model.class_head.get_weights()[0], head.get_weights()[0], atol=1e-6)


def test_training_reduces_both_terms():
    keras.utils.set_random_seed(2)
    x, y = tiny_task_data(batch=16)
    model = ContrastiveClassifier(GRUEncoder(**TINY), n_classes=2)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(x, y, validation_data=(x, y), epochs=10, batch_size=8, verbose=0).history
    assert set(history) == {f"{p}{k}" for p in ("", "val_")
                            for k in ("loss", "class_loss", "scl_loss", "accuracy")}
    assert history["class_loss"][-1] < 0.5 * history["class_loss"][0]
    assert history["scl_loss"][-1] < history["scl_loss"][0]
    assert history["val_accuracy"][-1] == 1.0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="temperature"):
        ContrastiveClassifier(GRUEncoder(**TINY), n_classes=2, temperature=0.0)
    with pytest.raises(ValueError, match="contrastive_weight"):
        ContrastiveClassifier(GRUEncoder(**TINY), n_classes=2, contrastive_weight=-1.0)
