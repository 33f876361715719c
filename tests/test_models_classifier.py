"""Tests of astrokeras.models.Classifier (and the custom train/test step shared by all tasks)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data

from astrokeras.models import Classifier, GRUEncoder

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


def make_classifier(**kwargs):
    return Classifier(GRUEncoder(**TINY), n_classes=3, **kwargs)


def test_classifier_keras_checks(tmp_path):
    model, reloaded = run_keras_model_checks(
        lambda: make_classifier(class_weight=[1.0, 2.0, 3.0]),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(3,),
    )
    assert isinstance(reloaded.encoder, GRUEncoder)
    assert reloaded.class_weight == pytest.approx([0.5, 1.0, 1.5])
    x = make_sequence_inputs(batch=2, length=7)
    np.testing.assert_allclose(reloaded.encoder.predict(x, verbose=0),
                               model.encoder.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, rtol=1e-5)


def test_one_step_equals_standard_keras_training():
    """The custom step is SGD on the (weighted-mean) cross entropy, like a compiled model."""
    keras.utils.set_random_seed(0)
    x, y = tiny_task_data()
    model = Classifier(GRUEncoder(**TINY), n_classes=2)
    reference_encoder = GRUEncoder.from_config(model.encoder.get_config())
    reference_encoder.set_weights(model.encoder.get_weights())
    logits = keras.layers.Dense(2)(reference_encoder(reference_encoder.input))
    reference = keras.Model(reference_encoder.input, logits)
    reference.layers[-1].set_weights(model.class_head.get_weights())

    model.compile(optimizer=keras.optimizers.SGD(0.5))
    reference.compile(optimizer=keras.optimizers.SGD(0.5),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    logs = model.train_on_batch(x, y, return_dict=True)
    reference_loss = reference.train_on_batch(x, y["class"])
    assert logs["loss"] == pytest.approx(float(reference_loss), rel=1e-5)
    for got, expected in zip(model.encoder.get_weights(), reference_encoder.get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(model.class_head.get_weights()[0],
                               reference.layers[-1].get_weights()[0], atol=1e-6)


def test_class_weights_and_sample_weights_give_the_weighted_mean():
    x, y = tiny_task_data(batch=6)
    model = Classifier(GRUEncoder(**TINY), n_classes=2, class_weight=[1.0, 3.0])
    model.compile(optimizer="adam")
    probabilities = model.predict(x, verbose=0)
    per_sample = -np.log(probabilities[np.arange(6), y["class"]])
    weights = np.array([1.0, 3.0])[y["class"]]
    logs = model.evaluate(x, y, verbose=0, return_dict=True, batch_size=6)
    assert logs["loss"] == pytest.approx((weights * per_sample).sum() / weights.sum(), rel=1e-4)
    sample_weight = np.array([0, 1, 2, 0, 1, 2], "float32")
    logs = model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True,
                          batch_size=6)
    combined = weights * sample_weight
    assert logs["loss"] == pytest.approx((combined * per_sample).sum() / combined.sum(), rel=1e-4)


@pytest.mark.parametrize("dict_targets", [True, False])
def test_training_reduces_the_loss_and_supports_early_stopping(dict_targets):
    keras.utils.set_random_seed(1)
    x, y = tiny_task_data(batch=16)
    targets = y if dict_targets else y["class"]
    model = Classifier(GRUEncoder(**TINY), n_classes=2)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    history = model.fit(x, targets, validation_data=(x, targets), epochs=12, batch_size=8,
                        verbose=0, callbacks=[stop]).history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] == 1.0
    assert int(model.optimizer.iterations) == 2 * len(history["loss"])


def test_fit_on_tf_data_with_pipeline_batches():
    x, y = tiny_task_data(batch=8)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    model = Classifier(GRUEncoder(**TINY), n_classes=2)
    model.compile(optimizer="adam")
    history = model.fit(dataset, validation_data=dataset, epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["val_loss"]))
    assert model.predict(dataset, verbose=0).shape == (8, 2)


def test_bad_targets_and_arguments_raise():
    model = make_classifier()
    model.compile(optimizer="adam")
    x, y = tiny_task_data(batch=4)
    with pytest.raises(ValueError, match="'class'"):
        model.fit(x, {"survey": y["survey"]}, verbose=0)
    with pytest.raises(ValueError, match="n_classes"):
        Classifier(GRUEncoder(**TINY), n_classes=1)
    with pytest.raises(ValueError, match="class_weight"):
        Classifier(GRUEncoder(**TINY), n_classes=3, class_weight=[1.0, 2.0])


def test_same_seed_gives_the_same_weights_after_training():
    x, y = tiny_task_data(batch=8)

    def train():
        keras.utils.set_random_seed(7)
        model = Classifier(GRUEncoder(dropout=0.2, **TINY), n_classes=2)
        model.compile(optimizer=keras.optimizers.Adam(0.01))
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
        return model.get_weights()

    for a, b in zip(train(), train()):
        np.testing.assert_array_equal(a, b)
