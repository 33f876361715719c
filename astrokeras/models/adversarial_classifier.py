"""Classifier + survey discriminator (Gupta et al. 2025, Sec. 3.2, Algorithm 1).

A two-layer MLP discriminator ``D`` predicts the survey ``O`` from the latent ``z = C_L(x)``.
Each training step (``mode="alternating"``, the paper's Algorithm 1):

1. discriminator step, classifier frozen: minimise ``H(D(z), O)`` w.r.t. ``D`` only
   (``z`` is a stopped-gradient input);
2. classifier step, ``D`` frozen (already updated in step 1): minimise
   ``H(C(x), c) - lambda * H(D(C_L(x)), O)`` w.r.t. the encoder and the class head only.

``mode="gradient_reversal"`` is an extra option (Ganin & Lempitsky 2015): one step minimising
``H(C(x), c) + H(D(R(z)), O)`` over all weights, where ``R`` is the identity with gradient
``-lambda`` (:class:`astrokeras.layers.GradientReversal`); it has the same fixed points.

``encoder_objective="confusion"`` (an option, alternating mode only) replaces the encoder's
``-lambda * H(D(z), O)`` by ``+lambda * H(U, D(z))``, the cross entropy between the
discriminator's prediction and the uniform distribution over surveys (domain confusion,
Tzeng et al. 2015): the encoder is pushed to make ``D`` *undecided* rather than confidently
wrong, which a flipped-but-still-informative latent also achieves under Algorithm 1.

``contrastive_weight > 0`` adds the supervised contrastive loss to the classifier step
(the paper's "contrastive + adversarial" variant).

Note: ``-lambda * H(D, O)`` is unbounded below (the encoder can make ``D`` confidently wrong); the
alternating discriminator step counters it, as in the paper. Watch ``class_loss`` and
``survey_accuracy`` (about the majority-survey fraction when the latent is survey-agnostic).
"""

from __future__ import annotations

from typing import Sequence

import keras

from astrokeras._backend import TrainStepMixin
from astrokeras.layers.gradient_reversal import GradientReversal
from astrokeras.losses import supervised_contrastive_loss, weighted_sparse_categorical_crossentropy
from astrokeras.models.classifier import Classifier, _accuracy

__all__ = ["AdversarialClassifier"]

_MODES = ("alternating", "gradient_reversal")
_ENCODER_OBJECTIVES = ("maximize_disc_loss", "confusion")


