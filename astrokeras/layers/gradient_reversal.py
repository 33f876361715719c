"""Gradient reversal layer (Ganin & Lempitsky 2015, arXiv:1409.7495).

Identity in the forward pass; multiplies the gradient by ``-scale`` in the backward pass. Written
with ``keras.ops`` only (no backend custom-gradient API)::

    y = x - (1 + scale) * (x - stop_gradient(x))

``x - stop_gradient(x)`` is exactly 0 in value, so the output equals ``x`` bit for bit, while its
derivative is ``1 - (1 + scale) = -scale``.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["GradientReversal"]


@keras.saving.register_keras_serializable(package="astrokeras")
class GradientReversal(keras.layers.Layer):
    """Identity forward, gradient times ``-scale`` backward.

    Args:
        scale: the factor ``lambda >= 0`` of the reversed gradient.
        name: layer name.

    Example:
        >>> import numpy as np
        >>> layer = GradientReversal(scale=0.5)
        >>> np.asarray(layer(np.array([[1.0, -2.0]], "float32"))).tolist()
        [[1.0, -2.0]]
    """

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if scale < 0:
            raise ValueError(f"GradientReversal: scale must be >= 0, got {scale}")
        self.scale = float(scale)
        self.supports_masking = True

    def call(self, inputs):
        return inputs - (1.0 + self.scale) * (inputs - ops.stop_gradient(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["scale"] = self.scale
        return config
