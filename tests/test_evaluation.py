import numpy as np
import pandas as pd
import pytest

from astrokeras.anomaly import LatentAnomalyDetector
from astrokeras.evaluation import (
    ResultTable,
    interval_coverage,
    knn_regress,
    limited_subset,
    macro_auroc,
    regression_metrics,
    train_test_split_ids,
)


def test_split_is_stratified_deterministic_and_order_free():
    ids = np.array([f"obj{i:03d}" for i in range(200)])
    labels = np.array(["Ia"] * 150 + ["II"] * 45 + ["rare"] * 5)
    train, test = train_test_split_ids(ids, labels, 0.2, seed=3)
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == 200
    lab = dict(zip(ids, labels))
    counts = pd.Series([lab[i] for i in test]).value_counts()
    assert counts["Ia"] == 30 and counts["II"] == 9 and counts["rare"] == 1
    perm = np.random.default_rng(0).permutation(200)
    train2, test2 = train_test_split_ids(ids[perm], labels[perm], 0.2, seed=3)
    np.testing.assert_array_equal(test, test2)
    _, test3 = train_test_split_ids(ids, labels, 0.2, seed=4)
    assert set(test3) != set(test)
    with pytest.raises(ValueError, match="duplicates"):
        train_test_split_ids(["a", "a"])


def test_limited_subset_covers_every_class():
    ids = np.array([f"o{i}" for i in range(1000)])
    labels = np.array(["common"] * 995 + ["rare"] * 5)
    for seed in range(5):
        sub = limited_subset(ids, 512, seed=seed, labels=labels)
        assert len(sub) == 512 and len(set(sub)) == 512
        assert any(s in set(ids[-5:]) for s in sub)
    assert not np.array_equal(limited_subset(ids, 512, 0), limited_subset(ids, 512, 1))
    assert len(limited_subset(ids[:100], 512)) == 100


def test_macro_auroc():
    y = np.array([0, 0, 1, 1, 2, 2])
    perfect = np.eye(3)[y]
    assert macro_auroc(y, perfect) == 1.0
    assert macro_auroc(y, 1.0 - perfect) == 0.0
    assert macro_auroc([0, 1, 0, 1], np.array([0.1, 0.9, 0.2, 0.8])) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        macro_auroc(y, np.full((6, 3), np.nan))


def test_regression_metrics_and_coverage():
    z = np.array([0.1, 0.2, 0.3, 0.4])
    m = regression_metrics(z, z + 0.1)
    assert m["mse"] == pytest.approx(0.01) and m["bias"] == pytest.approx(0.1)
    assert regression_metrics(z, z)["r2"] == 1.0
    assert interval_coverage(z, z - 0.05, z + 0.05) == 1.0
    assert interval_coverage(z, z + 0.01, z + 0.05) == 0.0


def test_knn_regress_distance_weighted():
    train = np.array([[0.0], [1.0], [10.0]])
    pred = knn_regress(train, np.array([0.0, 1.0, 10.0]), np.array([[0.0], [0.9]]), k=2)
    assert pred[0] == pytest.approx(0.0)  # exact match takes all the weight
    assert 0.5 < pred[1] < 1.0


def test_result_table(tmp_path):
    t = ResultTable()
    for seed, v in enumerate([0.8, 0.9]):
        t.add("model", "auroc", v, seed=seed)
    t.add("baseline", "auroc", 0.5)
    summary = t.write(str(tmp_path), "table")
    assert summary.loc["model", "auroc"] == "0.850 ± 0.050"
    assert summary.loc["baseline", "auroc"] == "0.500"
    assert (tmp_path / "table.md").read_text().startswith("| ")
    assert len(pd.read_csv(tmp_path / "table.csv")) == 3


@pytest.mark.parametrize("per_class", [False, True])
def test_anomaly_detector_separates_outliers(per_class):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    normal = np.r_[rng.normal(0, 1, (200, 3)), rng.normal(8, 1, (200, 3))]
    labels = np.r_[np.zeros(200), np.ones(200)]
    odd = rng.normal(4, 0.3, (20, 3))  # between the two clusters: normal for neither class
    det = LatentAnomalyDetector(per_class=per_class, seed=0).fit(normal, labels)
    test = np.r_[rng.normal(0, 1, (50, 3)), odd]
    auroc = roc_auc_score(np.r_[np.zeros(50), np.ones(20)], det.score(test))
    assert auroc > 0.9
    with pytest.raises(ValueError):
        LatentAnomalyDetector(per_class=True).fit(normal)


def test_light_curve_features_baseline():
    from astrokeras.features import light_curve_features
    from astrokeras.photometry import LightCurves

    rng = np.random.default_rng(1)
    t = np.linspace(0, 100, 40)

    def bazin(t0, rise, fall):
        return 1000 * np.exp(-(t - t0) / fall) / (1 + np.exp(-(t - t0) / rise))

    ids, times, bands_, flux = [], [], [], []
    for i, (rise, fall) in enumerate([(2, 15), (8, 60)]):
        f = bazin(30, rise, fall) + rng.normal(0, 5, t.size)
        ids += [f"o{i}"] * t.size; times += list(t); bands_ += ["ztf::g", "ztf::r"] * 20; flux += list(f)
    ids += ["short"]; times += [1.0]; bands_ += ["ztf::g"]; flux += [10.0]
    lcs = LightCurves(ids, times, bands_, flux, np.full(len(ids), 5.0))
    feats = light_curve_features(lcs, bands=["ztf::r", "ztf::g"])
    assert list(feats.index) == ["o0", "o1", "short"]
    fall = feats["ztf::g_bazin_fit_fall_time"]
    assert fall["o0"] < fall["o1"]  # the slow decliner is recovered as slower
    assert feats.loc["short"].filter(like="ztf::g_").drop("ztf::g_log10_peak_flux").isna().all()  # too few: NaN
    assert feats.loc["short", "ztf::g_log10_peak_flux"] == 1.0
    assert feats.loc["short", "n_observations"] == 1.0
    assert "color_ztf::g_minus_ztf::r" in feats.columns  # bands ordered by wavelength
