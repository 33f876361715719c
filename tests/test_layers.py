"""Tests of astrokeras.layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import backend_gradient, run_keras_model_checks

from astrokeras.layers import GradientReversal


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
