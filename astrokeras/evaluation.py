"""Evaluation protocols and metrics: fixed splits, Limited/Full scenarios, result tables.

Protocols (Gupta et al. 2025, Sec. 2.3):

* **Full**: fine-tune on every training object;
* **Limited**: fine-tune on ``n_labels`` (512) training objects, redrawn for each of several seeds;
* **Zero-shot**: fine-tune on one survey, evaluate on another.

Splits are fixed and documented: :func:`train_test_split_ids` assigns each object to train or test
from a seeded permutation of the *sorted* object ids, stratified by label, so the split depends only
on the set of ids, the labels and the seed, never on the order the data were read in.

Example:
    >>> import numpy as np
    >>> ids = np.array([f"o{i}" for i in range(10)]); labels = np.array([0, 1] * 5)
    >>> train, test = train_test_split_ids(ids, labels, test_fraction=0.2, seed=0)
    >>> len(train), len(test)
    (8, 2)
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "train_test_split_ids",
    "train_dev_test_split_ids",
    "limited_subset",
    "macro_auroc",
    "regression_metrics",
    "interval_coverage",
    "knn_regress",
    "ResultTable",
    "markdown_table",
]


def train_test_split_ids(object_ids: Sequence, labels: Sequence | None = None, test_fraction: float = 0.2,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic, stratified train/test split of object ids.

    Args:
        object_ids: ids (any order; duplicates are an error).
        labels: stratify by these (optional); each class keeps ``round(test_fraction * n_c)`` test
            objects (at least one when the class has two or more objects).
        test_fraction: fraction in the test set.
        seed: permutation seed.

    Returns:
        ``(train_ids, test_ids)``, each sorted.
    """
    ids = np.asarray(object_ids).astype(str)
    if len(np.unique(ids)) != len(ids):
        raise ValueError("object_ids contain duplicates; a split by id needs unique ids")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    groups = (np.zeros(len(ids), dtype=int) if labels is None
              else pd.factorize(np.asarray(labels, dtype=object)[order].astype(str), sort=True)[0])
    rng = np.random.default_rng(seed)
    test_mask = np.zeros(len(ids), dtype=bool)
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        members = members[rng.permutation(len(members))]
        n_test = int(round(test_fraction * len(members)))
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test_mask[members[:n_test]] = True
    return np.sort(ids_sorted[~test_mask]), np.sort(ids_sorted[test_mask])


