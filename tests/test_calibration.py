"""Calibration: ECE, reliability curves, temperature scaling fitted on dev."""

import numpy as np
import pytest

from astrokeras.calibration import (apply_temperature, expected_calibration_error, fit_temperature, logits_to_probs,
                                    plot_reliability, reliability_curve)


def _overconfident(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1, (n, 4))
    y = np.array([rng.choice(4, p=p) for p in logits_to_probs(logits)])   # calibrated at T = 1
    return logits_to_probs(3.0 * logits), y                                # 3x too confident


def test_perfectly_calibrated_probabilities_have_small_ece():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1, (20000, 3))
    p = logits_to_probs(logits)
    y = np.array([rng.choice(3, p=q) for q in p])
    assert expected_calibration_error(p, y) < 0.02


def test_temperature_fitted_on_dev_repairs_overconfidence_on_test():
    p_dev, y_dev = _overconfident(seed=0)
    p_test, y_test = _overconfident(seed=1)
    t = fit_temperature(p_dev, y_dev)
    assert t == pytest.approx(3.0, rel=0.15)
    before, after = expected_calibration_error(p_test, y_test), expected_calibration_error(apply_temperature(p_test, t), y_test)
    assert after < before / 3
    # temperature keeps every object's predicted class (so the accuracy)
    np.testing.assert_array_equal(p_test.argmax(1), apply_temperature(p_test, t).argmax(1))


def test_reliability_curve_counts_and_plot():
    p, y = _overconfident(600)
    curve = reliability_curve(p, y, n_bins=10)
    assert curve["count"].sum() == 600 and len(curve["confidence"]) == 10
    filled = curve["count"] > 0
    assert ((curve["confidence"][filled] >= curve["bin_lower"][filled]) & (curve["confidence"][filled] <= curve["bin_upper"][filled])).all()
    fig = plot_reliability({"model": curve})
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("confidence") and ax.get_legend() is not None


def test_bad_input():
    with pytest.raises(ValueError, match="labels"):
        expected_calibration_error(np.full((2, 2), 0.5), [0, 2])
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(np.full((2, 2), 0.5), 0.0)
