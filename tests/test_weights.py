"""Tests for astrokeras.weights (class weights, pure numpy)."""

import numpy as np
import pytest

from astrokeras.weights import class_weights


def test_balanced_and_mean_one_per_sample():
    rng = np.random.default_rng(0)
    labels = rng.choice(4, size=1000, p=[0.7, 0.2, 0.08, 0.02])
    w = class_weights(labels, 4)
    counts = np.bincount(labels, minlength=4)
    assert w.dtype == np.float32 and w.shape == (4,)
    # every class contributes the same total weight
    np.testing.assert_allclose(w * counts, np.full(4, 1000 / 4), rtol=1e-5)
    assert abs(w[labels].mean() - 1.0) < 1e-5
    assert w[3] > w[2] > w[1] > w[0]


def test_absent_class_gets_zero_and_mean_stays_one():
    labels = np.array([0, 0, 2, 2, 2, 2])
    w = class_weights(labels, 5)
    assert w[1] == 0 and w[3] == 0 and w[4] == 0
    assert abs(w[labels].mean() - 1.0) < 1e-6
    assert w[0] == pytest.approx(2 * w[2])


def test_integer_valued_floats_accepted():
    np.testing.assert_allclose(class_weights(np.array([0.0, 1.0, 1.0]), 2), [1.5, 0.75])


@pytest.mark.parametrize("labels, n, match", [
    ([], 3, "empty"),
    ([0, 3], 3, "outside"),
    ([-1, 0], 3, "outside"),
    ([0.5, 1.0], 2, "integer"),
    (["Ia", "II"], 2, "integer"),
    ([[0, 1]], 2, "1-D"),
    ([0], 0, "n_classes"),
])
def test_bad_labels_raise(labels, n, match):
    with pytest.raises(ValueError, match=match):
        class_weights(labels, n)
