"""Classifier: encoder -> (optional MLP) -> Dense(n_classes) softmax (Gupta et al. 2025, Sec. 3.1).

The pretraining classifier is ``encoder -> Dense(n_classes)`` (``hidden_units=()``), trained with
categorical cross entropy (class-weighted). The downstream classifier of Sec. 3.5 / App. B.4 is
the same class with a two-layer MLP head, ``hidden_units=(64,)``, on a frozen encoder
(``encoder.trainable = False`` before compiling; the flag is saved with the encoder).

Class weights (ctor arg) are normalised to mean 1 and the cross entropy is the weighted mean
``sum w_i H_i / sum w_i``, so their overall scale does not change the loss. Per-sample weights
given to ``fit`` (or yielded by the pipeline, e.g. from :func:`astrokeras.weights.class_weights`)
multiply them; give class weights one way or the other, not both. ``fit(class_weight=...)`` is
not available with dict targets (a Keras limitation): use the constructor argument.

Training goes through Keras' own step: ``compile()`` uses
:class:`~astrokeras.losses.ClassWeightedCrossentropy` (with the constructor's class weights) and
the ``accuracy`` metric unless ``loss=`` / ``metrics=`` are given. The model carries its class
names and tokenizer settings in its config, so a saved classifier predicts from a table in one
call (:meth:`~astrokeras.models.Task.predict_table`).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from astrokeras.losses import (
    ClassWeightedCrossentropy,
    normalize_class_weights,
    weighted_sparse_categorical_crossentropy,
)
from astrokeras.models.task import Task, apply_layers

__all__ = ["Classifier"]

# Columns of astrokeras.predict.predict_table next to the per-class probabilities.
RESERVED_COLUMNS = ("object_id", "predicted_class")


def check_class_names(class_names, n_classes: int, owner: str = "Classifier") -> list[str] | None:
    """``None`` or ``n_classes`` distinct, non-empty strings (not a reserved column name)."""
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise ValueError(f"{owner}: class_names must be a list of names, got the string {class_names!r}")
    names = list(class_names)
    if len(names) != n_classes:
        raise ValueError(f"{owner}: {len(names)} class_names for n_classes={n_classes}: {names}")
    bad = [n for n in names if not isinstance(n, str) or not n.strip() or n in RESERVED_COLUMNS]
    if bad:
        raise ValueError(f"{owner}: class names must be non-empty strings other than {RESERVED_COLUMNS}, "
                         f"got {bad}")
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: class_names are not distinct: {names}")
    return names


def _accuracy(labels, logits):
    predicted = ops.cast(ops.argmax(logits, axis=-1), "int32")
    return ops.mean(ops.cast(ops.equal(predicted, labels), "float32"))


@keras.saving.register_keras_serializable(package="astrokeras")
class Classifier(Task):
    """Encoder + softmax class head, trained with (class-weighted) categorical cross entropy.

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z`` of shape ``(B, D)``.
        n_classes: number of classes (paper: 8).
        class_weight: ``None``, a list of ``n_classes`` weights or a dict ``{class: weight}``;
            normalised to mean 1 (balanced weights: :func:`astrokeras.weights.class_weights`).
        hidden_units: widths of hidden Dense layers between ``z`` and the class layer
            (pretraining: none; downstream heads: ``(64,)``).
        activation: activation of the hidden layers.
        dropout: dropout rate after each hidden layer.
        class_names: names of the classes, in label order (stored in the config; the columns of
            :meth:`predict_table`).
        tokenizer: the :class:`~astrokeras.tokens.Tokenizer` (or its config) the inputs come
            from (stored in the config; used by :meth:`predict_table`).
        name: model name.

    Targets: integer labels ``(B,)`` or a dict with a ``"class"`` entry.
    Logged metrics (default ``compile``): ``loss`` (weighted cross entropy), ``accuracy``.

    Attributes:
        encoder: the encoder (``model.encoder.predict(x)`` gives the latents).
        class_head: the ``Dense(n_classes)`` logits layer.
        class_names: list of names or None.
        tokenizer: a Tokenizer or None.

    Example:
        >>> import numpy as np
        >>> from astrokeras.models import GRUEncoder
        >>> enc = GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
        >>> model = Classifier(enc, n_classes=3)
        >>> model.compile(optimizer="adam")
        >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
        >>> history = model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
        >>> model.predict(x, verbose=0).shape
        (4, 3)
    """

    def __init__(
        self,
        encoder: keras.Model,
        n_classes: int = 8,
        class_weight: Sequence[float] | dict | None = None,
        hidden_units: Sequence[int] = (),
        activation: str = "relu",
        dropout: float = 0.0,
        class_names: Sequence[str] | None = None,
        tokenizer=None,
        name: str = "classifier",
        **kwargs,
    ):
        owner = type(self).__name__
        if int(n_classes) < 2:
            raise ValueError(f"{owner}: n_classes must be >= 2, got {n_classes}")
        class_weight = normalize_class_weights(class_weight, int(n_classes))
        class_names = check_class_names(class_names, int(n_classes), owner)

        # === Functional graph: inputs -> encoder -> [MLP] -> logits -> probabilities ===
        hidden = self._mlp_head(owner, hidden_units, activation, dropout)
        class_head = keras.layers.Dense(int(n_classes), name="class_logits")
        inputs = encoder.input
        logits = class_head(apply_layers(hidden, encoder(inputs)))
        probabilities = keras.layers.Activation(
            "softmax", name="class_probabilities", dtype="float32"
        )(logits)
        super().__init__(encoder=encoder, inputs=inputs, outputs=probabilities, name=name,
                         tokenizer=tokenizer, **kwargs)

        # === Attributes (after Model.__init__: torch needs it) ===
        self._store_head(hidden_units, activation, dropout, hidden)
        self.class_head = class_head
        self.n_classes = int(n_classes)
        self.class_weight = class_weight
        self.class_names = class_names

    def get_config(self) -> dict:
        return {**self._head_config(), "n_classes": self.n_classes, "class_weight": self.class_weight,
                "class_names": self.class_names, "name": self.name}

    def default_loss(self):
        return ClassWeightedCrossentropy(self.class_weight)

    def default_metrics(self) -> list:
        return ["accuracy"]

    # ----------------------------------------- objective terms of the custom-step subclasses
    def _class_weights_for(self, labels, sample_weight):
        weights = None
        if self.class_weight is not None:
            weights = ops.take(ops.convert_to_tensor(self.class_weight, "float32"), labels)
        sample_weight = self._sample_weight_vector(sample_weight)
        if sample_weight is not None:
            weights = sample_weight if weights is None else weights * sample_weight
        return weights

    def _classification_terms(self, z, y, sample_weight, training=None):
        labels = self._target(y, "class")
        logits = self.class_head(apply_layers(self._hidden_layers, z, training=training))
        class_loss = weighted_sparse_categorical_crossentropy(
            labels, logits, self._class_weights_for(labels, sample_weight)
        )
        return labels, class_loss, _accuracy(labels, logits)
