"""Downstream regression model: encoder -> MLP -> Dense(1) (Gupta et al. 2025, Sec. 3.5, App. B.4).

The paper fine-tunes "a two-layer MLP with a linear output" on the frozen pretrained encoder for
redshift estimation (``hidden_units=(64,)``; set ``encoder.trainable = False`` before compiling).
The downstream classifier is :class:`~astrokeras.models.Classifier` with ``hidden_units=(64,)``.
Training goes through Keras' own step: ``compile()`` uses the mean squared error (a weighted mean
with per-sample weights) and the ``mae`` metric unless ``loss=`` / ``metrics=`` are given.
"""

from __future__ import annotations

from typing import Sequence

import keras

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
        tokenizer: the :class:`~astrokeras.tokens.Tokenizer` (or its config) the inputs come
            from (stored in the config; used by :meth:`predict_table`).
        name: model name.

    Predictions have shape ``(B, 1)``. Logged metrics (default ``compile``): ``loss`` (MSE), ``mae``.

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
        tokenizer=None,
        name: str = "regressor",
        **kwargs,
    ):
        hidden = self._mlp_head(type(self).__name__, hidden_units, activation, dropout)
        output_layer = keras.layers.Dense(1, name="prediction", dtype="float32")
        inputs = encoder.input
        prediction = output_layer(apply_layers(hidden, encoder(inputs)))
        super().__init__(encoder=encoder, inputs=inputs, outputs=prediction, name=name,
                         tokenizer=tokenizer, **kwargs)
        # === Attributes (after Model.__init__: torch needs it) ===
        self._store_head(hidden_units, activation, dropout, hidden)
        self.output_layer = output_layer
        self.target = str(target)
        self._primary_target = self.target

    def get_config(self) -> dict:
        return {**self._head_config(), "target": self.target, "name": self.name}

    _target_dtype = "float32"

    def default_loss(self):
        return keras.losses.MeanSquaredError(reduction="mean_with_sample_weight", name="mse")

    def default_metrics(self) -> list:
        return [keras.metrics.MeanAbsoluteError(name="mae")]
