"""The evaluation protocol shared by the table recipes: one run of a learner on a task, recorded.

A *task* is a data set with train / dev / test positions and targets; a *learner*
(:mod:`astrokeras.learners`) fits on train, makes its choices on dev and predicts test. These
functions run one (learner, task, scenario, seed) and record the test predictions in a
:class:`~astrokeras.results.RunLog` (so every cell gets a bootstrap CI and every pair of rows a
paired comparison), plus the development score of the same run:

* :func:`scenario_subset` - Full (all training labels) or Limited (512 drawn per seed, every class
  present; Gupta et al. 2025, Sec. 2.3);
* :func:`run_classification` - macro AUROC; with ``calibration=True`` also the expected
  calibration error on test before and after a temperature fitted on dev;
* :func:`run_anomaly` - isolation forests (global and per class) on the learner's representation
  of the training objects; the variant is chosen on dev (dev anomalies), scored on test;
* :func:`run_regression` - MSE (``scale`` 1e3 for the paper's MSE x 10^3).

Example:
    >>> import numpy as np
    >>> from astrokeras.learners import LatentLearner
    >>> from astrokeras.results import RunLog
    >>> rng = np.random.default_rng(0); z = rng.normal(size=(400, 6)).astype("float32")
    >>> y = (z[:, 0] > 0).astype(int); log = RunLog(n_boot=100)
    >>> task = Task(train=np.arange(250), dev=np.arange(250, 320), test=np.arange(320, 400), target=y)
    >>> fitted = run_classification(log, "heads", "AUROC", LatentLearner(z, epochs=30), task, 2, split=0, seed=0)
    >>> bool(log.summary()["mean"].iloc[0] > 0.8)
    True
"""

from __future__ import annotations

import dataclasses

import numpy as np

from astrokeras.evaluation import limited_subset, macro_auroc

__all__ = ["Task", "scenario_subset", "run_classification", "run_regression", "run_anomaly"]


@dataclasses.dataclass
class Task:
    """Positions of the train / dev / test objects in a data set, and the targets of all objects."""
    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray
    target: np.ndarray


def scenario_subset(train: np.ndarray, scenario: str, n_limited: int, seed: int,
                    labels: np.ndarray | None = None) -> np.ndarray:
    """``train`` itself (``"Full"``) or ``n_limited`` of it drawn with ``seed`` (``"Lim."``)."""
    if scenario == "Full":
        return np.asarray(train)
    if scenario != "Lim.":
        raise ValueError(f"scenario must be 'Lim.' or 'Full', got {scenario!r}")
    ids = np.array([f"{p:09d}" for p in train])
    chosen = limited_subset(ids, n_limited, seed=seed, labels=None if labels is None else labels[train])
    return chosen.astype(int)


def run_classification(log, row: str, column: str, learner, task: Task, n_classes: int, *, split: int,
                       seed: int, calibration: bool = False, ece_column: str | None = None):
    """Fit a classifier, record test macro AUROC (dev AUROC alongside); returns the fitted learner.

    With ``calibration``, records ``"{ece_column} ECE"`` and ``"{ece_column} ECE (T-scaled)"``:
    the temperature is fitted on the dev predictions only.
    """
    from astrokeras.calibration import apply_temperature, expected_calibration_error, fit_temperature

    y = np.asarray(task.target).astype(int)
    fitted = learner.fit_classifier(task.train, task.dev, y, n_classes, seed)
    p_dev, p_test = fitted.predict(task.dev), fitted.predict(task.test)
    log.add(row, column, "macro_auroc", split=split, seed=seed, y_true=y[task.test], y_pred=p_test,
            dev_value=macro_auroc(y[task.dev], p_dev))
    if calibration:
        name = ece_column or column
        t = fit_temperature(p_dev, y[task.dev])
        log.add_value(row, f"{name} ECE", expected_calibration_error(p_test, y[task.test]), split=split, seed=seed)
        log.add_value(row, f"{name} ECE (T-scaled)",
                      expected_calibration_error(apply_temperature(p_test, t), y[task.test]), split=split, seed=seed)
        log.add_value(row, f"{name} temperature", t, split=split, seed=seed)
    return fitted


def run_regression(log, row: str, column: str, learner, task: Task, *, split: int, seed: int,
                   scale: float = 1.0):
    """Fit a regressor, record test MSE x ``scale`` (dev MSE alongside); returns the fitted learner."""
    target = np.asarray(task.target, dtype=float)
    fitted = learner.fit_regressor(task.train, task.dev, target, seed)
    dev_mse = float(np.mean((fitted.predict(task.dev) - target[task.dev]) ** 2))
    log.add(row, column, "mse", split=split, seed=seed, y_true=target[task.test], y_pred=fitted.predict(task.test),
            dev_value=scale * dev_mse, scale=scale)
    return fitted


def run_anomaly(log, row: str, column: str, fitted, train: np.ndarray, train_labels: np.ndarray,
                dev: np.ndarray, dev_is_anomaly: np.ndarray, test: np.ndarray, test_is_anomaly: np.ndarray,
                *, split: int, seed: int) -> str:
    """Isolation forests on ``fitted.represent``: global and per class (Gupta, Muthukrishna & Lochner
    2025); the one with the higher dev AUROC is recorded under ``column`` (both under
    ``"{column} [global]"`` / ``"{column} [per-class]"``). Returns the chosen variant."""
    from astrokeras.anomaly import LatentAnomalyDetector
    from astrokeras.bootstrap import weighted_metric

    rep_train, rep_dev, rep_test = fitted.represent(train), fitted.represent(dev), fitted.represent(test)
    results = {}
    for variant, per_class in (("global", False), ("per-class", True)):
        det = LatentAnomalyDetector(per_class=per_class, n_estimators=100, seed=seed).fit(rep_train, train_labels if per_class else None)
        dev_auroc = float(weighted_metric("auroc", dev_is_anomaly, det.score(rep_dev))[0])
        results[variant] = (dev_auroc, det.score(rep_test))
        log.add(row, f"{column} [{variant}]", "auroc", split=split, seed=seed, y_true=test_is_anomaly,
                y_pred=results[variant][1], dev_value=dev_auroc)
    chosen = max(results, key=lambda v: results[v][0])
    log.add(row, column, "auroc", split=split, seed=seed, y_true=test_is_anomaly, y_pred=results[chosen][1],
            dev_value=results[chosen][0])
    return chosen
