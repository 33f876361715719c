"""Class weights for imbalanced classification (pure numpy; no TensorFlow).

The paper's classifier uses a class-weighted categorical cross entropy (Gupta et al. 2025,
Sec. 2.2). :func:`class_weights` gives the usual "balanced" weights ``N / (K * n_c)``, scaled so
the mean weight **per sample** is exactly 1: the weighted loss keeps the scale of the unweighted
one, so learning rates carry over.

Example:
    >>> import numpy as np
    >>> from astrokeras.weights import class_weights
    >>> labels = np.array([0, 0, 0, 1])
    >>> w = class_weights(labels, n_classes=3)
    >>> [round(float(v), 3) for v in w], float(w[labels].mean())
    ([0.667, 2.0, 0.0], 1.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_weights"]


def class_weights(labels, n_classes: int) -> np.ndarray:
    """Balanced per-class weights with mean weight 1 over the samples.

    ``w_c = N / (K_present * n_c)`` where ``n_c`` is the count of class ``c``, ``N`` the number
    of samples and ``K_present`` the number of classes that occur. A class absent from
    ``labels`` gets weight 0 (it never contributes to the loss anyway). Then
    ``w[labels].mean() == 1`` exactly.

    Args:
        labels: integer class codes, shape ``(N,)``, each in ``[0, n_classes)``.
        n_classes: number of classes ``K``.

    Returns:
        float32 array ``(n_classes,)``. Per-sample weights are ``w[labels]`` (pass them as
        ``sample_weight`` to :func:`astrokeras.pipeline.make_dataset`); for a single-output
        Keras model ``class_weight=dict(enumerate(w))`` works too.

    Raises:
        ValueError: empty labels, non-integer labels, or a label outside ``[0, n_classes)``.

    Example:
        >>> class_weights([1, 1, 2, 2, 2, 2], n_classes=3).tolist()
        [0.0, 1.5, 0.75]
    """
    n_classes = int(n_classes)
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of class codes, got shape {labels.shape}")
    if labels.size == 0:
        raise ValueError("labels is empty: cannot compute class weights")
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise ValueError(f"labels must be integer class codes, got dtype {labels.dtype} "
                             "(encode class names first, e.g. with a class list)")
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} label(s) outside [0, {n_classes}), e.g. "
                         f"{int(labels[bad][0])} at position {int(np.flatnonzero(bad)[0])}")
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_classes, dtype=np.float64)
    weights[present] = labels.size / (present.sum() * counts[present])
    return weights.astype(np.float32)