@keras.saving.register_keras_serializable(package="astrokeras")
class AdversarialClassifier(TrainStepMixin, Classifier):
    """Classifier made survey-agnostic by a survey discriminator on the latent (Algorithm 1).

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z``.
        n_classes: number of classes (paper: 8).
        n_domains: number of surveys the discriminator predicts (paper: 2, ZTF and LSST).
        adversarial_weight: ``lambda`` in ``H(C(x), c) - lambda * H(D(z), O)`` (paper: 1).
        discriminator_units: width of the discriminator's hidden layer (two-layer MLP:
            ``Dense(discriminator_units, relu) -> Dense(n_domains)``).
        mode: ``"alternating"`` (Algorithm 1) or ``"gradient_reversal"``.
        encoder_objective: the encoder's adversarial term in alternating mode:
            ``"maximize_disc_loss"`` (the paper, ``-lambda H(D(z), O)``) or ``"confusion"``
            (``+lambda H(uniform, D(z))``).
        contrastive_weight: weight of the supervised contrastive loss (0: off).
        temperature: temperature of the contrastive loss (paper: 0.5).
        class_weight: class weights of the classification cross entropy (see :class:`Classifier`).
        name: model name.
        **kwargs: more :class:`Classifier` arguments (``class_names``, ``tokenizer``, ...).

    Trained by a custom step per backend (:mod:`astrokeras._backend`): compile with an
    optimizer only. Targets must be a dict with ``"class"`` and ``"survey"`` integer labels.
    Logged metrics: ``loss`` (the classifier objective ``H_C - lambda H_D (+ SCL)``),
    ``class_loss``, ``disc_loss`` (``H_D``), ``accuracy``, ``survey_accuracy`` (of ``D``), and
    ``scl_loss`` when the contrastive term is on.

    Example:
        >>> import numpy as np
        >>> from astrokeras.models import GRUEncoder
        >>> model = AdversarialClassifier(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4),
        ...                               n_classes=2, discriminator_units=8)
        >>> model.compile(optimizer="adam")
        >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
        >>> y = {"class": np.array([0, 1, 1, 0]), "survey": np.array([0, 0, 1, 1])}
        >>> sorted(model.fit(x, y, verbose=0).history)
        ['accuracy', 'class_loss', 'disc_loss', 'loss', 'survey_accuracy']
    """

    def __init__(
        self,
        encoder: keras.Model,
        n_classes: int = 8,
        n_domains: int = 2,
        adversarial_weight: float = 1.0,
        discriminator_units: int = 128,
        mode: str = "alternating",
        encoder_objective: str = "maximize_disc_loss",
        contrastive_weight: float = 0.0,
        temperature: float = 0.5,
        class_weight: Sequence[float] | dict | None = None,
        name: str = "adversarial_classifier",
        **kwargs,
    ):
        if mode not in _MODES:
            raise ValueError(f"AdversarialClassifier: mode must be one of {_MODES}, got {mode!r}")
        if encoder_objective not in _ENCODER_OBJECTIVES:
            raise ValueError(
                f"AdversarialClassifier: encoder_objective must be one of {_ENCODER_OBJECTIVES}, "
                f"got {encoder_objective!r}"
            )
        if encoder_objective != "maximize_disc_loss" and mode != "alternating":
            raise ValueError("AdversarialClassifier: encoder_objective='confusion' needs mode='alternating'")
        if int(n_domains) < 2:
            raise ValueError(f"AdversarialClassifier: n_domains must be >= 2, got {n_domains}")
        if adversarial_weight < 0 or contrastive_weight < 0 or temperature <= 0:
            raise ValueError(
                "AdversarialClassifier: need adversarial_weight >= 0, contrastive_weight >= 0 and "
                f"temperature > 0, got {adversarial_weight}, {contrastive_weight}, {temperature}"
            )
        super().__init__(
            encoder=encoder, n_classes=n_classes, class_weight=class_weight, name=name, **kwargs
        )
        # === Attributes and the discriminator (after Model.__init__: torch needs it) ===
        self.n_domains = int(n_domains)
        self.adversarial_weight = float(adversarial_weight)
        self.discriminator_units = int(discriminator_units)
        self.mode = mode
        self.encoder_objective = encoder_objective
        self.contrastive_weight = float(contrastive_weight)
        self.temperature = float(temperature)
        latent_dim = encoder.output.shape[-1]
        self.discriminator = keras.Sequential(
            [
                keras.layers.Dense(self.discriminator_units, activation="relu", name="hidden"),
                keras.layers.Dense(self.n_domains, name="survey_logits"),
            ],
            name="discriminator",
        )
        self.discriminator.build((None, latent_dim))
        self.gradient_reversal = GradientReversal(self.adversarial_weight, name="gradient_reversal")
        self._build_trackers()

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            n_domains=self.n_domains,
            adversarial_weight=self.adversarial_weight,
            discriminator_units=self.discriminator_units,
            mode=self.mode,
            encoder_objective=self.encoder_objective,
            contrastive_weight=self.contrastive_weight,
            temperature=self.temperature,
        )
        return config

    def _tracker_names(self) -> tuple[str, ...]:
        names = ("loss", "class_loss", "disc_loss", "accuracy", "survey_accuracy")
        return names + (("scl_loss",) if self.contrastive_weight > 0 else ())

    def _discriminator_terms(self, z, y, sample_weight):
        survey = self._target(y, "survey")
        logits = self.discriminator(z)
        weights = self._sample_weight_vector(sample_weight)
        return weighted_sparse_categorical_crossentropy(survey, logits, weights), _accuracy(
            survey, logits
        )

    def _objective_variables(self):
        if self.mode != "alternating":
            return [], list(self.trainable_variables)
        aux = list(self.discriminator.trainable_variables)
        aux_ids = {id(v) for v in aux}
        return aux, [v for v in self.trainable_variables if id(v) not in aux_ids]

    def _aux_objective(self, z, y, sample_weight):
        disc_loss, survey_accuracy = self._discriminator_terms(z, y, sample_weight)
        return disc_loss, {"disc_loss": disc_loss, "survey_accuracy": survey_accuracy}

    def _main_objective(self, z, y, sample_weight, training: bool):
        labels, class_loss, accuracy = self._classification_terms(z, y, sample_weight, training)
        stats = {"class_loss": class_loss, "accuracy": accuracy}
        if self.mode == "alternating" and self.encoder_objective == "confusion":
            logits = keras.ops.cast(self.discriminator(z), "float32")
            # H(uniform, softmax(logits)) per object: -mean_k log_softmax_k
            per_object = -keras.ops.mean(keras.ops.log_softmax(logits, axis=-1), axis=-1)
            weights = self._sample_weight_vector(sample_weight)
            if weights is None:
                confusion = keras.ops.mean(per_object)
            else:
                confusion = keras.ops.sum(per_object * weights) / keras.ops.maximum(
                    keras.ops.sum(weights), 1e-12
                )
            loss = class_loss + self.adversarial_weight * confusion
            reported = loss
        elif self.mode == "alternating":
            disc_loss, _ = self._discriminator_terms(z, y, sample_weight)
            loss = class_loss - self.adversarial_weight * disc_loss
            reported = loss
        else:
            disc_loss, survey_accuracy = self._discriminator_terms(
                self.gradient_reversal(z), y, sample_weight
            )
            loss = class_loss + disc_loss  # D minimises H_D; the encoder sees -lambda * grad
            reported = class_loss - self.adversarial_weight * disc_loss
            stats.update(disc_loss=disc_loss, survey_accuracy=survey_accuracy)
        if self.contrastive_weight > 0:
            scl = supervised_contrastive_loss(labels, z, temperature=self.temperature)
            loss = loss + self.contrastive_weight * scl
            reported = reported + self.contrastive_weight * scl
            stats["scl_loss"] = scl
        stats["loss"] = reported
        return loss, stats
