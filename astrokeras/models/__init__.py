"""Keras 3 models: the GRU encoder and the pretraining task models (all registered serializable).

Example:
    >>> from astrokeras.models import GRUEncoder, Classifier
    >>> model = Classifier(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4), n_classes=3)
    >>> model.output_shape
    (None, 3)
"""

from astrokeras.models.adversarial_classifier import AdversarialClassifier
from astrokeras.models.classifier import Classifier
from astrokeras.models.contrastive_classifier import ContrastiveClassifier
from astrokeras.models.gru_encoder import GRUEncoder
from astrokeras.models.heads import Regressor
from astrokeras.models.invariant_classifier import InvariantClassifier
from astrokeras.models.probabilistic_regressor import ProbabilisticRegressor
from astrokeras.models.task import Task

__all__ = [
    "AdversarialClassifier",
    "Classifier",
    "ContrastiveClassifier",
    "GRUEncoder",
    "InvariantClassifier",
    "ProbabilisticRegressor",
    "Regressor",
    "Task",
]
