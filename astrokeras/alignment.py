"""How survey-agnostic is a latent space? Three measurements (numpy / scikit-learn only).

The paper shows UMAP plots (Figs. 4, 5) and leaves a quantitative test to future work. Given
latents ``z`` of objects from several surveys (e.g. ZTF and LSST) with their class labels:

1. :func:`survey_probe_auroc`: cross-validated AUROC of a linear probe (standardised logistic
   regression) predicting the survey from ``z``. 0.5 means the survey cannot be read linearly
   from the latent; 1.0 means it is linearly separable. With ``labels`` the samples are weighted
   so that every class has the same survey balance, so the probe cannot profit from the surveys'
   different class mixtures (ZTF has relatively more SN II) - only from how a class is embedded.
   With ``redshift`` as well, the balance is enforced within (class, redshift bin) cells and
   cells seen by one survey only are left out: the *redshift-matched* probe. Two surveys see
   different populations (simulated LSST objects are mostly at z > 0.3, ZTF's at z < 0.2), so a
   latent that faithfully encodes brightness and time dilation reveals the survey through the
   population alone; the matched probe asks whether the *same kind of object at the same
   redshift* is embedded differently by survey, which is what alignment should remove.
2. :func:`knn_survey_mixing`: per class, the fraction of each object's ``k`` nearest same-class
   neighbours that come from another survey, divided by the fraction expected if the surveys
   were perfectly mixed within the class: 1 = mixed, 0 = separated.
3. :func:`per_class_mmd`: per class, the unbiased squared maximum mean discrepancy between the
   surveys' latents with a Gaussian (RBF) kernel whose bandwidth is the median pairwise distance
   (median heuristic); about 0 when the distributions agree.

:func:`alignment_report` runs all three and returns a table.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(400, 8))
    >>> survey = np.repeat([0, 1], 200)
    >>> labels = np.tile([0, 1], 200)
    >>> report = alignment_report(z, survey, labels)
    >>> 0.4 < report.probe_auroc < 0.6, list(report.per_class.columns)
    (True, ['class', 'n_0', 'n_1', 'knn_mixing', 'mmd2'])
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "AlignmentReport",
    "alignment_report",
    "knn_survey_mixing",
    "median_heuristic_bandwidth",
    "mmd2_rbf",
    "per_class_mmd",
    "survey_probe_auroc",
]


def _check(latent, survey, labels=None):
    latent = np.asarray(latent, dtype=np.float64)
    if latent.ndim != 2:
        raise ValueError(f"alignment: latent must be 2-D (n_objects, n_dims), got {latent.shape}")
    if not np.all(np.isfinite(latent)):
        raise ValueError(
            f"alignment: latent has {int((~np.isfinite(latent)).any(axis=1).sum())} rows with "
            "non-finite values"
        )
    survey = np.asarray(survey).reshape(-1)
    if survey.shape[0] != latent.shape[0]:
        raise ValueError(
            f"alignment: {latent.shape[0]} latents but {survey.shape[0]} survey labels"
        )
    if np.unique(survey).size < 2:
        raise ValueError("alignment: need objects from at least two surveys")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if labels.shape[0] != latent.shape[0]:
            raise ValueError(f"alignment: {latent.shape[0]} latents but {labels.shape[0]} labels")
    return latent, survey, labels


#: Redshift bin edges of the matched probe (width 0.05 to z = 0.5, then coarser).
MATCH_REDSHIFT_BINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.7, 1.0, 1.5, 3.0, np.inf)


def _strata(labels, redshift, bins) -> np.ndarray | None:
    """Balancing cells: class labels, optionally crossed with redshift bins."""
    if redshift is None:
        return labels
    redshift = np.asarray(redshift, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(redshift)):
        raise ValueError(f"alignment: redshift has {int((~np.isfinite(redshift)).sum())} non-finite values")
    zbin = np.digitize(redshift, np.asarray(bins, dtype=np.float64)).astype(str)
    if labels is None:
        return zbin
    return np.char.add(np.char.add(labels.astype(str), "|z"), zbin)


def _class_balance_weights(survey, labels):
    """Weights giving each (class, survey) cell the weight of its class / number of surveys.

    Classes seen in only one survey get weight 0 (they would reveal the survey by themselves).
    """
    weights = np.zeros(survey.shape[0], dtype=np.float64)
    surveys = np.unique(survey)
    for c in np.unique(labels):
        in_class = labels == c
        counts = {s: int(np.sum(in_class & (survey == s))) for s in surveys}
        if min(counts.values()) == 0:
            continue
        for s, n in counts.items():
            weights[in_class & (survey == s)] = in_class.sum() / (len(surveys) * n)
    return weights


def survey_probe_auroc(
    latent,
    survey,
    labels=None,
    n_splits: int = 5,
    seed: int = 0,
    C: float = 1.0,
    redshift=None,
    redshift_bins=MATCH_REDSHIFT_BINS,
) -> float:
    """Cross-validated AUROC of a linear probe predicting the survey from the latent.

    Args:
        latent: ``(N, D)`` latents.
        survey: ``(N,)`` survey labels (two or more values; more than two: one-vs-rest macro AUROC).
        labels: optional ``(N,)`` class labels; when given, samples are weighted so that every
            class has equal survey weights (classes present in one survey only are left out).
        n_splits: stratified folds; every object is scored by a probe that did not see it.
        seed: fold shuffling seed.
        C: inverse L2 regularisation of the logistic regression.
        redshift: optional ``(N,)`` redshifts; when given, the balance is enforced within
            (class, redshift bin) cells (the redshift-matched probe; cells with one survey only
            are left out).
        redshift_bins: bin edges for ``redshift``.

    Returns:
        AUROC in [0, 1]; 0.5 = survey not linearly decodable.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> z = rng.normal(size=(300, 4)); survey = np.repeat([0, 1], 150); z[survey == 1, 0] += 3
        >>> survey_probe_auroc(z, survey) > 0.95
        True
    """
    latent, survey, labels = _check(latent, survey, labels)
    if redshift is not None and np.asarray(redshift).reshape(-1).shape[0] != latent.shape[0]:
        raise ValueError(f"alignment: {latent.shape[0]} latents but {np.asarray(redshift).size} redshifts")
    strata = _strata(labels, redshift, redshift_bins)
    weights = np.ones(len(survey)) if strata is None else _class_balance_weights(survey, strata)
    keep = weights > 0
    latent, survey, weights = latent[keep], survey[keep], weights[keep]
    surveys, codes = np.unique(survey, return_inverse=True)
    if surveys.size < 2:
        raise ValueError("survey_probe_auroc: no class (or class and redshift bin) is present in two surveys")
    smallest = np.bincount(codes).min()
    n_splits = int(min(n_splits, smallest))
    if n_splits < 2:
        raise ValueError(f"survey_probe_auroc: a survey has only {smallest} object(s)")
    scores = np.zeros((len(codes), surveys.size))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train, test in folds.split(latent, codes):
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
        probe.fit(latent[train], codes[train], logisticregression__sample_weight=weights[train])
        scores[test] = probe.predict_proba(latent[test])
    if surveys.size == 2:
        return float(roc_auc_score(codes, scores[:, 1], sample_weight=weights))
    return float(roc_auc_score(codes, scores, sample_weight=weights, multi_class="ovr",
                               average="macro"))


def knn_survey_mixing(latent, survey, labels, k: int = 10) -> dict:
    """Per-class kNN survey mixing: observed / expected other-survey neighbour fraction.

    For each object, its ``k`` nearest neighbours (Euclidean, itself excluded) among objects of
    the same class; the observed fraction from another survey is divided by the fraction
    expected under perfect mixing, ``(n_c - n_{c,s}) / (n_c - 1)``.

    Args:
        latent: ``(N, D)`` latents.
        survey: ``(N,)`` survey labels.
        labels: ``(N,)`` class labels.
        k: neighbours per object (reduced to ``n_c - 1`` for small classes).

    Returns:
        ``{class: score}``; about 1 when mixed, 0 when the surveys are separated; NaN for a
        class present in one survey only.

    Example:
        >>> import numpy as np
        >>> z = np.r_[np.zeros((20, 2)), np.ones((20, 2)) * 10]
        >>> z = z + np.random.default_rng(0).normal(size=z.shape)
        >>> knn_survey_mixing(z, np.repeat([0, 1], 20), np.zeros(40, int))
        {0: 0.0}
    """
    latent, survey, labels = _check(latent, survey, labels)
    if labels is None:
        raise ValueError("knn_survey_mixing: labels are required")
    scores = {}
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        s = survey[idx]
        n = idx.size
        counts = {v: int(np.sum(s == v)) for v in np.unique(s)}
        if len(counts) < 2 or n < 2:
            scores[c.item() if hasattr(c, "item") else c] = float("nan")
            continue
        kk = int(min(k, n - 1))
        nn = NearestNeighbors(n_neighbors=kk + 1).fit(latent[idx])
        _, neighbours = nn.kneighbors(latent[idx])
        # Drop each point itself (not always column 0 when there are duplicates).
        others = np.array([row[row != i][:kk] for i, row in enumerate(neighbours)])
        observed = np.mean(s[others] != s[:, None], axis=1)
        expected = np.array([(n - counts[v]) / (n - 1) for v in s])
        scores[c.item() if hasattr(c, "item") else c] = float(observed.mean() / expected.mean())
    return scores


def median_heuristic_bandwidth(x) -> float:
    """Median of the pairwise Euclidean distances of ``x`` (a positive RBF bandwidth)."""
    x = np.asarray(x, dtype=np.float64)
    sq = np.sum(x**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    iu = np.triu_indices(len(x), k=1)
    median = float(np.median(np.sqrt(d2[iu]))) if iu[0].size else 0.0
    return median if median > 0 else 1.0


def mmd2_rbf(x, y, bandwidth: float | None = None) -> float:
    """Unbiased squared MMD between samples ``x`` and ``y`` with ``k = exp(-d^2 / (2 s^2))``.

    Args:
        x: ``(n, D)`` sample (n >= 2).
        y: ``(m, D)`` sample (m >= 2).
        bandwidth: kernel width ``s``; ``None``: the median pairwise distance of the pooled sample.

    Returns:
        The unbiased estimate (can be slightly negative when the distributions agree).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
        >>> abs(mmd2_rbf(a, b)) < 0.01, mmd2_rbf(a, b + 2.0) > 0.3
        (True, True)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        raise ValueError(f"mmd2_rbf: need at least 2 samples on each side, got {n} and {m}")
    pooled = np.concatenate([x, y])
    s = median_heuristic_bandwidth(pooled) if bandwidth is None else float(bandwidth)
    sq = np.sum(pooled**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * pooled @ pooled.T, 0.0)
    kernel = np.exp(-d2 / (2 * s * s))
    kxx, kyy, kxy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def per_class_mmd(latent, survey, labels, max_per_survey: int = 1000, seed: int = 0) -> dict:
    """Per-class unbiased MMD^2 (RBF, median heuristic) between the first two surveys' latents.

    Args:
        latent: ``(N, D)`` latents.
        survey: ``(N,)`` survey labels; the two most frequent surveys are compared.
        labels: ``(N,)`` class labels.
        max_per_survey: random subsample per (class, survey) cell (the cost is quadratic).
        seed: subsampling seed.

    Returns:
        ``{class: mmd2}``; NaN when a class has fewer than 2 objects in either survey.
    """
    latent, survey, labels = _check(latent, survey, labels)
    if labels is None:
        raise ValueError("per_class_mmd: labels are required")
    values, counts = np.unique(survey, return_counts=True)
    first, second = values[np.argsort(-counts, kind="stable")[:2]]
    rng = np.random.default_rng(seed)
    result = {}
    for c in np.unique(labels):
        cells = []
        for s in (first, second):
            idx = np.flatnonzero((labels == c) & (survey == s))
            if idx.size > max_per_survey:
                idx = rng.choice(idx, max_per_survey, replace=False)
            cells.append(latent[idx])
        key = c.item() if hasattr(c, "item") else c
        result[key] = (
            float("nan") if min(len(cells[0]), len(cells[1])) < 2 else mmd2_rbf(*cells)
        )
    return result


