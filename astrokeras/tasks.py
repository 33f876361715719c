"""The paper's evaluation tasks as data: the BTS, EROS-1 and simulated-redshift sets with their splits.

Shared by the table and figure recipes (:mod:`recipes.table1`, :mod:`recipes.table2`,
:mod:`recipes.figures`), so that every recipe evaluates on exactly the same objects:

* :func:`bts_split` - BTS SN Ia / Ib/c / II: train / dev / test by object id, stratified by class
  (test 20%; dev 20% of the rest; seed = the outer split), redshift tasks on the objects with a
  redshift, and the rare classes (anomalies) split between dev and test (never trained on);
* :func:`eros_task` - EROS-1 with its own test set and a stratified dev part of its training set;
* :func:`simulated_redshift_sets` - the ``ztf_redshift`` / ``lsst_redshift`` presets, cached under
  a key of preset, scale and simulator version, each with a 64/16/20 split.

Example:
    >>> import astrokeras as ak                                           # doctest: +SKIP
    >>> split = bts_split(ak.datasets.load_bts(), seed=0)                 # doctest: +SKIP
    >>> len(split.cls.test), len(split.test_ad)                           # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd

from astrokeras.evaluation import train_dev_test_split_ids, train_test_split_ids
from astrokeras.protocol import Task

__all__ = ["ENCODER_ROWS", "QUICK_ENCODER_ROWS", "PAPER_SIZE_ENCODER_ROWS", "PREVIOUS_ENCODER_ROWS", "PAIRED_ENCODER_ROWS", "PREVIOUS_PAIRED_ENCODER_ROWS", "table_encoders", "encoder_row", "SCRATCH_ROW", "FEATURE_ROW", "BTS_CLASSES", "EROS_CLASSES", "SIM_PRESETS", "SIM_BANDS", "BTSSplit", "positions",
           "bts_split", "eros_task", "simulated_redshift_sets"]

#: display names of the quick releases (table rows): the paper's five variants and our sixth, pretrained on
#: 20% of the paper's simulated set (``recipes.pretrain``'s default)
QUICK_ENCODER_ROWS = {
    "classifier_ztf": "Classifier (ZTF only)",
    "classifier_ztf_lsst": "Classifier (ZTF + LSST)",
    "contrastive_ztf_lsst": "Classifier + Contrastive",
    "adversarial_ztf_lsst": "Classifier + Adversarial",
    "contrastive_adversarial_ztf_lsst": "Classifier + Contrastive + Adversarial",
    "adversarial_confusion_ztf_lsst": "Classifier + Adversarial (confusion; ours)",
}
#: the same variants pretrained at paper size (``recipes.pretrain --full``: the paper's 151,468 curves, up to
#: 100 epochs, early stopping with patience 5), released as ``NAME_full``
PAPER_SIZE_ENCODER_ROWS = {f"{name}_full": f"{row}, paper-size pretraining" for name, row in QUICK_ENCODER_ROWS.items()}
#: every released transient encoder measured by Tables 1 and 2 (quick, then paper-size)
ENCODER_ROWS = {**QUICK_ENCODER_ROWS, **PAPER_SIZE_ENCODER_ROWS}
#: the paired-view encoders of issue 12 (``recipes.pretrain``'s invariant variant and its control):
#: measured by ``recipes.cross_survey``; not default Table 1 rows (``recipes.table1 --encoders`` adds them: the
#: ``table1_full_paired`` part)
PAIRED_ENCODER_ROWS = {
    "invariant_ztf_lsst": "Classifier + view invariance (ours)",
    "classifier_paired_ztf_lsst": "Classifier on the paired views (control; ours)",
    "invariant_ztf_lsst_full": "Classifier + view invariance (ours), paper-size pretraining",
    "classifier_paired_ztf_lsst_full": "Classifier on the paired views (control; ours), paper-size pretraining",
}
#: the paper-size encoders that had a simulator-v1 release (25 epochs), kept as ``NAME_sim1``
_PAPER_SIZE_WITH_V1 = ("classifier_ztf_lsst_full", "contrastive_ztf_lsst_full")
#: the encoders released before the simulator's template SEDs (simulator v1), kept as ``NAME_sim1`` so that
#: Tables 1 and 2 show them beside their retrained (simulator v2) versions: the six quick ones and two paper-size ones
PREVIOUS_ENCODER_ROWS = {f"{name}_sim1": f"{row} [simulator v1]" for name, row in ENCODER_ROWS.items()
                         if name in QUICK_ENCODER_ROWS or name in _PAPER_SIZE_WITH_V1}
#: the same for the paired-view encoders (``recipes.cross_survey``)
PREVIOUS_PAIRED_ENCODER_ROWS = {f"{name}_sim1": f"{row} [simulator v1]" for name, row in PAIRED_ENCODER_ROWS.items()
                                if not name.endswith("_full")}


def table_encoders(quick: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The encoders Tables 1 and 2 measure and the previous releases shown beside them (rows only).

    Quick: the quick releases and the two paper-size encoders released first, beside the quick ``NAME_sim1``;
    full: the paper-size releases beside their ``NAME_sim1``. Missing ones are skipped with a note.

    >>> table_encoders(quick=False)[1]
    ('classifier_ztf_lsst_full_sim1', 'contrastive_ztf_lsst_full_sim1')
    """
    if quick:
        return ((*QUICK_ENCODER_ROWS, *_PAPER_SIZE_WITH_V1),
                tuple(f"{name}_sim1" for name in QUICK_ENCODER_ROWS))
    return tuple(PAPER_SIZE_ENCODER_ROWS), tuple(f"{name}_sim1" for name in _PAPER_SIZE_WITH_V1)


