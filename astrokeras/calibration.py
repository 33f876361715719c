"""Calibration of class probabilities: expected calibration error, reliability diagrams, temperature.

A classifier whose "90%" is right 60% of the time misleads a follow-up decision (which transient
gets a spectrum). This module measures and repairs that:

* :func:`expected_calibration_error` - top-label ECE with equal-width confidence bins (Guo et al.
  2017, arXiv:1706.04599);
* :func:`reliability_curve` - per-bin confidence, accuracy and count (the reliability diagram);
* :func:`fit_temperature` / :func:`apply_temperature` - one scalar ``T`` that divides the logits,
  fitted by minimising the negative log-likelihood on a **development** split (never on test);
  it changes confidence but keeps every object's predicted class (so the accuracy; one-vs-rest
  AUROC can move slightly, because each object's probabilities are renormalised);
* :func:`plot_reliability` - the diagram as a matplotlib figure.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(0, 3, (500, 3)); y = np.argmax(logits + rng.normal(0, 3, (500, 3)), axis=1)
    >>> p = apply_temperature(logits_to_probs(logits), 1.0)
    >>> t = fit_temperature(p, y)
    >>> bool(t > 1.0), bool(expected_calibration_error(apply_temperature(p, t), y) < expected_calibration_error(p, y))
    (True, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["expected_calibration_error", "reliability_curve", "fit_temperature", "apply_temperature",
           "logits_to_probs", "plot_reliability"]

_EPS = 1e-12


def _check(probs, labels):
    probs = np.asarray(probs, dtype=float)
    labels = np.asarray(labels).astype(int)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must be (n, K) matching labels; got {probs.shape} and {labels.shape}")
    if not np.isfinite(probs).all():
        raise ValueError("probs contain NaN or inf")
    if len(labels) and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        raise ValueError(f"labels must be in [0, {probs.shape[1]})")
    return probs, labels


def logits_to_probs(logits: np.ndarray) -> np.ndarray:
    """Softmax along the last axis (numerically stable)."""
    z = np.asarray(logits, dtype=float)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def reliability_curve(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, np.ndarray]:
    """Top-label reliability: for equal-width confidence bins, mean confidence, accuracy and count.

    Returns:
        ``{"bin_lower", "bin_upper", "confidence", "accuracy", "count"}`` arrays of length
        ``n_bins`` (confidence/accuracy are NaN in empty bins).
    """
    probs, labels = _check(probs, labels)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, conf, minlength=n_bins) / count
        accuracy = np.bincount(which, correct, minlength=n_bins) / count
    return {"bin_lower": edges[:-1], "bin_upper": edges[1:], "confidence": confidence, "accuracy": accuracy,
            "count": count}


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Top-label ECE: ``sum_b (n_b / n) |accuracy_b - confidence_b|`` over equal-width bins."""
    curve = reliability_curve(probs, labels, n_bins)
    n = curve["count"].sum()
    if n == 0:
        raise ValueError("ECE of an empty set")
    filled = curve["count"] > 0
    gap = np.abs(curve["accuracy"][filled] - curve["confidence"][filled])
    return float(np.sum(curve["count"][filled] / n * gap))


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities after dividing the logits (``log p``) by ``temperature``."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return logits_to_probs(np.log(np.clip(np.asarray(probs, dtype=float), _EPS, 1.0)) / float(temperature))


def fit_temperature(probs: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature minimising the NLL of ``labels`` (a development split) under ``probs``.

    A bounded one-dimensional search (the NLL is convex in ``1/T``).
    """
    from scipy.optimize import minimize_scalar

    probs, labels = _check(probs, labels)
    log_p = np.log(np.clip(probs, _EPS, 1.0))

    def nll(log_t):
        z = log_p / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))

    res = minimize_scalar(nll, bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded",
                          options={"xatol": 1e-4})
    return float(np.exp(res.x))


def plot_reliability(curves: dict[str, dict], title: str = "Reliability", ax=None):
    """Reliability diagram: one line per entry of ``curves`` (``name -> reliability_curve(...)``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 4.2))
    else:
        fig = ax.figure
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    for name, curve in curves.items():
        filled = curve["count"] > 0
        ax.plot(curve["confidence"][filled], curve["accuracy"][filled], marker="o", ms=3, label=name)
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
