"""astrokeras: simulation-pretrained foundation models for astronomical light curves (Keras 3).

Data flows one way: files or simulations -> :class:`LightCurves` -> tokens -> batches -> encoder
-> heads -> metrics -> tables.

Example:
    >>> import astrokeras as ak
    >>> lcs = ak.LightCurves(["sn1"] * 2, [59000.0, 59003.0], ["ztf::g", "ztf::r"],
    ...                      [1200.0, 1500.0], [30.0, 40.0])
    >>> ak.Tokenizer().tokenize(lcs).values.shape
    (2, 3)
"""

__version__ = "0.1.0"

from astrokeras import bands, datasets, photometry, tokens  # noqa: F401
from astrokeras.bands import get_band, known_bands, register_band, resolve_band
from astrokeras.datasets import get_data_home
from astrokeras.photometry import (
    LightCurveError,
    LightCurves,
    ValidationReport,
    flux_to_mag,
    mag_to_flux,
)
from astrokeras.tokens import TokenizedLightCurves, Tokenizer

# Keras layers, losses and models: imported eagerly so that every serializable class is
# registered (package "astrokeras") and keras.models.load_model finds it after `import astrokeras`.
from astrokeras import layers, losses, models  # noqa: F401,E402
from astrokeras.models import (  # noqa: E402
    AdversarialClassifier,
    Classifier,
    ContrastiveClassifier,
    GRUEncoder,
    InvariantClassifier,
    ProbabilisticRegressor,
    Regressor,
)

__all__ = [
    "AdversarialClassifier",
    "Classifier",
    "ContrastiveClassifier",
    "GRUEncoder",
    "InvariantClassifier",
    "LightCurveError",
    "LightCurves",
    "ProbabilisticRegressor",
    "Regressor",
    "TokenizedLightCurves",
    "Tokenizer",
    "ValidationReport",
    "bands",
    "datasets",
    "flux_to_mag",
    "get_band",
    "get_data_home",
    "known_bands",
    "layers",
    "losses",
    "mag_to_flux",
    "models",
    "photometry",
    "register_band",
    "resolve_band",
    "tokens",
]


# TensorFlow-backed and optional modules load on first use, so `import astrokeras` stays light
# (and imports cleanly under KERAS_BACKEND=jax): astrokeras.make_dataset, astrokeras.pipeline, ...
_LAZY = {
    "anomaly": ("astrokeras.anomaly", None),
    "evaluation": ("astrokeras.evaluation", None),
    "bootstrap": ("astrokeras.bootstrap", None),
    "calibration": ("astrokeras.calibration", None),
    "caching": ("astrokeras.caching", None),
    "results": ("astrokeras.results", None),
    "reports": ("astrokeras.reports", None),
    "tasks": ("astrokeras.tasks", None),
    "predict": ("astrokeras.predict", None),
    "predict_table": ("astrokeras.predict", "predict_table"),
    "protocol": ("astrokeras.protocol", None),
    "learners": ("astrokeras.learners", None),
    "features": ("astrokeras.features", None),
    "presets": ("astrokeras.presets", None),
    "list_encoders": ("astrokeras.presets", "list_encoders"),
    "load_encoder": ("astrokeras.presets", "load_encoder"),
    "training": ("astrokeras.training", None),
    "pretrain": ("astrokeras.training", "pretrain"),
    "finetune": ("astrokeras.training", "finetune"),
    "alignment": ("astrokeras.alignment", None),
    "alignment_report": ("astrokeras.alignment", "alignment_report"),
    "pipeline": ("astrokeras.pipeline", None),
    "make_dataset": ("astrokeras.pipeline", "make_dataset"),
    "dataset_from_light_curves": ("astrokeras.pipeline", "dataset_from_light_curves"),
    "weights": ("astrokeras.weights", None),
    "downstream": ("astrokeras.downstream", None),
    "early": ("astrokeras.early", None),
    "plotting": ("astrokeras.plotting", None),
    "class_weights": ("astrokeras.weights", "class_weights"),
    "simulation": ("astrokeras.simulation", None),
    "simulate": ("astrokeras.simulation", "simulate"),
    "simulate_preset": ("astrokeras.simulation", "simulate_preset"),
    "simulate_views": ("astrokeras.simulation.views", "simulate_views"),
    "paired": ("astrokeras.paired", None),
    "alert_view": ("astrokeras.simulation", "alert_view"),
    "read_simulation": ("astrokeras.simulation.shards", "read_simulation"),
    "streaming": ("astrokeras.streaming", None),
    "StreamingScorer": ("astrokeras.streaming", "StreamingScorer"),
    "export": ("astrokeras.export", None),
    "engines": ("astrokeras.engines", None),
    "distribute": ("astrokeras.distribute", None),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        return module if attr is None else getattr(module, attr)
    raise AttributeError(f"module 'astrokeras' has no attribute {name!r}")
