"""Downstream regression model: encoder -> MLP -> Dense(1) (Gupta et al. 2025, Sec. 3.5, App. B.4).

The paper fine-tunes "a two-layer MLP with a linear output" on the frozen pretrained encoder for
redshift estimation (``hidden_units=(64,)``; set ``encoder.trainable = False`` before compiling).
The downstream classifier is :class:`~astrokeras.models.Classifier` with ``hidden_units=(64,)``.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from astrokeras.models.task import Task, apply_layers

__all__ = ["Regressor"]


@keras.saving.register_keras_serializable(package="astrokeras")
class Regressor(Task):
    """Encoder + MLP + linear output, trained with the (weighted) mean squared error.

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z``.
        hidden_units: widths of the hidden Dense layers (paper: a two-layer MLP, ``(64,)``).
        activation: activation of the hidden layers.
        dropout: dropout rate after each hidden layer.
        target: the entry of dict targets to regress (an array of targets is read as it).
        name: model name.

    Predictions have shape ``(B, 1)``. Logged metrics: ``loss`` (MSE), ``mae``.

    Example:
        >>> import numpy as np
        >>> from astrokeras.models import GRUEncoder
        >>> model = Regressor(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4),
        ...                   hidden_units=(8,))
        >>> model.compile(optimizer="adam")
        >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
        >>> sorted(model.fit(x, {"redshift": np.full(4, 0.1)}, verbose=0).history)
        ['loss', 'mae']
    """

    def __init__(
        self,
        encoder: keras.Model,
        hidden_units: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        target: str = "redshift",
        name: str = "regressor",
        **kwargs,
    ):
        hidden = self._mlp_head(hidden_units, activation, dropout)
        output_layer = keras.layers.Dense(1, name="prediction", dtype="float32")
        inputs = encoder.input
        prediction = output_layer(apply_layers(hidden, encoder(inputs)))
        self.output_layer = output_layer
        self.target = str(target)
        self._primary_target = self.target
        Task.__init__(self, encoder=encoder, inputs=inputs, outputs=prediction, name=name, **kwargs)

    def get_config(self) -> dict:
        return {**self._head_config(), "target": self.target, "name": self.name}

    def _tracker_names(self) -> tuple[str, ...]:
        return ("loss", "mae")

    def _main_objective(self, z, y, sample_weight, training: bool):
        target = self._target(y, self.target, dtype="float32")
        prediction = ops.reshape(
            self.output_layer(apply_layers(self._hidden_layers, z, training=training)), (-1,)
        )
        error = prediction - target
        weights = self._sample_weight_vector(sample_weight)
        if weights is None:
            mse, mae = ops.mean(ops.square(error)), ops.mean(ops.abs(error))
        else:
            total = ops.maximum(ops.sum(weights), 1e-12)
            mse = ops.sum(weights * ops.square(error)) / total
            mae = ops.sum(weights * ops.abs(error)) / total
        return mse, {"loss": mse, "mae": mae}
