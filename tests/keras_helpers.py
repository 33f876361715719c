"""Shared checks for every astrokeras Keras layer, model and task model.

``run_keras_model_checks(model_factory, input_data, tmp_path)`` checks, with tiny sizes:

* config round trip: ``from_config(get_config())`` gives a JSON-equal config (and the config is
  JSON-serialisable);
* ``.keras`` save -> ``keras.models.load_model`` (with no ``custom_objects``: the classes must be
  registered by ``import astrokeras``) -> same class, ``allclose`` outputs;
* several sequence lengths (T = 1, 7, 16) for ``{"values", "mask"}`` inputs, right-padded with
  random lengths, each checked finite, with the expected batch/output shape, and equal between
  the original and the reloaded model;
* ``predict`` on numpy and on a ``tf.data`` dataset (same values).

A layer that is not a model is wrapped in a Functional model for the save/predict checks.

Example (in a test)::

    def test_encoder(tmp_path):
        run_keras_model_checks(lambda: GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=4),
                               make_sequence_inputs(batch=2, length=5, n_features=3), tmp_path)
"""

from __future__ import annotations

import json
import os
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

import astrokeras  # noqa: F401  (registers the serializable classes)

SEQUENCE_LENGTHS = (1, 7, 16)


def make_sequence_inputs(
    batch: int = 2, length: int = 7, n_features: int = 3, seed: int = 0, full_row: bool = True
) -> dict[str, np.ndarray]:
    """Random right-padded ``{"values": (B, T, F) float32, "mask": (B, T) bool}`` inputs.

    Row 0 is full length when ``full_row``; the other rows have random lengths in ``[1, T]``.
    Padded values are random too (not zero), so a check passes only if the mask is respected.
    """
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(batch, length, n_features)).astype("float32")
    lengths = rng.integers(1, length + 1, size=batch)
    if full_row:
        lengths[0] = length
    mask = np.arange(length)[None, :] < lengths[:, None]
    return {"values": values, "mask": mask}


def _as_model(obj) -> keras.Model:
    if isinstance(obj, keras.Model):
        return obj
    raise TypeError(f"expected a keras.Model, got {type(obj).__name__}")


def _wrap_layer(layer: keras.layers.Layer, input_data) -> keras.Model:
    sample = np.asarray(input_data)
    inputs = keras.Input(shape=sample.shape[1:], dtype=str(sample.dtype))
    return keras.Model(inputs, layer(inputs), name=f"wrapped_{layer.name}")


def _predict(model, data):
    return keras.tree.map_structure(np.asarray, model.predict(data, verbose=0, batch_size=2))


def _assert_allclose(actual, expected, atol, what):
    keras.tree.assert_same_structure(actual, expected)
    for a, e in zip(keras.tree.flatten(actual), keras.tree.flatten(expected)):
        np.testing.assert_allclose(a, e, atol=atol, rtol=1e-5, err_msg=what)


def _json(config) -> str:
    return json.dumps(config, sort_keys=True)


def run_keras_model_checks(
    model_factory: Callable[[], keras.layers.Layer],
    input_data,
    tmp_path,
    *,
    sequence_lengths=SEQUENCE_LENGTHS,
    expected_output_shape: tuple | None = None,
    atol: float = 1e-6,
):
    """Run the shared checks; returns ``(model, reloaded_model)`` for further assertions.

    Args:
        model_factory: builds a fresh, tiny layer/model (hidden <= 16).
        input_data: numpy inputs (batch 2), e.g. :func:`make_sequence_inputs` for sequence models.
        tmp_path: a temporary directory (pytest's ``tmp_path``).
        sequence_lengths: lengths T checked when ``input_data`` is a ``{"values", "mask"}`` dict.
        expected_output_shape: output shape without the batch axis (checked when given).
        atol: tolerance of the output comparisons.
    """
    layer = model_factory()
    cls = type(layer)

    # --- config round trip (JSON equality) ---
    config = layer.get_config()
    _json(config)  # JSON-serialisable
    clone = cls.from_config(config)
    assert type(clone) is cls
    assert _json(clone.get_config()) == _json(config), "config round trip changed the config"

    model = layer if isinstance(layer, keras.Model) else _wrap_layer(layer, input_data)
    outputs = _predict(model, input_data)
    batch = len(keras.tree.flatten(input_data)[0])
    for out in keras.tree.flatten(outputs):
        assert out.shape[0] == batch
        assert np.all(np.isfinite(out)), "non-finite outputs"
        if expected_output_shape is not None:
            assert tuple(out.shape[1:]) == tuple(expected_output_shape)

    # --- .keras save -> load_model -> allclose ---
    path = os.path.join(str(tmp_path), f"{model.name}.keras")
    model.save(path)
    reloaded = _as_model(keras.models.load_model(path))
    assert type(reloaded) is type(model)
    _assert_allclose(_predict(reloaded, input_data), outputs, atol, "reloaded model differs")
    if isinstance(layer, keras.Model):
        assert _json(reloaded.get_config()) == _json(config)

    # --- several sequence lengths ---
    if isinstance(input_data, dict) and set(input_data) == {"values", "mask"}:
        n_features = input_data["values"].shape[-1]
        for length in sequence_lengths:
            data = make_sequence_inputs(batch, length, n_features, seed=length)
            out = _predict(model, data)
            for o in keras.tree.flatten(out):
                assert o.shape[0] == batch and np.all(np.isfinite(o)), f"T={length}"
                if expected_output_shape is not None:
                    assert tuple(o.shape[1:]) == tuple(expected_output_shape), f"T={length}"
            _assert_allclose(_predict(reloaded, data), out, atol, f"reloaded differs at T={length}")

    # --- predict on numpy and on tf.data ---
    dataset = tf.data.Dataset.from_tensor_slices(input_data).batch(2)
    _assert_allclose(_predict(model, dataset), outputs, atol, "tf.data predict differs")
    return model, reloaded


def backend_gradient(fn: Callable, x: np.ndarray) -> np.ndarray:
    """Gradient of the scalar ``fn(x)`` w.r.t. the array ``x`` with the active Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return np.asarray(tape.gradient(y, x))
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: fn(v))(np.asarray(x)))
    if backend == "torch":
        import torch

        v = torch.tensor(np.asarray(x), requires_grad=True)
        (grad,) = torch.autograd.grad(fn(v), v)
        return grad.detach().cpu().numpy()
    raise NotImplementedError(backend)


def tiny_task_data(batch: int = 8, length: int = 6, n_features: int = 3, seed: int = 0):
    """A tiny separable task: class = sign of the mean flux, survey = sign of the mean time.

    Returns ``(x, y)`` with ``x = {"values", "mask"}`` (right-padded) and
    ``y = {"class": (B,) int32, "survey": (B,) int32, "redshift": (B,) float32}`` as the pipeline
    yields them.
    """
    rng = np.random.default_rng(seed)
    x = make_sequence_inputs(batch, length, n_features, seed=seed)
    label = np.arange(batch) % 2
    survey = (np.arange(batch) // 2) % 2
    x["values"][..., 2] += np.where(label, 1.5, -1.5)[:, None]
    x["values"][..., 1] += np.where(survey, 1.0, -1.0)[:, None]
    x["values"][~x["mask"]] = 0.0
    y = {
        "class": label.astype("int32"),
        "survey": survey.astype("int32"),
        "redshift": rng.uniform(0, 1, batch).astype("float32"),
    }
    return x, y
