"""Classifier + supervised contrastive loss (Gupta et al. 2025, Sec. 3.3, Eq. 3, Algorithm 2).

Loss per batch: ``L = H(C(x), c) + contrastive_weight * L_SCL(z, c; tau)`` with ``z`` the encoder's
latent (the classifier's penultimate layer) and ``L_SCL`` the mean over all same-class pairs
(:func:`astrokeras.losses.supervised_contrastive_loss`). Batches should mix surveys within
classes for the loss to align them (the pipeline shuffles across surveys).
"""

from __future__ import annotations

from typing import Sequence

import keras

from astrokeras._backend import TrainStepMixin
from astrokeras.losses import supervised_contrastive_loss
from astrokeras.models.classifier import Classifier

__all__ = ["ContrastiveClassifier"]


@keras.saving.register_keras_serializable(package="astrokeras")
class ContrastiveClassifier(TrainStepMixin, Classifier):
    """Classifier trained with cross entropy plus the supervised contrastive loss on ``z``.

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z``.
        n_classes: number of classes (paper: 8).
        temperature: SCL temperature ``tau`` (paper: 0.5).
        contrastive_weight: weight of ``L_SCL`` in the total loss (paper: 1).
        class_weight: class weights of the cross entropy (see :class:`Classifier`); the
            contrastive term is unweighted, as in the paper.
        name: model name.
        **kwargs: more :class:`Classifier` arguments (``class_names``, ``tokenizer``, ...).

    Trained by a custom step per backend (:mod:`astrokeras._backend`): compile with an
    optimizer only. Logged metrics: ``loss`` (total), ``class_loss``, ``scl_loss``, ``accuracy``.

    Example:
        >>> import numpy as np
        >>> from astrokeras.models import GRUEncoder
        >>> model = ContrastiveClassifier(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4),
        ...                               n_classes=2)
        >>> model.compile(optimizer="adam")
        >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
        >>> sorted(model.fit(x, np.array([0, 1, 1, 0]), verbose=0).history)
        ['accuracy', 'class_loss', 'loss', 'scl_loss']
    """

    def __init__(
        self,
        encoder: keras.Model,
        n_classes: int = 8,
        temperature: float = 0.5,
        contrastive_weight: float = 1.0,
        class_weight: Sequence[float] | dict | None = None,
        name: str = "contrastive_classifier",
        **kwargs,
    ):
        if temperature <= 0:
            raise ValueError(f"ContrastiveClassifier: temperature must be > 0, got {temperature}")
        if contrastive_weight < 0:
            raise ValueError(
                f"ContrastiveClassifier: contrastive_weight must be >= 0, got {contrastive_weight}"
            )
        super().__init__(
            encoder=encoder, n_classes=n_classes, class_weight=class_weight, name=name, **kwargs
        )
        self.temperature = float(temperature)
        self.contrastive_weight = float(contrastive_weight)
        self._build_trackers()

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(temperature=self.temperature, contrastive_weight=self.contrastive_weight)
        return config

    def _tracker_names(self) -> tuple[str, ...]:
        return ("loss", "class_loss", "scl_loss", "accuracy")

    def _main_objective(self, z, y, sample_weight, training: bool):
        labels, class_loss, accuracy = self._classification_terms(z, y, sample_weight, training)
        scl = supervised_contrastive_loss(labels, z, temperature=self.temperature)
        loss = class_loss + self.contrastive_weight * scl
        return loss, {
            "loss": loss, "class_loss": class_loss, "scl_loss": scl, "accuracy": accuracy,
        }
