"""The evaluation protocol: learners early-stop on dev, runs are recorded with predictions, the
module examples run."""

import doctest

import numpy as np
import pytest

from astrokeras import bootstrap, caching, calibration, learners, protocol, results
from astrokeras.learners import FeatureLearner, LatentLearner
from astrokeras.protocol import Task, run_anomaly, run_classification, run_regression, scenario_subset
from astrokeras.results import RunLog


@pytest.mark.parametrize("module", [bootstrap, caching, calibration, learners, protocol, results])
def test_module_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def _data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 6)).astype("float32")
    y = (z[:, 0] + 0.5 * z[:, 1] > 0).astype(int) + (z[:, 2] > 1.2)
    return z, y, Task(np.arange(300), np.arange(300, 400), np.arange(400, n), y)


def test_every_learner_is_recorded_with_dev_values_and_test_predictions():
    z, y, task = _data()
    log = RunLog(n_boot=200)
    for row, learner in (("heads", LatentLearner(z, ((8,), (16,)), epochs=60)), ("hgb", FeatureLearner(z, max_iter=50))):
        for seed in (0, 1):
            fitted = run_classification(log, row, "AUROC", learner, task, 3, split=0, seed=seed, calibration=True)
            assert fitted.predict(task.test).shape == (100, 3)
            run_regression(log, row, "MSE", learner, Task(task.train, task.dev, task.test, z[:, 0] * 2.0),
                           split=0, seed=seed)
    frame = log.frame()
    assert frame["dev_value"].notna().sum() == 8 and set(frame["row"]) == {"heads", "hgb"}
    summary = log.summary().set_index(["row", "column"])
    assert summary.loc[("heads", "AUROC"), "mean"] > 0.85 and summary.loc[("hgb", "AUROC"), "n_seeds"] == 2
    assert summary.loc[("heads", "AUROC ECE (T-scaled)"), "mean"] >= 0
    comp = log.compare("heads", "hgb", "MSE")
    assert comp["ci_low"] <= comp["difference"] <= comp["ci_high"]


def test_heads_choose_their_width_and_stop_on_dev():
    z, y, task = _data()
    fitted = LatentLearner(z, ((4,), (32,)), epochs=300, patience=5).fit_classifier(task.train, task.dev, y, 3, seed=0)
    assert fitted.info["hidden_units"] in ([4], [32]) and 1 <= fitted.info["epochs"] < 300
    assert fitted.represent(task.test).shape[1] == fitted.info["hidden_units"][0]


def test_feature_learner_picks_iterations_on_dev_and_reuses_identical_fits():
    z, y, task = _data()
    learner = FeatureLearner(z, max_iter=80)
    a = learner.fit_classifier(task.train, task.dev, y, 3, seed=0)
    b = learner.fit_classifier(task.train, task.dev, y, 3, seed=1)   # deterministic: reused
    assert a is b and 1 <= a.info["iterations"] <= 80
    np.testing.assert_allclose(a.predict(task.test).sum(axis=1), 1.0, atol=1e-6)


def test_anomaly_variant_is_chosen_on_dev():
    rng = np.random.default_rng(0)
    normal = rng.normal(0, 1, (300, 4))
    rep = np.r_[normal, rng.normal(4, 1, (60, 4))]
    labels = (normal[:, 0] > 0).astype(int)

    class Fitted:
        represent = staticmethod(lambda pos: rep[pos])

    log = RunLog(n_boot=100)
    dev = np.r_[np.arange(200, 250), np.arange(300, 330)]
    test = np.r_[np.arange(250, 300), np.arange(330, 360)]
    is_anom = np.r_[np.zeros(300, bool), np.ones(60, bool)]
    chosen = run_anomaly(log, "row", "AD", Fitted, np.arange(200), labels[:200], dev, is_anom[dev], test,
                         is_anom[test], split=0, seed=0)
    assert chosen in ("global", "per-class")
    summary = log.summary().set_index("column")
    assert summary.loc["AD", "mean"] > 0.9 and {"AD [global]", "AD [per-class]"} <= set(summary.index)


def test_limited_scenario_draws_from_train_with_every_class():
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    train = np.arange(1000)
    sub = scenario_subset(train, "Lim.", 512, seed=3, labels=labels)
    assert len(sub) == 512 and set(labels[sub]) == {0, 1, 2} and set(sub) <= set(train)
    np.testing.assert_array_equal(scenario_subset(train, "Full", 512, 0), train)
    with pytest.raises(ValueError, match="scenario"):
        scenario_subset(train, "Half", 512, 0)


def test_runlog_refuses_rows_on_different_test_objects():
    log = RunLog(n_boot=10)
    log.add("a", "c", "auroc", split=0, seed=0, y_true=np.array([0, 1, 0, 1]), y_pred=np.array([.1, .9, .2, .8]))
    with pytest.raises(ValueError, match="test objects"):
        log.add("b", "c", "auroc", split=0, seed=0, y_true=np.array([1, 1, 0, 0]), y_pred=np.array([.1, .9, .2, .8]))


def test_provenance_names_the_code_the_run_started_from(monkeypatch):
    """The git state is taken once per process (``python -m astrofm`` takes it before the recipe runs):
    edits made while a run is in flight do not turn its provenance 'dirty'."""
    answers = {"status": " M README.md\n M recipes/table1.py", "rev-parse": "0123456789abcdef"}
    calls = []

    def fake_git(*args, strip=True):  # like results._git: stripped unless strip=False
        calls.append(args[0])
        return answers[args[0]].strip() if strip else answers[args[0]]

    monkeypatch.setattr(results, "_git", fake_git)
    monkeypatch.setattr(results, "_GIT_STATE", None)
    first = results.provenance(command="x")
    answers["status"] = ""  # the tree changes while the run goes on
    second = results.provenance(command="x")
    assert first["git_dirty"] is second["git_dirty"] is True
    assert second["git_dirty_paths"] == ["README.md", "recipes/table1.py"] and calls.count("status") == 1
    assert results.commit_label(second) == "Commit `0123456789` (uncommitted changes: README.md, recipes/table1.py)"
    assert results.git_state(refresh=True)["git_dirty"] is False
