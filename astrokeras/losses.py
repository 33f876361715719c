"""Losses: supervised contrastive loss (Gupta et al. 2025, Eq. 3 / Algorithm 2) and class weights.

:class:`ClassWeightedCrossentropy` is the classifier's compiled loss: the cross entropy with
class weights times per-sample weights, as the weighted mean ``sum w_i H_i / sum w_i``.

The supervised contrastive loss (SCL) treats every other sample of the same class in the batch as
a positive (Khosla et al. 2020, with the pair average of Gupta et al. 2025, Algorithm 2)::

    l_ij = -log( exp(sim(z_i, z_j)/tau) / sum_{k != i} exp(sim(z_i, z_k)/tau) )
    L_SCL = mean of l_ij over all ordered pairs i != j with c_i == c_j

with ``sim`` the cosine similarity and ``tau = 0.5``. It is computed in one vectorised pass: a
``(B, B)`` similarity matrix, the diagonal removed with a large finite negative (not ``inf``, so
no ``inf * 0``), a row-wise ``logsumexp`` and a masked mean. Anchors without a positive contribute
no pair; a batch without any positive pair gives 0 (not NaN) with zero gradient.

References: Chen et al. 2020, arXiv:2002.05709; Khosla et al. 2020, arXiv:2004.11362.
"""

from __future__ import annotations


import keras
import numpy as np
from keras import ops

__all__ = [
    "ClassWeightedCrossentropy",
    "SupervisedContrastiveLoss",
    "normalize_class_weights",
    "supervised_contrastive_loss",
    "view_consistency_loss",
    "weighted_sparse_categorical_crossentropy",
]

# Added to the diagonal logits: exp(-1e9) underflows to exactly 0 in float32, unlike -inf it
# never meets a 0 (0 * -inf = NaN) in the masked sums or their gradients.
_LARGE_NEGATIVE = -1e9


def supervised_contrastive_loss(labels, latent, temperature: float = 0.5, epsilon: float = 1e-12):
    """Supervised contrastive loss of a batch (scalar), vectorised and numerically stable.

    Args:
        labels: ``(B,)`` integer class labels.
        latent: ``(B, D)`` latent vectors ``z`` (any scale; they are L2-normalised here).
        temperature: ``tau > 0`` dividing the cosine similarities (paper: 0.5).
        epsilon: floor of the squared norm when normalising (a zero vector gives similarity 0).

    Returns:
        Scalar float32 tensor: the mean of ``l_ij`` over all same-class ordered pairs ``i != j``
        (0 when the batch has no such pair).

    Example:
        >>> import numpy as np
        >>> z = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]], "float32")
        >>> loss = supervised_contrastive_loss(np.array([0, 0, 1]), z, temperature=0.5)
        >>> round(float(loss), 3)
        0.141
    """
    if temperature <= 0:
        raise ValueError(f"supervised_contrastive_loss: temperature must be > 0, got {temperature}")
    latent = ops.cast(latent, "float32")
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    squared_norm = ops.sum(ops.square(latent), axis=-1, keepdims=True)
    unit = latent * ops.rsqrt(ops.maximum(squared_norm, epsilon))
    logits = ops.matmul(unit, ops.transpose(unit)) / temperature  # (B, B)

    batch = ops.shape(logits)[0]
    diagonal = ops.eye(batch, dtype="bool")
    denominator_logits = ops.where(diagonal, _LARGE_NEGATIVE, logits)
    log_denominator = ops.logsumexp(denominator_logits, axis=1, keepdims=True)
    log_prob = logits - log_denominator

    positive = ops.logical_and(
        ops.equal(labels[:, None], labels[None, :]), ops.logical_not(diagonal)
    )
    pair_loss = ops.where(positive, -log_prob, 0.0)
    n_pairs = ops.sum(ops.cast(positive, "float32"))
    return ops.sum(pair_loss) / ops.maximum(n_pairs, 1.0)


