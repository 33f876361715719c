"""Tests of astrokeras.alignment (survey probe AUROC, kNN mixing, MMD)."""

from __future__ import annotations

import numpy as np
import pytest

from astrokeras.alignment import (
    alignment_report,
    knn_survey_mixing,
    median_heuristic_bandwidth,
    mmd2_rbf,
    per_class_mmd,
    survey_probe_auroc,
)


def _two_surveys(n=300, shift=0.0, seed=0, dims=6):
    rng = np.random.default_rng(seed)
    survey = np.repeat([0, 1], n // 2)
    labels = rng.integers(0, 3, n)
    centres = rng.normal(scale=4.0, size=(3, dims))
    z = centres[labels] + rng.normal(size=(n, dims))
    z[survey == 1, 0] += shift
    return z, survey, labels


def test_probe_auroc_chance_when_aligned_and_high_when_shifted():
    z, survey, labels = _two_surveys()
    assert abs(survey_probe_auroc(z, survey) - 0.5) < 0.1
    z, survey, labels = _two_surveys(shift=3.0)
    assert survey_probe_auroc(z, survey, labels) > 0.9


def test_class_balanced_probe_ignores_class_mixture_differences():
    rng = np.random.default_rng(3)
    # Survey 0 is mostly class 0, survey 1 mostly class 1; the latent encodes the class only.
    survey = np.repeat([0, 1], 300)
    labels = np.where(rng.uniform(size=600) < np.where(survey == 0, 0.8, 0.2), 0, 1)
    z = np.c_[labels * 5.0, np.zeros(600)] + rng.normal(size=(600, 2))
    naive = survey_probe_auroc(z, survey)
    balanced = survey_probe_auroc(z, survey, labels)
    assert naive > 0.75
    assert abs(balanced - 0.5) < 0.1


def test_probe_handles_three_surveys_and_string_labels():
    rng = np.random.default_rng(4)
    survey = np.repeat(np.array(["ztf", "lsst", "eros"]), 60)
    z = rng.normal(size=(180, 3))
    z[survey == "eros"] += 4.0
    auroc = survey_probe_auroc(z, survey)
    assert 0.6 < auroc <= 1.0


def test_knn_mixing_one_when_mixed_zero_when_separated():
    z, survey, labels = _two_surveys(n=400)
    mixed = knn_survey_mixing(z, survey, labels, k=10)
    assert set(mixed) == {0, 1, 2}
    assert all(0.8 < v < 1.2 for v in mixed.values())
    z, survey, labels = _two_surveys(n=400, shift=50.0)
    assert all(v < 0.05 for v in knn_survey_mixing(z, survey, labels).values())


def test_knn_mixing_nan_for_class_in_one_survey():
    z, survey, labels = _two_surveys(n=200)
    labels[survey == 0] = np.where(labels[survey == 0] == 2, 0, labels[survey == 0])
    labels[(survey == 1)] = np.where(labels[survey == 1] == 2, 2, labels[survey == 1])
    scores = knn_survey_mixing(z, survey, labels)
    assert np.isnan(scores[2]) and np.isfinite(scores[0])


def reference_mmd2(x, y, s):
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * s * s))  # noqa: E731
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd_matches_reference_loop_and_median_heuristic():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(9, 3)), rng.normal(loc=0.5, size=(7, 3))
    pooled = np.r_[x, y]
    distances = [np.linalg.norm(a - b) for i, a in enumerate(pooled) for b in pooled[i + 1:]]
    s = median_heuristic_bandwidth(pooled)
    assert s == pytest.approx(np.median(distances))
    assert mmd2_rbf(x, y) == pytest.approx(reference_mmd2(x, y, s), rel=1e-10)
    assert mmd2_rbf(x, y, bandwidth=0.7) == pytest.approx(reference_mmd2(x, y, 0.7), rel=1e-10)
    assert mmd2_rbf(x, y) == pytest.approx(mmd2_rbf(y, x), rel=1e-10)


def test_per_class_mmd_small_when_aligned_large_when_shifted():
    z, survey, labels = _two_surveys(n=400)
    aligned = per_class_mmd(z, survey, labels)
    z, survey, labels = _two_surveys(n=400, shift=4.0)
    shifted = per_class_mmd(z, survey, labels, max_per_survey=30)
    for c in aligned:
        assert abs(aligned[c]) < 0.05 < shifted[c]


def test_report_table_and_summary():
    z, survey, labels = _two_surveys(n=300, shift=2.0)
    report = alignment_report(z, survey, labels)
    assert list(report.per_class.columns) == ["class", "n_0", "n_1", "knn_mixing", "mmd2"]
    assert report.per_class[["n_0", "n_1"]].to_numpy().sum() == 300
    summary = report.summary()
    assert summary["probe_auroc"] > 0.8 and summary["knn_mixing"] < 0.8 and summary["mmd2"] > 0


def test_bad_inputs_raise_clear_errors():
    z, survey, labels = _two_surveys(n=20)
    with pytest.raises(ValueError, match="two surveys"):
        survey_probe_auroc(z, np.zeros(20))
    with pytest.raises(ValueError, match="20 latents but 19"):
        survey_probe_auroc(z, survey[:19])
    z_bad = z.copy()
    z_bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        knn_survey_mixing(z_bad, survey, labels)
    with pytest.raises(ValueError, match="at least 2"):
        mmd2_rbf(z[:1], z[1:5])


def test_redshift_matched_probe_removes_population_differences():
    # The latent encodes redshift only (a faithful, survey-blind encoder); the two surveys observe
    # different redshift populations, so the plain probe reads the survey from the population while
    # the redshift-matched probe, comparing like with like, sees nothing.
    rng = np.random.default_rng(3)
    n = 8000
    survey = np.repeat([0, 1], n // 2)
    redshift = np.where(survey == 0, rng.uniform(0.0, 0.3, n), rng.uniform(0.1, 0.6, n))
    labels = rng.integers(0, 2, n)
    z = np.c_[redshift, rng.normal(size=(n, 3))]
    plain = survey_probe_auroc(z, survey, labels)
    matched = survey_probe_auroc(z, survey, labels, redshift=redshift)
    assert plain > 0.85 and abs(matched - 0.5) < 0.04
    # a latent that does encode the survey is still caught by the matched probe
    z_leaky = z.copy()
    z_leaky[:, 1] += 2.0 * survey
    assert survey_probe_auroc(z_leaky, survey, labels, redshift=redshift) > 0.9
    report = alignment_report(z, survey, labels, redshift=redshift)
    assert report.summary()["probe_auroc_matched"] == pytest.approx(matched)
    with pytest.raises(ValueError, match="non-finite"):
        survey_probe_auroc(z, survey, labels, redshift=np.where(survey == 0, np.nan, 1.0))
