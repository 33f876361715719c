"""Anomaly detection on latent representations with isolation forests.

Gupta et al. (2025, Sec. 3.5 and B.4.2) fit one isolation forest (Liu et al. 2008) on the latent
space of a classifier fine-tuned on normal classes only. Gupta, Muthukrishna & Lochner (2025, RASTI
4, rzae054) found one forest *per known class*, with the anomaly score the minimum over classes, to
be stronger: an object is normal if it looks normal for at least one class. Both are here.

Scores follow the convention "higher = more anomalous", so ``roc_auc_score(is_anomaly, score)``
is the detection AUROC.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> normal = rng.normal(size=(300, 4)); odd = rng.normal(loc=6.0, size=(10, 4))
    >>> det = LatentAnomalyDetector(seed=0).fit(normal)
    >>> bool(det.score(odd).mean() > det.score(normal).mean())
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["LatentAnomalyDetector"]


class LatentAnomalyDetector:
    """Isolation forest(s) on latent vectors.

    Args:
        per_class: one forest per known class (score = min over classes) instead of one global forest.
        n_estimators: trees per forest.
        seed: random state of every forest.
        min_class_size: classes with fewer training objects are merged into the global forest
            (a forest on a handful of points is noise).
    """

    def __init__(self, per_class: bool = False, n_estimators: int = 200, seed: int = 0,
                 min_class_size: int = 10):
        self.per_class = per_class
        self.n_estimators = n_estimators
        self.seed = seed
        self.min_class_size = min_class_size
        self.forests_: list = []

    def _forest(self):
        from sklearn.ensemble import IsolationForest

        return IsolationForest(n_estimators=self.n_estimators, random_state=self.seed)

    def fit(self, latent: np.ndarray, labels: np.ndarray | None = None) -> "LatentAnomalyDetector":
        """Fit on normal objects only. ``labels`` are needed for ``per_class=True``."""
        latent = np.asarray(latent, dtype=float)
        if latent.ndim != 2 or len(latent) < 2 or not np.isfinite(latent).all():
            raise ValueError("latent must be a finite (n >= 2, d) array")
        self.forests_ = []
        if not self.per_class:
            self.forests_.append(self._forest().fit(latent))
            return self
        if labels is None:
            raise ValueError("per_class=True needs the class labels of the training objects")
        labels = np.asarray(labels)
        small = np.zeros(len(latent), dtype=bool)
        for c in np.unique(labels):
            members = labels == c
            if members.sum() >= self.min_class_size:
                self.forests_.append(self._forest().fit(latent[members]))
            else:
                small |= members
        if small.any() or not self.forests_:
            self.forests_.append(self._forest().fit(latent[small] if small.sum() >= 2 else latent))
        return self

    def score(self, latent: np.ndarray) -> np.ndarray:
        """Anomaly score per object (higher = more anomalous)."""
        if not self.forests_:
            raise RuntimeError("call fit() first")
        latent = np.asarray(latent, dtype=float)
        scores = np.stack([-f.score_samples(latent) for f in self.forests_], axis=1)
        return scores.min(axis=1)
