"""Tests of astrokeras.models.AdversarialClassifier (Algorithm 1, gradient reversal, + SCL)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks, tiny_task_data

from astrokeras.layers import GradientReversal
from astrokeras.losses import SupervisedContrastiveLoss
from astrokeras.models import AdversarialClassifier, Classifier, GRUEncoder

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)
CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def make_model(**kwargs):
    return AdversarialClassifier(GRUEncoder(**TINY), n_classes=2, discriminator_units=8, **kwargs)


def clone_encoder(encoder):
    clone = GRUEncoder.from_config(encoder.get_config())
    clone.set_weights(encoder.get_weights())
    return clone


def clone_discriminator(model):
    clone = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    clone.build((None, TINY["latent_dim"]))
    clone.set_weights(model.discriminator.get_weights())
    return clone


def reference_after_discriminator_step(model, x, y, lr):
    """Algorithm 1, step (1) done by hand: SGD on H(D(z), O) for a copy of D alone. Returns a copy
    of the encoder, a class head with the model's weights, and the updated D frozen (step 2's parts)."""
    latent = model.encoder.predict(x, verbose=0)
    discriminator = clone_discriminator(model)
    discriminator.compile(optimizer=keras.optimizers.SGD(lr), loss=CE)
    discriminator.train_on_batch(latent, y["survey"])
    encoder = clone_encoder(model.encoder)
    head = keras.layers.Dense(2)
    head.build((None, TINY["latent_dim"]))
    head.set_weights(model.class_head.get_weights())
    frozen = clone_discriminator(model)
    frozen.set_weights(discriminator.get_weights())
    frozen.trainable = False
    return encoder, head, frozen


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="gradient_reversal", contrastive_weight=0.5),
                                    dict(encoder_objective="confusion")])
def test_adversarial_keras_checks(kwargs, tmp_path):
    model, reloaded = run_keras_model_checks(
        lambda: AdversarialClassifier(GRUEncoder(**TINY), n_classes=3, n_domains=3,
                                      discriminator_units=8, adversarial_weight=0.5, **kwargs),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(3,),
    )
    z = np.random.default_rng(0).normal(size=(2, TINY["latent_dim"])).astype("float32")
    np.testing.assert_allclose(reloaded.discriminator.predict(z, verbose=0),
                               model.discriminator.predict(z, verbose=0), atol=1e-6)
    assert reloaded.mode == model.mode
    assert reloaded.encoder_objective == model.encoder_objective


def test_alternating_step_is_algorithm_1():
    """One train step == (1) SGD on H(D(z), O) for D alone, then (2) SGD on
    H(C(x), c) - lambda * H(D'(C_L(x)), O) for encoder + class head with the updated D' frozen."""
    keras.utils.set_random_seed(0)
    lam, lr = 0.7, 0.3
    x, y = tiny_task_data()
    model = make_model(adversarial_weight=lam)
    model.compile(optimizer=keras.optimizers.SGD(lr))

    # Step 1 reference: the discriminator alone on the latents of the current encoder.
    latent = model.encoder.predict(x, verbose=0)
    discriminator = clone_discriminator(model)
    discriminator.compile(optimizer=keras.optimizers.SGD(lr), loss=CE)
    expected_disc_loss = float(discriminator.train_on_batch(latent, y["survey"]))

    # Step 2 reference: encoder + class head against the *updated*, frozen discriminator.
    encoder = clone_encoder(model.encoder)
    z = encoder(encoder.input)
    head = keras.layers.Dense(2)
    frozen = clone_discriminator(model)
    frozen.set_weights(discriminator.get_weights())
    frozen.trainable = False
    classifier = keras.Model(encoder.input, {"class": head(z), "survey": frozen(z)})
    head.set_weights(model.class_head.get_weights())
    classifier.compile(optimizer=keras.optimizers.SGD(lr), loss={"class": CE, "survey": CE},
                       loss_weights={"class": 1.0, "survey": -lam})
    expected = classifier.train_on_batch(x, {"class": y["class"], "survey": y["survey"]},
                                         return_dict=True)

    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["disc_loss"] == pytest.approx(expected_disc_loss, rel=1e-5)
    assert logs["loss"] == pytest.approx(expected["loss"], rel=1e-5, abs=1e-6)
    for got, want in zip(model.discriminator.get_weights(), discriminator.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)
    for got, want in zip(model.encoder.get_weights(), encoder.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(model.class_head.get_weights()[0], head.get_weights()[0], atol=1e-6)
    assert int(model.optimizer.iterations) == 1  # one optimizer step per batch


def test_confusion_step_pushes_the_discriminator_towards_uniform():
    """encoder_objective="confusion": step (1) as Algorithm 1, step (2) minimises
    H(C(x), c) + lambda * H(uniform, D'(C_L(x))) with the updated D' frozen."""
    keras.utils.set_random_seed(1)
    lam, lr = 0.8, 0.3
    x, y = tiny_task_data()
    model = make_model(adversarial_weight=lam, encoder_objective="confusion")
    model.compile(optimizer=keras.optimizers.SGD(lr))
    encoder, head, frozen = reference_after_discriminator_step(model, x, y, lr)
    z = encoder(encoder.input)
    reference = keras.Model(encoder.input, {"class": head(z), "survey": frozen(z)})
    uniform_ce = keras.losses.CategoricalCrossentropy(from_logits=True)
    reference.compile(optimizer=keras.optimizers.SGD(lr), loss={"class": CE, "survey": uniform_ce},
                      loss_weights={"class": 1.0, "survey": lam})
    uniform = np.full((len(y["survey"]), 2), 0.5, "float32")
    expected = reference.train_on_batch(x, {"class": y["class"], "survey": uniform}, return_dict=True)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(expected["loss"], rel=1e-5, abs=1e-6)
    for got, want in zip(model.encoder.get_weights(), encoder.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_gradient_reversal_step_equals_compiled_reversal_model():
    keras.utils.set_random_seed(0)
    lam, lr = 0.6, 0.2
    x, y = tiny_task_data()
    model = make_model(adversarial_weight=lam, mode="gradient_reversal")
    model.compile(optimizer=keras.optimizers.SGD(lr))
    encoder = clone_encoder(model.encoder)
    z = encoder(encoder.input)
    head = keras.layers.Dense(2)
    discriminator = clone_discriminator(model)
    reference = keras.Model(encoder.input, {"class": head(z),
                                            "survey": discriminator(GradientReversal(lam)(z))})
    head.set_weights(model.class_head.get_weights())
    reference.compile(optimizer=keras.optimizers.SGD(lr), loss={"class": CE, "survey": CE})
    reference.train_on_batch(x, {"class": y["class"], "survey": y["survey"]})
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["class_loss"] - lam * logs["disc_loss"], rel=1e-5)
    pairs = [(model.encoder, encoder), (model.discriminator, discriminator)]
    for mine, theirs in pairs:
        for got, want in zip(mine.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_zero_lambda_trains_the_classifier_like_a_plain_classifier():
    keras.utils.set_random_seed(3)
    x, y = tiny_task_data()
    model = make_model(adversarial_weight=0.0)
    plain = Classifier(clone_encoder(model.encoder), n_classes=2)
    plain.class_head.set_weights(model.class_head.get_weights())
    before = model.discriminator.get_weights()
    for m in (model, plain):
        m.compile(optimizer=keras.optimizers.Adam(0.01))
        m.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)
    for got, want in zip(model.encoder.get_weights(), plain.encoder.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert not np.allclose(before[0], model.discriminator.get_weights()[0])  # D was trained


def test_combined_contrastive_adversarial_step():
    keras.utils.set_random_seed(0)
    lam, lr = 1.0, 0.1
    x, y = tiny_task_data()
    model = make_model(adversarial_weight=lam, contrastive_weight=1.0)
    model.compile(optimizer=keras.optimizers.SGD(lr))
    encoder, head, frozen = reference_after_discriminator_step(model, x, y, lr)
    z = encoder(encoder.input)
    reference = keras.Model(encoder.input, {"class": head(z), "survey": frozen(z), "z": z})
    reference.compile(optimizer=keras.optimizers.SGD(lr),
                      loss={"class": CE, "survey": CE, "z": SupervisedContrastiveLoss(0.5)},
                      loss_weights={"class": 1.0, "survey": -lam, "z": 1.0})
    expected = reference.train_on_batch(x, {"class": y["class"], "survey": y["survey"],
                                            "z": y["class"]}, return_dict=True)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) >= {"scl_loss", "disc_loss", "survey_accuracy"}
    assert logs["loss"] == pytest.approx(expected["loss"], rel=1e-5, abs=1e-6)
    for got, want in zip(model.encoder.get_weights(), encoder.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("mode", ["alternating", "gradient_reversal"])
def test_training_learns_classes_and_evaluates(mode):
    keras.utils.set_random_seed(4)
    x, y = tiny_task_data(batch=16)
    model = make_model(mode=mode)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    history = model.fit(x, y, validation_data=(x, y), epochs=10, batch_size=8, verbose=0,
                        callbacks=[stop]).history
    assert {"loss", "class_loss", "disc_loss", "accuracy", "survey_accuracy",
            "val_loss", "val_class_loss"} <= set(history)
    assert history["class_loss"][-1] < 0.6 * history["class_loss"][0]
    assert all(np.isfinite(v).all() for v in history.values())


def test_survey_targets_are_required():
    model = make_model()
    model.compile(optimizer="adam")
    x, y = tiny_task_data(batch=4)
    with pytest.raises(ValueError, match="'survey'"):
        model.fit(x, y["class"], verbose=0)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mode"):
        make_model(mode="minimax")
    with pytest.raises(ValueError, match="encoder_objective"):
        make_model(encoder_objective="flip")
    with pytest.raises(ValueError, match="alternating"):
        make_model(encoder_objective="confusion", mode="gradient_reversal")
    with pytest.raises(ValueError, match="n_domains"):
        make_model(n_domains=1)
    with pytest.raises(ValueError, match="adversarial_weight"):
        make_model(adversarial_weight=-1.0)
