"""Tests of astrokeras.losses: the supervised contrastive loss against a slow reference loop."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from keras_helpers import backend_gradient

from astrokeras.losses import (
    SupervisedContrastiveLoss,
    normalize_class_weights,
    supervised_contrastive_loss,
    weighted_sparse_categorical_crossentropy,
)


def reference_scl(labels, z, tau):
    """Algorithm 2 of the paper, literally: loops over anchors and positives, float64."""
    z = np.asarray(z, np.float64)
    n = len(labels)
    norm = np.maximum(np.linalg.norm(z, axis=1), 1e-6)  # a zero vector has similarity 0
    sim = np.array([[z[i] @ z[k] / (norm[i] * norm[k]) for k in range(n)] for i in range(n)])
    total, count = 0.0, 0
    for i in range(n):
        positives = [j for j in range(n) if j != i and labels[j] == labels[i]]
        for j in positives:
            denominator = sum(np.exp(sim[i, k] / tau) for k in range(n) if k != i)
            total += -np.log(np.exp(sim[i, j] / tau) / denominator)
            count += 1
    return total / count if count else 0.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tau", [0.5, 0.1])
def test_scl_matches_reference_loop(seed, tau):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 24))
    labels = rng.integers(0, 4, size=n)
    z = rng.normal(scale=rng.uniform(0.1, 10), size=(n, 6)).astype("float32")
    got = float(supervised_contrastive_loss(labels, z, temperature=tau))
    np.testing.assert_allclose(got, reference_scl(labels, z, tau), rtol=2e-5, atol=1e-6)


def test_scl_anchor_without_positive_is_excluded():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(5, 4)).astype("float32")
    labels = np.array([0, 0, 1, 1, 2])  # class 2 has a single member: no positive pair
    got = float(supervised_contrastive_loss(labels, z))
    np.testing.assert_allclose(got, reference_scl(labels, z, 0.5), rtol=2e-5)
    # Its pairs are absent from the mean, but it stays in the other anchors' denominators.
    without = float(supervised_contrastive_loss(labels[:4], z[:4]))
    assert got != pytest.approx(without)


@pytest.mark.parametrize("labels", [[0, 1, 2, 3], [5]])
def test_scl_without_positive_pairs_is_zero_with_zero_gradient(labels):
    labels = np.array(labels)
    z = np.random.default_rng(0).normal(size=(len(labels), 3)).astype("float32")
    assert float(supervised_contrastive_loss(labels, z)) == 0.0
    grad = backend_gradient(lambda v: supervised_contrastive_loss(labels, v), z)
    assert np.all(np.isfinite(grad)) and np.all(grad == 0)


def test_scl_gradient_finite_and_matches_finite_differences():
    rng = np.random.default_rng(1)
    labels = np.array([0, 0, 1, 1, 1, 2])
    z = rng.normal(size=(6, 3))
    z[2] = 0.0  # a zero latent: cosine similarity 0, no NaN
    grad = backend_gradient(lambda v: supervised_contrastive_loss(labels, v), z.astype("float32"))
    assert np.all(np.isfinite(grad))
    step = 1e-4
    for index in [(0, 0), (4, 2), (5, 1)]:
        plus, minus = z.copy(), z.copy()
        plus[index] += step
        minus[index] -= step
        numeric = reference_scl(labels, plus, 0.5) - reference_scl(labels, minus, 0.5)
        numeric /= 2 * step
        np.testing.assert_allclose(grad[index], numeric, rtol=2e-2, atol=2e-3)


def test_scl_scale_invariant_and_prefers_clustered_classes():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], 8)
    centres = np.array([[5.0, 0, 0], [0, 5.0, 0]])
    clustered = (centres[labels] + rng.normal(scale=0.3, size=(16, 3))).astype("float32")
    shuffled = clustered[rng.permutation(16)]
    a = float(supervised_contrastive_loss(labels, clustered))
    assert float(supervised_contrastive_loss(labels, 7.0 * clustered)) == pytest.approx(a, rel=1e-5)
    assert a < float(supervised_contrastive_loss(labels, shuffled))


def test_scl_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature"):
        supervised_contrastive_loss(np.array([0, 0]), np.ones((2, 2), "float32"), temperature=0)
    with pytest.raises(ValueError, match="temperature"):
        SupervisedContrastiveLoss(temperature=-1)


def test_scl_loss_class_serialises_and_matches_function():
    loss = SupervisedContrastiveLoss(temperature=0.3)
    config = loss.get_config()
    json.dumps(config)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, SupervisedContrastiveLoss) and restored.temperature == 0.3
    rng = np.random.default_rng(4)
    labels, z = rng.integers(0, 3, 10), rng.normal(size=(10, 5)).astype("float32")
    np.testing.assert_allclose(float(restored(labels, z)), reference_scl(labels, z, 0.3), rtol=2e-5)


def test_weighted_cross_entropy_is_weighted_mean():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(7, 4)).astype("float32")
    labels = rng.integers(0, 4, 7)
    weights = rng.uniform(0, 3, 7).astype("float32")
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    per_sample = -log_p[np.arange(7), labels]
    np.testing.assert_allclose(
        float(weighted_sparse_categorical_crossentropy(labels, logits)), per_sample.mean(),
        rtol=1e-5,
    )
    expected = (weights * per_sample).sum() / weights.sum()
    np.testing.assert_allclose(
        float(weighted_sparse_categorical_crossentropy(labels, logits, weights)), expected,
        rtol=1e-5,
    )
    scaled = weighted_sparse_categorical_crossentropy(labels, logits, 10 * weights)
    np.testing.assert_allclose(float(scaled), expected, rtol=1e-5)
    assert float(weighted_sparse_categorical_crossentropy(labels, logits, 0 * weights)) == 0.0


def test_normalize_class_weights():
    assert normalize_class_weights(None, 3) is None
    assert normalize_class_weights([2.0, 2.0, 2.0], 3) == [1.0, 1.0, 1.0]
    assert normalize_class_weights({1: 4.0}, 3) == [0.5, 2.0, 0.5]
    with pytest.raises(ValueError, match="n_classes=3"):
        normalize_class_weights([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="outside"):
        normalize_class_weights({3: 1.0}, 3)
    with pytest.raises(ValueError, match="finite"):
        normalize_class_weights([1.0, np.nan, 1.0], 3)
    with pytest.raises(ValueError, match="finite"):
        normalize_class_weights([0.0, 0.0], 2)
