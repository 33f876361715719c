"""Tests of astrokeras.layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import backend_gradient, run_keras_model_checks

from astrokeras.layers import BandEmbedding, GradientReversal


def test_gradient_reversal_keras_checks(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    run_keras_model_checks(lambda: GradientReversal(scale=0.7, name="grl"), x, tmp_path,
                           expected_output_shape=(5,))


@pytest.mark.parametrize("scale", [0.0, 0.3, 1.0, 2.5])
def test_gradient_reversal_identity_forward_reversed_backward(scale):
    layer = GradientReversal(scale=scale)
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32") * 1e3
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)  # bit-exact identity
    weights = np.arange(12, dtype="float32").reshape(3, 4)
    grad = backend_gradient(lambda v: keras.ops.sum(keras.ops.multiply(layer(v), weights)), x)
    np.testing.assert_allclose(grad, -scale * weights, rtol=1e-6)


def test_gradient_reversal_rejects_negative_scale():
    with pytest.raises(ValueError, match="scale"):
        GradientReversal(scale=-1.0)


# ------------------------------------------------------------------------------ BandEmbedding
def _band_tokens(codes, seed=0):
    """(1, T, 3) tokens [wavelength, flux, code] with the given codes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, len(codes), 3)).astype("float32")
    x[0, :, 2] = codes
    return x


def test_band_embedding_keras_checks(tmp_path):
    x = np.concatenate([_band_tokens([1, 2, 3, 0], seed=0), _band_tokens([3, 3, 1, 2], seed=1)])
    run_keras_model_checks(lambda: BandEmbedding(n_codes=4, embedding_dim=3, dropout=0.2, seed=1, name="bands"),
                           x, tmp_path, expected_output_shape=(4, 2 + 3))


def test_band_embedding_unknown_codes_are_zero_and_same_code_same_vector():
    layer = BandEmbedding(n_codes=4, embedding_dim=2)
    x = _band_tokens([2, 2, 0, 7, -1, 1])
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(y[..., :2], x[..., :2])  # the other channels pass through
    np.testing.assert_array_equal(y[0, 0, 2:], y[0, 1, 2:])  # one code, one vector
    np.testing.assert_array_equal(y[0, 2:5, 2:], 0.0)  # 0 and out-of-range codes: unknown -> zeros
    assert np.abs(y[0, 5, 2:]).sum() > 0 and not np.allclose(y[0, 5, 2:], y[0, 0, 2:])


def test_band_embedding_dropout_only_in_training_and_gradient_passes_the_other_channels():
    layer = BandEmbedding(n_codes=3, embedding_dim=2, dropout=0.5, seed=0)
    x = _band_tokens([1] * 200)
    inference = keras.ops.convert_to_numpy(layer(x, training=False))
    assert np.all(np.abs(inference[0, :, 2:]).sum(-1) > 0)
    trained = keras.ops.convert_to_numpy(layer(x, training=True))
    hidden = np.abs(trained[0, :, 2:]).sum(-1) == 0
    assert 60 < hidden.sum() < 140  # about half the codes hidden
    grad = backend_gradient(lambda v: keras.ops.sum(layer(v)), x)
    np.testing.assert_array_equal(grad[..., :2], 1.0)  # identity on the other channels
    np.testing.assert_array_equal(grad[..., 2], 0.0)  # nothing flows into the integer code


def test_band_embedding_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_codes"):
        BandEmbedding(n_codes=1)
    with pytest.raises(ValueError, match="dropout"):
        BandEmbedding(n_codes=3, dropout=1.0)
    with pytest.raises(ValueError, match="band-code channel"):
        BandEmbedding(n_codes=3)(np.zeros((1, 2, 1), "float32"))
