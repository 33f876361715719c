"""Learners for evaluation protocols: one interface for frozen latents, end-to-end GRUs and features.

Every row of a results table is a *learner* that turns training objects into predictions for
other objects; the protocol (:mod:`astrokeras.evaluation`, the table recipes) is then the same for
all rows, which is what makes their comparison fair:

* every learner early-stops (or picks its number of iterations) on the same **development**
  objects, with the same training labels and seeds;
* :class:`LatentLearner` - MLP heads on a frozen encoder's latents (head size chosen on dev);
* :class:`SequenceLearner` - a ``GRUEncoder`` + head trained end to end on the light curves: a
  fresh encoder (the no-pretraining baseline) or a copy of a pretrained one with its GRU unfrozen
  (cross-domain fine-tuning); trained to convergence (dev early stopping, generous epoch cap);
* :class:`FeatureLearner` - gradient boosting on light-curve features (optionally with a latent
  appended), the number of boosting iterations chosen on dev.

``fit_classifier(train, dev, labels, seed)`` returns a :class:`Fitted` with ``predict(positions)``
(class probabilities) and ``represent(positions)`` (the vector an anomaly detector reads);
``fit_regressor`` returns one whose ``predict`` gives values. Positions index the learner's data set.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(300, 8)).astype("float32"); y = (z[:, 0] > 0).astype(int)
    >>> fitted = LatentLearner(z, hidden_grid=((8,),), epochs=50).fit_classifier(
    ...     np.arange(200), np.arange(200, 250), y, n_classes=2, seed=0)
    >>> bool((fitted.predict(np.arange(250, 300)).argmax(1) == y[250:]).mean() > 0.8)
    True
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

__all__ = ["Fitted", "LatentLearner", "SequenceLearner", "FeatureLearner"]


@dataclasses.dataclass
class Fitted:
    """A trained learner: ``predict(positions)`` and ``represent(positions)``; ``info`` records
    the choices made on dev (head size, epochs, iterations)."""
    predict: Callable[[np.ndarray], np.ndarray]
    represent: Callable[[np.ndarray], np.ndarray]
    info: dict


def _macro_auroc(y, p):
    from astrokeras.evaluation import macro_auroc

    return macro_auroc(y, p)


class LatentLearner:
    """MLP heads (:func:`astrokeras.downstream.fit_head`) on fixed latents ``(n, D)``.

    Args:
        latent: the embeddings of every object of the data set.
        hidden_grid: head hidden sizes tried; the best on dev (AUROC / MSE) is kept.
        epochs, patience: head training cap and dev early-stopping patience.
    """

    def __init__(self, latent: np.ndarray, hidden_grid: Sequence[Sequence[int]] = ((64,),), epochs: int = 300,
                 patience: int = 20):
        self.latent = np.asarray(latent, dtype=np.float32)
        self.hidden_grid = tuple(tuple(h) for h in hidden_grid)
        self.epochs, self.patience = int(epochs), int(patience)

    def _fit(self, train, dev, target, task, n_classes, seed):
        from astrokeras.downstream import fit_head, head_forward

        z = self.latent
        best = None
        for hidden in self.hidden_grid:
            head = fit_head(z[train], target[train], task, n_classes=n_classes, hidden_units=hidden, seed=seed,
                            epochs=self.epochs, patience=self.patience, validation=(z[dev], target[dev]))
            pred = head_forward(head, z[dev])
            score = (_macro_auroc(target[dev], pred) if task == "classification"
                     else -float(np.mean((pred[:, 0] - target[dev]) ** 2)))
            if best is None or score > best[0]:
                best = (score, head, hidden)
        _, head, hidden = best
        out = (lambda pos: head_forward(head, z[pos])) if task == "classification" else \
            (lambda pos: head_forward(head, z[pos])[:, 0])
        return Fitted(out, lambda pos: head_forward(head, z[pos], penultimate=True),
                      {"hidden_units": list(hidden), "epochs": int(head.n_epochs_)})

    def fit_classifier(self, train, dev, labels, n_classes, seed) -> Fitted:
        return self._fit(train, dev, np.asarray(labels).astype(int), "classification", n_classes, seed)

    def fit_regressor(self, train, dev, target, seed) -> Fitted:
        return self._fit(train, dev, np.asarray(target, dtype=np.float32), "regression", None, seed)


class SequenceLearner:
    """An encoder + MLP head trained end to end on light curves, early-stopped on dev.

    Args:
        lcs: the data set's :class:`~astrokeras.photometry.LightCurves`.
        make_encoder: returns a fresh encoder (``GRUEncoder(...)``) or a copy of a pretrained one.
        tokenizer: the encoder's tokenizer.
        trainable: ``"all"`` (from scratch) or ``"gru"`` (the paper's cross-domain fine-tuning).
        hidden_units: head size (paper: ``(64,)``).
        epochs, patience: epoch cap and dev early-stopping patience.
    """

    def __init__(self, lcs, make_encoder: Callable, tokenizer=None, trainable: str = "all",
                 hidden_units: Sequence[int] = (64,), epochs: int = 200, patience: int = 10,
                 batch_size: int = 128, jit_compile: bool = True):
        self.lcs, self.make_encoder, self.tokenizer = lcs, make_encoder, tokenizer
        self.trainable, self.hidden_units = trainable, tuple(hidden_units)
        self.epochs, self.patience, self.batch_size, self.jit_compile = int(epochs), int(patience), int(batch_size), jit_compile

    def _part(self, pos):
        return self.lcs.subset(self.lcs.object_ids[np.asarray(pos)])

    def _train(self, model_fn, train, dev, key, target, seed, weights=None):
        import astrokeras as ak
        from astrokeras import downstream as ds

        ak.training.set_global_seed(seed)  # before the model (and its initial weights) exists
        encoder = ds.set_encoder_trainable(self.make_encoder(), self.trainable)
        model = model_fn(encoder)
        history = ds.finetune_sequence_model(
            model, self._part(train), {key: target[train]}, tokenizer=self.tokenizer, epochs=self.epochs,
            patience=self.patience, batch_size=self.batch_size, seed=seed, jit_compile=self.jit_compile,
            sample_weight=weights, validation=(self._part(dev), {key: target[dev]}))
        return model, len(history.history["loss"])

    def _penultimate(self, model):
        import keras

        name = f"head_dense_{len(self.hidden_units) - 1}"
        return keras.Model(model.input, model.get_layer(name).output)

    def fit_classifier(self, train, dev, labels, n_classes, seed) -> Fitted:
        import astrokeras as ak
        from astrokeras.downstream import predict_in_order

        labels = np.asarray(labels).astype(int)
        cw = ak.class_weights(labels[train], n_classes).tolist()
        model, n_epochs = self._train(lambda enc: ak.Classifier(enc, n_classes=n_classes, hidden_units=self.hidden_units,
                                                                class_weight=cw),
                                      train, dev, "class", labels, seed)
        pen = self._penultimate(model)
        return Fitted(lambda pos: predict_in_order(model, self._part(pos), self.tokenizer),
                      lambda pos: predict_in_order(pen, self._part(pos), self.tokenizer),
                      {"hidden_units": list(self.hidden_units), "epochs": n_epochs})

    def fit_regressor(self, train, dev, target, seed) -> Fitted:
        import astrokeras as ak
        from astrokeras.downstream import predict_in_order

        target = np.asarray(target, dtype=np.float32)
        model, n_epochs = self._train(lambda enc: ak.Regressor(enc, hidden_units=self.hidden_units),
                                      train, dev, "redshift", target, seed)
        pen = self._penultimate(model)
        return Fitted(lambda pos: predict_in_order(model, self._part(pos), self.tokenizer)[:, 0],
                      lambda pos: predict_in_order(pen, self._part(pos), self.tokenizer),
                      {"hidden_units": list(self.hidden_units), "epochs": n_epochs})


def _stage(staged, x, best: int):
    """The prediction of boosting stage ``best`` (0-based) from a scikit-learn ``staged_*`` method."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        for i, p in enumerate(staged(x)):
            if i == best:
                return p
    return p


class FeatureLearner:
    """scikit-learn ``HistGradientBoosting`` on a feature matrix (NaN allowed), with the number of
    boosting iterations chosen on dev (staged predictions, up to ``max_iter``); the anomaly
    representation is the median-imputed feature vector."""

    def __init__(self, features: np.ndarray, max_iter: int = 200, learning_rate: float = 0.1):
        self.features = np.asarray(features, dtype=float)
        self.max_iter, self.learning_rate = int(max_iter), float(learning_rate)
        self._memo: dict = {}

    def _key(self, kind, train, dev, target):
        # gradient boosting without subsampling is deterministic: the seed does not change the
        # model, so identical (train, dev, targets) reuse one fit (Full scenario, several seeds)
        import hashlib

        h = hashlib.sha256()
        for a in (np.asarray(train), np.asarray(dev), np.asarray(target)):
            h.update(np.ascontiguousarray(a).tobytes())
        return kind, h.hexdigest()

    def _imputer(self, train):
        f = self.features[train]
        med = np.nanmedian(np.where(np.isfinite(f), f, np.nan), axis=0)
        med = np.where(np.isfinite(med), med, 0.0)
        return lambda pos: np.where(np.isfinite(self.features[pos]), self.features[pos], med)

    def fit_classifier(self, train, dev, labels, n_classes, seed) -> Fitted:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import log_loss
        from threadpoolctl import threadpool_limits

        labels = np.asarray(labels).astype(int)
        key = self._key(("class", n_classes), train, dev, labels)
        if key in self._memo:
            return self._memo[key]
        f = self.features
        with threadpool_limits(1):
            clf = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                                 early_stopping=False, class_weight="balanced",
                                                 random_state=seed).fit(f[train], labels[train])
            losses = [log_loss(labels[dev], p, labels=clf.classes_) for p in clf.staged_predict_proba(f[dev])]
        best = int(np.argmin(losses))

        def predict(pos):
            p = _stage(clf.staged_predict_proba, f[pos], best)
            out = np.zeros((len(pos), n_classes), np.float32)
            out[:, clf.classes_.astype(int)] = p
            return out

        self._memo[key] = Fitted(predict, self._imputer(train), {"iterations": best + 1})
        return self._memo[key]

    def fit_regressor(self, train, dev, target, seed) -> Fitted:
        from sklearn.ensemble import HistGradientBoostingRegressor
        from threadpoolctl import threadpool_limits

        target = np.asarray(target, dtype=float)
        key = self._key("regression", train, dev, target)
        if key in self._memo:
            return self._memo[key]
        f = self.features
        with threadpool_limits(1):
            reg = HistGradientBoostingRegressor(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                                early_stopping=False, random_state=seed).fit(f[train], target[train])
            losses = [np.mean((p - target[dev]) ** 2) for p in reg.staged_predict(f[dev])]
        best = int(np.argmin(losses))

        def predict(pos):
            return _stage(reg.staged_predict, f[pos], best).astype(np.float32)

        self._memo[key] = Fitted(predict, self._imputer(train), {"iterations": best + 1})
        return self._memo[key]
