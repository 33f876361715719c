"""Bootstrap CIs: weighted metrics agree with scikit-learn; paired differences detect real gaps only."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from astrokeras.bootstrap import (bootstrap_ci, bootstrap_weights, higher_is_better, paired_difference_ci,
                                  weighted_metric)
from astrokeras.evaluation import macro_auroc


def test_weighted_auroc_equals_sklearn_on_expanded_resamples():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 80)
    s = np.round(y + rng.normal(0, 1, 80), 1)             # rounded: many ties
    w = bootstrap_weights(80, n_boot=5, seed=3)
    got = weighted_metric("auroc", y, s, w)
    for b in range(5):
        idx = np.repeat(np.arange(80), w[b].astype(int))
        assert got[b] == pytest.approx(roc_auc_score(y[idx], s[idx]), abs=1e-12)
    assert weighted_metric("auroc", y, s)[0] == pytest.approx(roc_auc_score(y, s))


def test_weighted_macro_auroc_and_mse():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 120)
    p = rng.dirichlet([1, 1, 1], 120)
    assert weighted_metric("macro_auroc", y, p)[0] == pytest.approx(macro_auroc(y, p))
    t, q = rng.normal(size=50), rng.normal(size=50)
    w = bootstrap_weights(50, 3, seed=0)
    np.testing.assert_allclose(weighted_metric("mse", t, q, w), [np.mean((q - t)[np.repeat(np.arange(50), r.astype(int))] ** 2) for r in w])


def test_weights_are_resamples_and_strata_keep_classes():
    w = bootstrap_weights(30, 100, seed=0)
    assert w.shape == (100, 30) and (w.sum(axis=1) == 30).all()
    strata = np.r_[np.zeros(27), np.ones(3)]
    ws = bootstrap_weights(30, 100, seed=0, strata=strata)
    assert (ws[:, 27:].sum(axis=1) == 3).all()
    np.testing.assert_array_equal(w, bootstrap_weights(30, 100, seed=0))  # seeded


def test_ci_covers_the_value_and_paired_difference_is_sign_aware():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = [y + rng.normal(0, 0.7, 400) for _ in range(3)]
    bad = [y + rng.normal(0, 2.5, 400) for _ in range(3)]
    w = bootstrap_weights(400, 1000, seed=0)
    ci = bootstrap_ci("auroc", y, good, w)
    assert ci["ci"][0] < ci["value"] < ci["ci"][1] and ci["ci"][1] - ci["ci"][0] < 0.1
    d = paired_difference_ci("auroc", y, good, bad, w)
    assert d["a_better"] and not d["b_better"] and d["ci"][0] > 0
    same = paired_difference_ci("auroc", y, good, [g + rng.normal(0, 1e-3, 400) for g in good], w)
    assert not same["a_better"] and not same["b_better"]
    # for an error metric, lower is better
    t = rng.normal(size=400)
    d = paired_difference_ci("mse", t, [t + rng.normal(0, 0.1, 400)], [t + rng.normal(0, 1, 400)], w)
    assert d["a_better"] and d["difference"] < 0 and not higher_is_better("mse")


def test_bad_input_is_reported():
    with pytest.raises(ValueError, match="metric"):
        weighted_metric("accuracy", [0, 1], [0.1, 0.9])
    with pytest.raises(ValueError, match="NaN"):
        weighted_metric("auroc", [0, 1], [np.nan, 0.9])
    with pytest.raises(ValueError, match="labels"):
        weighted_metric("mse", [0, 1, 2], [0.1, 0.9])