@dataclasses.dataclass
class AlignmentReport:
    """Result of :func:`alignment_report`.

    Attributes:
        probe_auroc: class-balanced survey-probe AUROC (0.5 = survey-agnostic).
        probe_auroc_matched: the same probe balanced within (class, redshift bin) cells (None
            without redshifts).
        per_class: table with columns ``class``, ``n_<survey>`` (one per survey), ``knn_mixing``,
            ``mmd2``.
    """

    probe_auroc: float
    per_class: pd.DataFrame
    probe_auroc_matched: float | None = None

    def summary(self) -> dict:
        """One row for a results table: probe AUROC and the class means of mixing and MMD^2."""
        out = {"probe_auroc": self.probe_auroc}
        if self.probe_auroc_matched is not None:
            out["probe_auroc_matched"] = self.probe_auroc_matched
        out.update(knn_mixing=float(np.nanmean(self.per_class["knn_mixing"])),
                   mmd2=float(np.nanmean(self.per_class["mmd2"])))
        return out


def alignment_report(
    latent, survey, labels, k: int = 10, n_splits: int = 5, max_per_survey: int = 1000,
    seed: int = 0, redshift=None,
) -> AlignmentReport:
    """All three alignment measurements (see the module docstring).

    Args:
        latent: ``(N, D)`` latents.
        survey: ``(N,)`` survey labels.
        labels: ``(N,)`` class labels.
        k: neighbours for :func:`knn_survey_mixing`.
        n_splits: folds for :func:`survey_probe_auroc`.
        max_per_survey: subsample per cell for :func:`per_class_mmd`.
        seed: seed of the folds and subsamples.
        redshift: optional ``(N,)`` redshifts: adds the redshift-matched probe AUROC.

    Returns:
        :class:`AlignmentReport`.
    """
    latent, survey, labels = _check(latent, survey, labels)
    if labels is None:
        raise ValueError("alignment_report: labels are required")
    auroc = survey_probe_auroc(latent, survey, labels, n_splits=n_splits, seed=seed)
    matched = None
    if redshift is not None:
        matched = survey_probe_auroc(latent, survey, labels, n_splits=n_splits, seed=seed, redshift=redshift)
    mixing = knn_survey_mixing(latent, survey, labels, k=k)
    mmd = per_class_mmd(latent, survey, labels, max_per_survey=max_per_survey, seed=seed)
    rows = []
    for c in mixing:
        row = {"class": c}
        for s in np.unique(survey):
            row[f"n_{s}"] = int(np.sum((labels == c) & (survey == s)))
        row.update(knn_mixing=mixing[c], mmd2=mmd[c])
        rows.append(row)
    return AlignmentReport(probe_auroc=auroc, per_class=pd.DataFrame(rows), probe_auroc_matched=matched)