@keras.saving.register_keras_serializable(package="astrokeras")
class SupervisedContrastiveLoss(keras.losses.Loss):
    """Keras loss wrapper of :func:`supervised_contrastive_loss` (``y_true`` labels, ``y_pred`` z).

    The loss is a property of the whole batch (pairs), so it returns one scalar per batch and
    ignores per-sample reduction.

    Args:
        temperature: ``tau > 0`` (paper: 0.5).
        name: loss name.

    Example:
        >>> import numpy as np
        >>> loss = SupervisedContrastiveLoss(temperature=0.5)
        >>> z = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]], "float32")
        >>> round(float(loss(np.array([0, 0, 1]), z)), 3)
        0.141
    """

    def __init__(self, temperature: float = 0.5, name: str = "supervised_contrastive", **kwargs):
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="none", **kwargs)
        if temperature <= 0:
            raise ValueError(
                f"SupervisedContrastiveLoss: temperature must be > 0, got {temperature}"
            )
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        return supervised_contrastive_loss(y_true, y_pred, temperature=self.temperature)

    def get_config(self) -> dict:
        return {"temperature": self.temperature, "name": self.name}


def normalize_class_weights(class_weight, n_classes: int) -> list[float] | None:
    """Validate class weights (dict ``{class: w}`` or sequence) into a list that averages to 1.

    Args:
        class_weight: ``None``, a mapping class index -> weight (missing classes get 1 before
            normalisation) or a sequence of ``n_classes`` weights; all must be finite and >= 0,
            with at least one > 0.
        n_classes: number of classes.

    Returns:
        ``None`` or a list of ``n_classes`` floats with mean 1.

    Example:
        >>> normalize_class_weights({0: 1.0, 1: 3.0}, 2)
        [0.5, 1.5]
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, dict):
        unknown = [k for k in class_weight if not 0 <= int(k) < n_classes]
        if unknown:
            raise ValueError(f"class_weight: classes {unknown} outside [0, {n_classes})")
        weights = np.ones(n_classes, dtype=np.float64)
        for k, w in class_weight.items():
            weights[int(k)] = float(w)
    else:
        weights = np.asarray(class_weight, dtype=np.float64).reshape(-1)
        if weights.shape[0] != n_classes:
            raise ValueError(
                f"class_weight: got {weights.shape[0]} weights for n_classes={n_classes}"
            )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(f"class_weight: weights must be finite, >= 0 and not all 0: {weights}")
    return [float(w) for w in weights / weights.mean()]


def weighted_sparse_categorical_crossentropy(labels, logits, weights=None):
    """Cross entropy ``H(softmax(logits), c)`` averaged with weights: ``sum w_i H_i / sum w_i``.

    Using a weighted mean makes the loss independent of the weights' overall scale (the class
    weights are "normalised" per batch); with ``weights=None`` it is the plain mean.

    Args:
        labels: ``(B,)`` integer labels.
        logits: ``(B, K)`` unnormalised log-probabilities.
        weights: optional ``(B,)`` non-negative per-sample weights.

    Returns:
        Scalar float32 tensor (0 when all weights are 0).

    Example:
        >>> import numpy as np
        >>> logits = np.log(np.array([[0.5, 0.5], [0.9, 0.1]], "float32"))
        >>> round(float(weighted_sparse_categorical_crossentropy(np.array([0, 0]), logits)), 4)
        0.3993
    """
    logits = ops.cast(logits, "float32")
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    log_probs = ops.log_softmax(logits, axis=-1)
    onehot = ops.one_hot(labels, ops.shape(logits)[-1], dtype="float32")
    per_sample = -ops.sum(onehot * log_probs, axis=-1)
    if weights is None:
        return ops.mean(per_sample)
    weights = ops.reshape(ops.cast(weights, "float32"), (-1,))
    return ops.sum(weights * per_sample) / ops.maximum(ops.sum(weights), 1e-12)


@keras.saving.register_keras_serializable(package="astrokeras")
class ClassWeightedCrossentropy(keras.losses.Loss):
    """Sparse categorical cross entropy with class weights, reduced as a weighted mean.

    The weight of sample ``i`` is ``class_weight[c_i]`` times its ``sample_weight`` (either may be
    absent) and the loss is ``sum w_i H_i / sum w_i`` (0 when all weights are 0), so the overall
    scale of the weights does not change the loss: the same value as
    :func:`weighted_sparse_categorical_crossentropy`, as a Keras loss for ``compile(loss=...)``.

    Args:
        class_weight: ``None`` or one weight per class (see :func:`normalize_class_weights`).
        from_logits: ``y_pred`` are logits (default: probabilities, e.g. a softmax output).
        name: loss name.

    Example:
        >>> import numpy as np
        >>> loss = ClassWeightedCrossentropy(class_weight=[1.0, 3.0])
        >>> p = np.array([[0.5, 0.5], [0.9, 0.1]], "float32")
        >>> round(float(loss(np.array([0, 1]), p)), 4)  # (1 * log 2 + 3 * log 10) / 4
        1.9002
    """

    def __init__(self, class_weight=None, from_logits: bool = False, name: str = "class_weighted_crossentropy",
                 **kwargs):
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="mean_with_sample_weight", **kwargs)
        self.class_weight = None if class_weight is None else [float(w) for w in class_weight]
        if self.class_weight is not None and (
                not np.all(np.isfinite(self.class_weight)) or min(self.class_weight) < 0):
            raise ValueError(f"ClassWeightedCrossentropy: class weights must be finite and >= 0, "
                             f"got {self.class_weight}")
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        return ops.sparse_categorical_crossentropy(labels, ops.cast(y_pred, "float32"),
                                                   from_logits=self.from_logits)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.class_weight is not None:
            labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
            weights = ops.take(ops.convert_to_tensor(self.class_weight, "float32"), labels)
            if sample_weight is not None:
                weights = weights * ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
            sample_weight = weights
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {"class_weight": self.class_weight, "from_logits": self.from_logits, "name": self.name}


def view_consistency_loss(object_ids, latent, epsilon: float = 1e-12):
    """Fraction of the batch's latent variance that lies *within* objects (views of one object).

    For views ``i`` of objects ``o(i)`` (several views of the same object share an id), with
    ``m_o`` the mean latent of object ``o``'s views in the batch and ``m`` the batch mean::

        L = sum_i ||z_i - m_o(i)||^2 / sum_i ||z_i - m||^2

    0 when every view of an object has the same latent, about ``1 - 1/k`` for ``k`` views per
    object when the latent ignores the object. Dividing by the total variance makes the loss blind
    to the latent's scale, so it cannot be lowered by shrinking ``z`` (and a collapsed batch gives
    0 / epsilon = 0 with zero gradient, not NaN). Objects with one view in the batch contribute 0
    to the numerator (they still count in the total variance).

    Args:
        object_ids: ``(B,)`` integer object codes (views of one object share a code).
        latent: ``(B, D)`` latents ``z`` (raw, not normalised: a linear probe reads raw latents).
        epsilon: floor of the denominator.

    Returns:
        Scalar float32 tensor in ``[0, 1]``.

    Example:
        >>> import numpy as np
        >>> z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 3.0]], "float32")
        >>> round(float(view_consistency_loss(np.array([0, 0, 1, 1]), z)), 4)  # 2 / (1.25 + 1.25 + 0.25 + 4.25)
        0.2857
    """
    latent = ops.cast(latent, "float32")
    ids = ops.reshape(ops.cast(object_ids, "int32"), (-1,))
    same = ops.cast(ops.equal(ids[:, None], ids[None, :]), "float32")  # (B, B), 1 on the diagonal
    object_mean = ops.matmul(same, latent) / ops.sum(same, axis=1, keepdims=True)
    within = ops.sum(ops.square(latent - object_mean))
    total = ops.sum(ops.square(latent - ops.mean(latent, axis=0, keepdims=True)))
    return within / ops.maximum(total, epsilon)