def encoder_row(name: str) -> str:
    """The table row of a released encoder (its display name; the name itself when unknown).

    >>> encoder_row("classifier_ztf_sim1")
    'Classifier (ZTF only) [simulator v1]'
    """
    for rows in (ENCODER_ROWS, PREVIOUS_ENCODER_ROWS, PAIRED_ENCODER_ROWS, PREVIOUS_PAIRED_ENCODER_ROWS):
        if name in rows:
            return rows[name]
    return name


#: display names of the baseline rows
SCRATCH_ROW = "No pretraining"
FEATURE_ROW = "Features + HistGradientBoosting"
BTS_CLASSES = ("SN Ia", "SN Ib/c", "SN II")
EROS_CLASSES = ("RR Lyrae", "cepheid", "binary", "Mira")
SIM_PRESETS = {"ztf": "ztf_redshift", "lsst": "lsst_redshift"}
SIM_BANDS = {"ztf": ["ztf::g", "ztf::r"], "lsst": [f"lsst::{b}" for b in "ugrizy"]}


@dataclasses.dataclass
class BTSSplit:
    """One outer split of the BTS: classification and redshift tasks, anomaly evaluation positions."""
    cls: Task
    z: Task
    dev_ad: np.ndarray
    test_ad: np.ndarray
    is_anomaly: np.ndarray


def positions(lcs, ids) -> np.ndarray:
    """Positions of ``ids`` in ``lcs`` (in the order of ``ids``)."""
    pos = pd.Series(np.arange(len(lcs)), index=lcs.object_ids.astype(str))
    return pos.loc[np.asarray(ids).astype(str)].to_numpy()


def bts_split(bts, seed: int = 0, test_fraction: float = 0.2, dev_fraction: float = 0.2,
              anomaly_test_fraction: float = 0.5) -> BTSSplit:
    """Train / dev / test of the BTS for outer split ``seed`` (see the module docstring)."""
    meta = bts.metadata
    label = meta["label"].to_numpy().astype(str)
    code = np.array([BTS_CLASSES.index(v) if v in BTS_CLASSES else -1 for v in label])
    z = meta["redshift"].to_numpy(dtype=float)
    anomaly = meta["is_anomaly"].to_numpy().astype(bool)
    normal = code >= 0
    train, dev, test = (positions(bts, p) for p in train_dev_test_split_ids(
        bts.object_ids[normal], label[normal], test_fraction, dev_fraction, seed=seed))
    anom_dev, anom_test = train_test_split_ids(bts.object_ids[anomaly], label[anomaly], anomaly_test_fraction,
                                               seed=seed)
    has_z = lambda pos: pos[np.isfinite(z[pos])]  # noqa: E731
    return BTSSplit(Task(train, dev, test, code), Task(has_z(train), has_z(dev), has_z(test), z),
                    np.r_[dev, positions(bts, anom_dev)], np.r_[test, positions(bts, anom_test)], anomaly)


def eros_task(eros, dev_fraction: float = 0.2, seed: int = 0) -> Task:
    """EROS-1 classification: its given test set; dev = ``dev_fraction`` of its training set."""
    split = eros.metadata["split"].to_numpy()
    codes = np.array([EROS_CLASSES.index(v) for v in eros.metadata["label"].astype(str)])
    train, dev = train_test_split_ids(eros.object_ids[split == "train"], codes[split == "train"], dev_fraction,
                                      seed=seed)
    return Task(positions(eros, train), positions(eros, dev), np.flatnonzero(split == "test"), codes)


def template_seds_available() -> bool:
    """Whether the data home holds the template SEDs (``sim_blocks``) the default simulator needs."""
    from astrokeras.datasets import DatasetNotFoundError
    from astrokeras.simulation.templates import sim_blocks_path

    try:
        sim_blocks_path()
    except (DatasetNotFoundError, FileNotFoundError):
        return False
    return True


def simulated_redshift_sets(cache_dir: str, scale: float = 1.0, n_jobs: int = 1, test_fraction: float = 0.2,
                            dev_fraction: float = 0.2, notes: list | None = None) -> dict:
    """``{survey: (LightCurves, Task)}`` for the simulated redshift presets (cached, split 64/16/20).

    Without the template SEDs (no ``sim_blocks`` in the data home, e.g. on a fresh machine) the sets
    are made with the data-free analytic SEDs (``sed="analytic"``) and a line saying so is appended
    to ``notes``; the cache key records which engine made them.
    """
    import astrokeras as ak

    sed = None if template_seds_available() else "analytic"
    if sed and notes is not None:
        notes.append("simulated redshift sets made with the analytic SEDs: the data home has no sim_blocks/ "
                     "(template SEDs); set ASTROKERAS_DATA to a data home that has it for the template engine.")
    extra = {} if sed is None else {"sed": sed}
    out = {}
    for survey, preset in SIM_PRESETS.items():
        lcs = ak.caching.cached_light_curves(
            os.path.join(cache_dir), preset, {"preset": preset, "scale": scale, **extra},
            lambda preset=preset: ak.simulate_preset(preset, scale=scale, n_jobs=n_jobs, **extra))
        train, dev, test = (positions(lcs, p) for p in train_dev_test_split_ids(
            lcs.object_ids, lcs.metadata["label"].to_numpy(), test_fraction, dev_fraction, seed=0))
        out[survey] = (lcs, Task(train, dev, test, lcs.metadata["redshift"].to_numpy(dtype=float)))
    return out
