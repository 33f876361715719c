"""Base class of the task models: ``encoder=`` + heads, tokenizer settings, Keras training.

Task models follow the keras-hub encoder/task split: they take a built ``encoder`` (a
:class:`~astrokeras.models.GRUEncoder` or any Keras model mapping the inputs to a latent
``(B, D)``), add heads, are Functional models built in ``__init__`` (so ``predict`` and
``load_model`` need no build step), and serialise the encoder nested in their config, with the
settings of the tokenizer their inputs come from (``tokenizer=``; a task model is then used on a
table in one call: :meth:`Task.predict_table`).

The plain supervised models train through Keras' own step: ``compile()`` without ``loss`` uses
the model's default loss and metrics (:meth:`Task.default_loss`, :meth:`Task.default_metrics`),
and ``compile(loss=..., metrics=...)`` takes any others::

    model.compile(optimizer=keras.optimizers.Adam(1e-3))

The pretraining models with a two-part update (adversarial, contrastive) use a custom step per
backend (:mod:`astrokeras._backend`) and compile with an optimizer only.

Targets are either an array or the pipeline's dict ``{"class", "survey", "redshift"}`` (the
model's target entry is used, other keys are ignored). Per-sample weights given to ``fit`` (or
yielded by the pipeline as ``(x, y, sample_weight)``) enter the losses as weighted means
``sum w_i l_i / sum w_i``.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from astrokeras.tokens import Tokenizer

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


def as_tokenizer(tokenizer) -> Tokenizer | None:
    """``None``, a :class:`~astrokeras.tokens.Tokenizer` or its config dict -> a Tokenizer (or None)."""
    if tokenizer is None or isinstance(tokenizer, Tokenizer):
        return tokenizer
    if isinstance(tokenizer, dict):
        try:
            return Tokenizer(**tokenizer)
        except TypeError as err:
            raise ValueError(f"tokenizer config {tokenizer} is not a Tokenizer's: {err}") from None
    raise TypeError(f"tokenizer must be an astrokeras.Tokenizer, its config dict or None, "
                    f"got {type(tokenizer).__name__}")


class Task(keras.Model):
    """Base of the task models (not used directly).

    Subclasses build their Functional graph from ``encoder.input`` with local layers, call
    ``super().__init__(encoder=..., inputs=..., outputs=..., name=..., tokenizer=...)`` and only
    then assign attributes (torch requires modules to be set after ``Module.__init__``). A model
    trained by Keras' own step defines :meth:`default_loss` and :meth:`default_metrics`; a model
    with a custom step mixes in :data:`astrokeras._backend.TrainStepMixin` and implements
    ``_main_objective(z, y, sample_weight, training) -> (loss, stats)`` and ``_tracker_names()``
    (an adversarial step adds ``_aux_objective`` and overrides ``_objective_variables``).

    Attributes:
        encoder: the encoder.
        tokenizer: the :class:`~astrokeras.tokens.Tokenizer` whose tokens the model reads, or None.
    """

    # True for the models with a per-backend custom step (astrokeras._backend.CustomStepBase).
    _uses_custom_step = False
    # An array (not a dict) of targets is read as this entry, with this dtype.
    _primary_target = "class"
    _target_dtype = "int32"

    def __init__(self, encoder: keras.Model, inputs, outputs, name: str, tokenizer=None, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder = encoder
        self.tokenizer = as_tokenizer(tokenizer)

    @staticmethod
    def _mlp_head(owner: str, hidden_units: Sequence[int], activation: str, dropout: float) -> list:
        """Validate the MLP-head arguments; return its hidden layers (``head_dense_{i}``).

        Called by subclasses before ``super().__init__`` (the layers go into the Functional graph);
        :meth:`_store_head` records them afterwards.
        """
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout}")
        return mlp_layers(tuple(int(u) for u in hidden_units), activation, float(dropout), prefix="head")

    def _store_head(self, hidden_units: Sequence[int], activation: str, dropout: float, layers: list) -> None:
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation = activation
        self.dropout = float(dropout)
        self._hidden_layers = layers

    def _head_config(self) -> dict:
        """The config entries every task model shares: encoder, MLP head and tokenizer."""
        return {"encoder": self._encoder_config(), "hidden_units": list(self.hidden_units),
                "activation": self.activation, "dropout": self.dropout,
                "tokenizer": None if self.tokenizer is None else self.tokenizer.get_config()}

    # ----------------------------------------------------------------- config
    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)

    def _encoder_config(self) -> dict:
        return keras.saving.serialize_keras_object(self.encoder)

    @classmethod
    def from_preset(cls, preset: str, models_dir: str | None = None, **kwargs):
        """A new task model on a released encoder (keras-hub style), with that encoder's tokenizer.

        Args:
            preset: a released encoder name (:func:`astrokeras.list_encoders`).
            models_dir: folder override (see :mod:`astrokeras.presets`).
            **kwargs: the model's other arguments (``n_classes``, ``class_names``, ``hidden_units``...).

        Example:
            >>> model = Classifier.from_preset("classifier_ztf_lsst_full", n_classes=2,  # doctest: +SKIP
            ...                                class_names=["SN Ia", "other"])
        """
        from astrokeras.downstream import tokenizer_for
        from astrokeras.models.gru_encoder import GRUEncoder

        kwargs.setdefault("tokenizer", tokenizer_for(preset, models_dir))
        return cls(encoder=GRUEncoder.from_preset(preset, models_dir), **kwargs)

    # ---------------------------------------------------------------- training
    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Under ``tf.distribute``, build from one replica's batch (Keras' TF trainer averages the
        replicas' batches first, which fails on the boolean ``mask``); otherwise Keras' own."""
        if iterator is not None and keras.backend.backend() == "tensorflow" \
                and getattr(self, "_distribute_strategy", None) is not None:
            from astrokeras._backend.tensorflow import first_replica_batch

            data_batch, iterator = first_replica_batch(self._distribute_strategy, iterator), None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def default_loss(self):
        """The loss ``compile()`` uses when none is given."""
        raise NotImplementedError(f"{type(self).__name__} has no default loss; compile(loss=...)")

    def default_metrics(self) -> list:
        """The metrics ``compile()`` uses when none are given."""
        return []

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """``keras.Model.compile`` with this model's loss and metrics as defaults.

        The custom-step models (adversarial, contrastive) take an optimizer only. Under torch,
        ``jit_compile=True`` is turned off (``torch.compile`` of the recurrent step is not
        supported here); TensorFlow and JAX keep it.
        """
        if self._uses_custom_step:
            values = {"loss": loss, "metrics": metrics, "weighted_metrics": kwargs.get("weighted_metrics"),
                      "loss_weights": kwargs.get("loss_weights")}
            given = [k for k, v in values.items() if v is not None]
            if given:
                raise ValueError(f"{type(self).__name__} defines its own loss and metrics (custom "
                                 f"training step); compile it with an optimizer only, not {given}")
        else:
            loss = self.default_loss() if loss is None else loss
            metrics = self.default_metrics() if metrics is None else metrics
        if keras.backend.backend() == "torch" and kwargs.get("jit_compile") is True:
            kwargs["jit_compile"] = False
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config: dict) -> None:
        """Re-compile on ``load_model`` (Keras skips models with a custom ``compile`` otherwise)."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)  # its variables, so saved ones load

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y, sample_weight = self._standard_targets(y, sample_weight)
        return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        y, sample_weight = self._standard_targets(y, sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def _standard_targets(self, y, sample_weight):
        """The model's target entry ``(B,)`` and per-sample weights for Keras' compiled loss."""
        return (self._target(y, self._primary_target, dtype=self._target_dtype),
                self._sample_weight_vector(sample_weight))

    # ------------------------------------------------------------- prediction
    def predict(self, x, *args, **kwargs):
        """``keras.Model.predict`` on token batches; light curves and tables go to :meth:`predict_table`."""
        from astrokeras.predict import check_not_table

        check_not_table(self, x)
        return super().predict(x, *args, **kwargs)

    def predict_table(self, data, **kwargs):
        """Predictions for a table of observations, as a DataFrame (see :func:`astrokeras.predict.predict_table`).

        Example:
            >>> model = keras.models.load_model("my_classifier.keras")  # doctest: +SKIP
            >>> model.predict_table(pd.read_csv("photometry.csv"))     # doctest: +SKIP
        """
        from astrokeras.predict import predict_table

        return predict_table(self, data, **kwargs)

    # -------------------------------------------------------------- targets
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

    def _sample_weight_vector(self, sample_weight):
        """``(B,)`` float32 per-sample weights, or None.

        Keras copies a ``sample_weight`` array to every entry of dict targets; the model's target
        entry (else the first) is used.
        """
        if isinstance(sample_weight, dict):
            sample_weight = sample_weight.get(self._primary_target,
                                              next(iter(sample_weight.values()), None))
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
