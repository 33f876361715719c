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
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from astrokeras.losses import normalize_class_weights, weighted_sparse_categorical_crossentropy
from astrokeras.models.task import Task, apply_layers

__all__ = ["Classifier"]


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
        name: model name.

    Targets: integer labels ``(B,)`` or a dict with a ``"class"`` entry.
    Logged metrics: ``loss`` (weighted cross entropy), ``accuracy``.

    Attributes:
        encoder: the encoder (``model.encoder.predict(x)`` gives the latents).
        class_head: the ``Dense(n_classes)`` logits layer.

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
        name: str = "classifier",
        **kwargs,
    ):
        if int(n_classes) < 2:
            raise ValueError(f"{type(self).__name__}: n_classes must be >= 2, got {n_classes}")
        class_weight = normalize_class_weights(class_weight, int(n_classes))

        # === Functional graph: inputs -> encoder -> [MLP] -> logits -> probabilities ===
        hidden = self._mlp_head(hidden_units, activation, dropout)
        class_head = keras.layers.Dense(int(n_classes), name="class_logits")
        inputs = encoder.input
        logits = class_head(apply_layers(hidden, encoder(inputs)))
        probabilities = keras.layers.Activation(
            "softmax", name="class_probabilities", dtype="float32"
        )(logits)
        self.class_head = class_head
        self.n_classes = int(n_classes)
        self.class_weight = class_weight
        Task.__init__(self, encoder=encoder, inputs=inputs, outputs=probabilities, name=name,
                      **kwargs)

    def get_config(self) -> dict:
        return {**self._head_config(), "n_classes": self.n_classes, "class_weight": self.class_weight,
                "name": self.name}

    def _tracker_names(self) -> tuple[str, ...]:
        return ("loss", "accuracy")

    # -------------------------------------------------------------- objective
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

    def _main_objective(self, z, y, sample_weight, training: bool):
        _, class_loss, accuracy = self._classification_terms(z, y, sample_weight, training)
        return class_loss, {"loss": class_loss, "accuracy": accuracy}