def train_dev_test_split_ids(object_ids: Sequence, labels: Sequence | None = None, test_fraction: float = 0.2,
                             dev_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic, stratified train / dev / test split of object ids.

    The test part is exactly :func:`train_test_split_ids` with the same arguments (so the test set
    of seed 0 is the one earlier tables used); ``dev_fraction`` of the rest becomes the development
    split, on which every choice (encoder, head size, epochs, anomaly-forest variant, temperature)
    is made. Test is read once per final table.

    Returns:
        ``(train_ids, dev_ids, test_ids)``, each sorted.

    Example:
        >>> ids = np.array([f"o{i:02d}" for i in range(50)]); labels = np.array([0, 1] * 25)
        >>> [len(part) for part in train_dev_test_split_ids(ids, labels, 0.2, 0.25, seed=0)]
        [30, 10, 10]
    """
    ids = np.asarray(object_ids).astype(str)
    rest, test = train_test_split_ids(ids, labels, test_fraction, seed)
    if labels is None:
        rest_labels = None
    else:
        lab = pd.Series(np.asarray(labels, dtype=object), index=ids)
        rest_labels = lab.loc[rest].to_numpy()
    train, dev = train_test_split_ids(rest, rest_labels, dev_fraction, seed=seed + 7919)
    return train, dev, test


def limited_subset(train_ids: Sequence, n_labels: int = 512, seed: int = 0,
                   labels: Sequence | None = None) -> np.ndarray:
    """``n_labels`` ids drawn at random from the training ids (the paper's Limited scenario).

    With ``labels``, every class present is guaranteed at least one object (a classifier head
    cannot learn a class it never sees); the rest is drawn uniformly.
    """
    ids = np.sort(np.asarray(train_ids).astype(str))
    if n_labels >= len(ids):
        return ids
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(ids, size=n_labels, replace=False))
    lab = np.asarray(labels, dtype=object)[np.argsort(np.asarray(train_ids).astype(str), kind="stable")]
    chosen = [rng.choice(np.flatnonzero(lab == c)) for c in pd.unique(lab)]
    rest = np.setdiff1d(np.arange(len(ids)), chosen)
    chosen = np.r_[chosen, rng.choice(rest, size=n_labels - len(chosen), replace=False)]
    return np.sort(ids[chosen.astype(int)])


def macro_auroc(y_true: Sequence, y_score: np.ndarray, classes: Sequence | None = None) -> float:
    """Macro-averaged one-vs-rest AUROC (the paper's classification metric).

    Args:
        y_true: integer class indices (or labels matching ``classes``).
        y_score: ``(n, n_classes)`` probabilities, or ``(n,)`` scores for a binary problem.
    """
    from sklearn.metrics import roc_auc_score

    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or inf")
    if y_score.ndim == 1:
        return float(roc_auc_score(y_true, y_score))
    n_classes = y_score.shape[1]
    present = [c for c in range(n_classes) if 0 < np.sum(y_true == c) < len(y_true)]
    if not present:
        raise ValueError("AUROC needs at least one class with both positives and negatives")
    return float(np.mean([roc_auc_score(y_true == c, y_score[:, c]) for c in present]))


def regression_metrics(y_true: Sequence, y_pred: Sequence) -> dict[str, float]:
    """MSE, RMSE, R^2, bias, normalised median absolute deviation (NMAD of dz/(1+z)) and
    outlier fraction (|dz|/(1+z) > 0.15), the usual photo-z metrics."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape or not np.isfinite(y_pred).all():
        raise ValueError("y_pred must be finite and shaped like y_true")
    err = y_pred - y_true
    mse = float(np.mean(err ** 2))
    var = float(np.var(y_true))
    dz = err / (1.0 + y_true)
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "r2": float(1.0 - mse / var) if var > 0 else float("nan"),
        "bias": float(np.mean(err)),
        "nmad": float(1.4826 * np.median(np.abs(dz - np.median(dz)))),
        "outlier_fraction": float(np.mean(np.abs(dz) > 0.15)),
    }


def interval_coverage(y_true: Sequence, lower: Sequence, upper: Sequence) -> float:
    """Fraction of true values inside ``[lower, upper]`` (calibration of predictive intervals)."""
    y = np.asarray(y_true, dtype=float)
    return float(np.mean((y >= np.asarray(lower)) & (y <= np.asarray(upper))))


def knn_regress(train_latent: np.ndarray, train_target: np.ndarray, query_latent: np.ndarray,
                k: int = 100) -> np.ndarray:
    """Distance-weighted kNN regression in a latent space (the paper's zero-shot kNN, k = 100).

    Weights are 1 / distance (an exact match gets all the weight).
    """
    from sklearn.neighbors import KNeighborsRegressor

    k = min(k, len(train_latent))
    knn = KNeighborsRegressor(n_neighbors=k, weights="distance")
    knn.fit(np.asarray(train_latent), np.asarray(train_target, dtype=float))
    return knn.predict(np.asarray(query_latent))


@dataclasses.dataclass
class ResultTable:
    """Collects per-seed results and renders ``mean ± std`` tables (CSV and Markdown).

    Example:
        >>> t = ResultTable()
        >>> t.add("no pretraining", "AUROC (Lim.)", 0.6, seed=0); t.add("no pretraining", "AUROC (Lim.)", 0.7, seed=1)
        >>> t.summary().loc["no pretraining", "AUROC (Lim.)"]
        '0.650 ± 0.050'
    """

    records: list = dataclasses.field(default_factory=list)

    def add(self, row: str, column: str, value: float, seed: int | None = None, **extra) -> None:
        self.records.append({"row": row, "column": column, "value": float(value), "seed": seed, **extra})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records, columns=["row", "column", "value", "seed"]
                            + sorted({k for r in self.records for k in r} - {"row", "column", "value", "seed"}))

    def summary(self, digits: int = 3, rows: Iterable[str] | None = None,
                columns: Iterable[str] | None = None) -> pd.DataFrame:
        df = self.frame()
        if df.empty:
            return pd.DataFrame()
        g = df.groupby(["row", "column"], sort=False)["value"]
        stats = g.agg(["mean", "std", "count"]).reset_index()

        def fmt(r):
            if r["count"] > 1:
                return f"{r['mean']:.{digits}f} ± {np.nan_to_num(r['std'] * np.sqrt((r['count'] - 1) / r['count'])):.{digits}f}"
            return f"{r['mean']:.{digits}f}"

        stats["text"] = stats.apply(fmt, axis=1)
        table = stats.pivot(index="row", columns="column", values="text")
        row_order = list(rows) if rows is not None else list(pd.unique(df["row"]))
        col_order = list(columns) if columns is not None else list(pd.unique(df["column"]))
        return table.reindex(index=[r for r in row_order if r in table.index],
                             columns=[c for c in col_order if c in table.columns]).fillna("—")

    def write(self, workdir: str, name: str, **summary_kwargs) -> pd.DataFrame:
        """Write ``name.csv`` (every value) and ``name.md`` (the mean ± std table); return the summary."""
        os.makedirs(workdir, exist_ok=True)
        self.frame().to_csv(os.path.join(workdir, f"{name}.csv"), index=False)
        summary = self.summary(**summary_kwargs)
        with open(os.path.join(workdir, f"{name}.md"), "w") as fh:
            fh.write(markdown_table(summary))
        return summary


def markdown_table(df: pd.DataFrame, float_format: str = "{:.4g}") -> str:
    """A DataFrame as a GitHub Markdown table (index as the first column)."""
    if df.empty:
        return "(no results)\n"
    cols = [df.index.name or ""] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, *row in df.itertuples(name=None):  # keeps each column's type (ints stay ints)
        cells = [float_format.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in row]
        lines.append("| " + " | ".join([str(idx)] + cells) + " |")
    return "\n".join(lines) + "\n"
