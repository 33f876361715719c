"""Classifier made survey-invariant by paired views of the same objects (beyond Gupta et al. 2025).

The paper's adversarial objective fools only its own discriminator (a fresh linear probe still
reads the survey from the latent). Here the positives are *views of the same simulated object*
seen through different surveys, band subsets, thinned cadences and alert/forced photometry
(:func:`astrokeras.paired.simulate_paired_views`, batches of ``k`` views per object from
:func:`astrokeras.pipeline.make_paired_dataset`). Loss per batch::

    L = H(C(x), c)                                   class cross entropy (class-weighted)
      + invariance_weight  * L_view(z, object; tau)  object-level NT-Xent: positives = other views
                                                     of the same object, negatives = all others
      + consistency_weight * L_cons(z, object)       within-object / total latent variance
      + contrastive_weight * L_SCL(z, c; tau)        optional class-level SupCon (the paper's)

``L_view`` is :func:`~astrokeras.losses.supervised_contrastive_loss` with the object code as the
label (with two views per object it is SimCLR's NT-Xent, Chen et al. 2020, arXiv:2002.05709);
``L_cons`` is :func:`~astrokeras.losses.view_consistency_loss` on the raw latent, scale-free so it
cannot be lowered by shrinking ``z``. Both act on ``z`` itself, the representation the downstream
heads and the survey probe read (no projection head).

Targets: a dict with ``"class"`` and ``"object"`` (integer object codes; views of one object share
a code) entries. Per-sample weights weight the cross entropy only.
"""

from __future__ import annotations

from typing import Sequence

import keras

from astrokeras._backend import TrainStepMixin
from astrokeras.losses import supervised_contrastive_loss, view_consistency_loss
from astrokeras.models.classifier import Classifier

__all__ = ["InvariantClassifier"]


@keras.saving.register_keras_serializable(package="astrokeras")
class InvariantClassifier(TrainStepMixin, Classifier):
    """Classifier trained with cross entropy plus object-level view-invariance losses on ``z``.

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z``.
        n_classes: number of classes (paper: 8).
        invariance_weight: weight of the object-level contrastive loss (0: off).
        consistency_weight: weight of the within-object variance fraction (0: off).
        contrastive_weight: weight of the class-level supervised contrastive loss (0: off).
        temperature: temperature ``tau`` of both contrastive losses (paper's SCL: 0.5).
        class_weight: class weights of the cross entropy (see :class:`Classifier`).
        name: model name.
        **kwargs: more :class:`Classifier` arguments (``class_names``, ``tokenizer``, ...).

    Trained by a custom step per backend (:mod:`astrokeras._backend`): compile with an optimizer
    only. Logged metrics: ``loss`` (total), ``class_loss``, ``view_loss``, ``consistency_loss``,
    ``accuracy`` and ``scl_loss`` when the class-level contrastive term is on.

    Example:
        >>> import numpy as np
        >>> from astrokeras.models import GRUEncoder
        >>> model = InvariantClassifier(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4),
        ...                             n_classes=2, consistency_weight=1.0)
        >>> model.compile(optimizer="adam")
        >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
        >>> y = {"class": np.array([0, 0, 1, 1]), "object": np.array([0, 0, 1, 1])}
        >>> sorted(model.fit(x, y, verbose=0).history)
        ['accuracy', 'class_loss', 'consistency_loss', 'loss', 'view_loss']
    """

    def __init__(
        self,
        encoder: keras.Model,
        n_classes: int = 8,
        invariance_weight: float = 1.0,
        consistency_weight: float = 0.0,
        contrastive_weight: float = 0.0,
        temperature: float = 0.5,
        class_weight: Sequence[float] | dict | None = None,
        name: str = "invariant_classifier",
        **kwargs,
    ):
        weights = {"invariance_weight": invariance_weight, "consistency_weight": consistency_weight,
                   "contrastive_weight": contrastive_weight}
        bad = {k: v for k, v in weights.items() if not float(v) >= 0}
        if bad:
            raise ValueError(f"InvariantClassifier: loss weights must be >= 0, got {bad}")
        if not float(temperature) > 0:
            raise ValueError(f"InvariantClassifier: temperature must be > 0, got {temperature}")
        super().__init__(
            encoder=encoder, n_classes=n_classes, class_weight=class_weight, name=name, **kwargs
        )
        # === Attributes (after Model.__init__: torch needs it) ===
        self.invariance_weight = float(invariance_weight)
        self.consistency_weight = float(consistency_weight)
        self.contrastive_weight = float(contrastive_weight)
        self.temperature = float(temperature)
        self._build_trackers()

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(invariance_weight=self.invariance_weight, consistency_weight=self.consistency_weight,
                      contrastive_weight=self.contrastive_weight, temperature=self.temperature)
        return config

    def _tracker_names(self) -> tuple[str, ...]:
        names = ("loss", "class_loss", "view_loss", "consistency_loss", "accuracy")
        return names + (("scl_loss",) if self.contrastive_weight > 0 else ())

    def _main_objective(self, z, y, sample_weight, training: bool):
        labels, class_loss, accuracy = self._classification_terms(z, y, sample_weight, training)
        objects = self._target(y, "object")
        view = supervised_contrastive_loss(objects, z, temperature=self.temperature)
        consistency = view_consistency_loss(objects, z)
        loss = class_loss + self.invariance_weight * view + self.consistency_weight * consistency
        stats = {"class_loss": class_loss, "view_loss": view, "consistency_loss": consistency,
                 "accuracy": accuracy}
        if self.contrastive_weight > 0:
            scl = supervised_contrastive_loss(labels, z, temperature=self.temperature)
            loss = loss + self.contrastive_weight * scl
            stats["scl_loss"] = scl
        stats["loss"] = loss
        return loss, stats
