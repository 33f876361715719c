"""Base class of the task models: ``encoder=`` + heads, a model-defined loss, custom steps.

Task models follow the keras-hub encoder/task split: they take a built ``encoder`` (a
:class:`~astrokeras.models.GRUEncoder` or any Keras model mapping the inputs to a latent
``(B, D)``), add heads, are Functional models built in ``__init__`` (so ``predict`` and
``load_model`` need no build step), and serialise the encoder nested in their config.

Training uses a custom ``train_step`` / ``test_step`` per backend (:mod:`astrokeras._backend`);
the loss is defined by the model, so compile with an optimizer only::

    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)

Targets are either an array or the pipeline's dict ``{"class", "survey", "redshift"}`` (unused
keys are ignored). Per-sample weights given to ``fit`` (or yielded by the pipeline as
``(x, y, sample_weight)``) enter the losses as weighted means ``sum w_i l_i / sum w_i``.
The logged metrics are the model's own (``compile(metrics=...)`` is not used).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from astrokeras._backend import TrainStepMixin

__all__ = ["Task"]


def mlp_layers(hidden_units: Sequence[int], activation: str, dropout: float, prefix: str) -> list:
    """Hidden ``Dense`` (+ ``Dropout``) layers with stable names ``{prefix}_dense_{i}``."""
    layers = []
    for i, units in enumerate(hidden_units):
        layers.append(
            keras.layers.Dense(int(units), activation=activation, name=f"{prefix}_dense_{i}")
        )
        if dropout:
            layers.append(keras.layers.Dropout(float(dropout), name=f"{prefix}_dropout_{i}"))
    return layers


def apply_layers(layers: list, x, training=None):
    for layer in layers:
        x = layer(x, training=training) if isinstance(layer, keras.layers.Dropout) else layer(x)
    return x


class Task(TrainStepMixin, keras.Model):
    """Base of the task models (not used directly).

    Subclasses build their Functional graph from ``encoder.input`` and call
    ``Task.__init__(self, encoder=..., inputs=..., outputs=..., name=...)``, then implement
    ``_main_objective(z, y, sample_weight, training) -> (loss, stats)`` and ``_tracker_names()``;
    an adversarial step adds ``_aux_objective`` and overrides ``_objective_variables``.
    """

    def __init__(self, encoder: keras.Model, inputs, outputs, name: str, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder = encoder
        self._trackers = {n: keras.metrics.Mean(name=n) for n in self._tracker_names()}

    def _mlp_head(self, hidden_units: Sequence[int], activation: str, dropout: float) -> list:
        """Validate and store the MLP-head arguments; return its hidden layers (``head_dense_{i}``).

        Called by subclasses before ``Task.__init__`` (the layers go into the Functional graph).
        """
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation = activation
        self.dropout = float(dropout)
        self._hidden_layers = mlp_layers(self.hidden_units, activation, self.dropout, prefix="head")
        return self._hidden_layers

    def _head_config(self) -> dict:
        """The config entries every task model shares: encoder and MLP-head arguments."""
        return {"encoder": self._encoder_config(), "hidden_units": list(self.hidden_units),
                "activation": self.activation, "dropout": self.dropout}

    # ----------------------------------------------------------------- config
    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)

    def _encoder_config(self) -> dict:
        return keras.saving.serialize_keras_object(self.encoder)

    # ---------------------------------------------------------------- metrics
    def _tracker_names(self) -> tuple[str, ...]:
        return ("loss",)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _update_trackers(self, stats: dict, batch_size) -> dict:
        batch_size = ops.cast(batch_size, "float32")
        for name, value in stats.items():
            self._trackers[name].update_state(value, sample_weight=batch_size)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # -------------------------------------------------------------- targets
    # An array (not a dict) of targets is read as this entry.
    _primary_target = "class"

    def _target(self, y, key: str, required: bool = True, dtype: str = "int32"):
        """Entry ``key`` of dict targets as a ``(B,)`` vector (an array is the primary entry)."""
        if isinstance(y, dict):
            value = y.get(key)
            if value is None:
                if required:
                    raise ValueError(
                        f"{self.name}: target dict needs a {key!r} entry, got keys {sorted(y)}"
                    )
                return None
        elif y is None:
            if required:
                raise ValueError(f"{self.name}: training needs {key!r} targets")
            return None
        elif key != self._primary_target:
            raise ValueError(
                f"{self.name}: targets must be a dict with a {key!r} entry (an array of targets "
                f"is read as {self._primary_target!r})"
            )
        else:
            value = y
        return ops.reshape(ops.cast(value, dtype), (-1,))

    @staticmethod
    def _sample_weight_vector(sample_weight):
        """``(B,)`` float32 per-sample weights, or None.

        Keras copies a ``sample_weight`` array to every entry of dict targets; the ``"class"``
        entry (else the first) is used.
        """
        if isinstance(sample_weight, dict):
            sample_weight = sample_weight.get("class", next(iter(sample_weight.values()), None))
        if sample_weight is None:
            return None
        return ops.reshape(ops.cast(sample_weight, "float32"), (-1,))

    # ------------------------------------------------------------ objective
    def _objective_variables(self):
        """(auxiliary variables updated first on stop_gradient(z), main variables)."""
        return [], list(self.trainable_variables)

    def _aux_objective(self, z, y, sample_weight):
        raise NotImplementedError

    def _main_objective(self, z, y, sample_weight, training: bool):
        raise NotImplementedError
