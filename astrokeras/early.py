"""Early classification: light curves cut at some days after the first detection, for training and scoring.

A broker has to classify a transient a few days after its first alert, when its light curve holds a
handful of points. A head trained on whole light curves sees nothing like that during training and
does poorly on early curves (real BTS macro AUROC ~0.55 at 3-10 days, ``recipes.figures``). RAPID
(Muthukrishna et al. 2019, PASP 131, 118005) trains on light curves cut at many epochs instead;
this module makes such training sets from :class:`~astrokeras.photometry.LightCurves`:

* :func:`truncate_per_object` - keep each object's observations within ``days[i]`` of its first
  observation (the first detection in an alert light curve); ids, times and metadata unchanged;
* :func:`draw_truncation_days` - ``(n, k)`` random truncation days per object, log-uniform in
  ``[min_days, max_days]`` (plus the whole curve), deterministic given the seed and the ids
  (not their order);
* :func:`truncated_copies` / :func:`augment_truncations` - one set holding ``k`` truncated copies
  of every object (ids ``"<id>@<k>"``, times unchanged; metadata gains ``source_id`` and
  ``truncation_days``), ready for :func:`~astrokeras.downstream.embed`,
  :func:`~astrokeras.features.light_curve_features` or
  :func:`~astrokeras.downstream.finetune_sequence_model`;
* :func:`early_task` - a train / dev / test :class:`~astrokeras.protocol.Task` turned into one
  such set: random truncations of the training and development objects (training and dev early
  stopping) and the dev and test objects cut at fixed days (scoring), so that every learner of
  :mod:`astrokeras.learners` trains and is scored on it unchanged.

Times are never shifted: a truncated curve starts at the same first observation as the whole one,
so the tokens of its points (time since the first observation) are those of the whole curve.

Example:
    >>> import numpy as np
    >>> from astrokeras.photometry import LightCurves
    >>> lcs = LightCurves(["a"] * 4 + ["b"] * 2, [0.0, 2.0, 9.0, 40.0, 100.0, 130.0], ["ztf::g"] * 6,
    ...                   np.ones(6), np.ones(6))
    >>> truncate_per_object(lcs, [5.0, np.inf]).lengths.tolist()
    [2, 2]
    >>> aug = augment_truncations(lcs, n_per_object=3, seed=0)
    >>> len(aug.light_curves), aug.light_curves.object_ids[:3].tolist()
    (6, ['a@0', 'a@1', 'a@2'])
    >>> bool(np.isinf(aug.days[aug.source == 0][0]))   # copy 0: the whole curve
    True
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurves

__all__ = ["EARLY_DAYS", "TruncatedSet", "EarlyTask", "first_observation_mjd", "truncate_per_object",
           "draw_truncation_days", "truncated_copies", "augment_truncations", "early_task"]

#: days after the first detection at which early classification is scored (plus the whole curve)
EARLY_DAYS = (3.0, 5.0, 10.0, 20.0, 30.0, 50.0)


def first_observation_mjd(lcs: LightCurves) -> np.ndarray:
    """Time (MJD) of each object's first observation; NaN for an object without observations."""
    out = np.full(len(lcs), np.nan)
    has = lcs.lengths > 0
    out[has] = lcs.time_mjd[lcs.offsets[:-1][has]]
    return out


def _days_array(days, n: int, name: str = "days") -> np.ndarray:
    d = np.asarray(days, dtype=float)
    if d.ndim == 0:
        d = np.full(n, float(d))
    if d.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have one value per object ({n}), got shape {d.shape}")
    if np.isnan(d).any() or (d < 0).any():
        bad = np.flatnonzero(np.isnan(d) | (d < 0))
        raise ValueError(f"{name} must be >= 0 (np.inf = whole curve); got {d[bad[:3]].tolist()} at positions "
                         f"{bad[:3].tolist()}")
    return d


def truncate_per_object(lcs: LightCurves, days) -> LightCurves:
    """Keep the observations within ``days[i]`` days of object ``i``'s first observation.

    Every object keeps at least its first observation (nothing disappears); ids, times, bands,
    fluxes and metadata are those of ``lcs``. For one value for all objects this equals
    :func:`astrokeras.downstream.truncate_light_curves`.

    Args:
        lcs: light curves (alert light curves start at the first detection).
        days: a scalar or ``(n_objects,)`` array of days after the first observation, ``>= 0``;
            ``np.inf`` keeps the whole curve.

    Returns:
        The truncated :class:`~astrokeras.photometry.LightCurves`.

    Example:
        >>> lcs = LightCurves(["a"] * 3, [10.0, 13.0, 30.0], ["ztf::r"] * 3, [1.0, 2.0, 3.0], [1.0] * 3)
        >>> truncate_per_object(lcs, 3).time_mjd.tolist()
        [10.0, 13.0]
    """
    d = _days_array(days, len(lcs))
    if len(lcs) == 0:
        return lcs
    owner = np.repeat(np.arange(len(lcs)), lcs.lengths)
    first = np.repeat(first_observation_mjd(lcs)[lcs.lengths > 0], lcs.lengths[lcs.lengths > 0])
    keep = lcs.time_mjd - first <= d[owner]
    counts = np.bincount(owner[keep], minlength=len(lcs)).astype(np.int64)
    return lcs._take(np.arange(len(lcs)), np.flatnonzero(keep), counts)


def _id_uniforms(object_ids: np.ndarray, seed: int, k: int) -> np.ndarray:
    """``(n, k)`` uniforms in [0, 1) determined by (id, seed) alone: the same object gets the same
    draws whatever the order or the other members of the set."""
    out = np.empty((len(object_ids), k))
    for i, oid in enumerate(object_ids):
        digest = hashlib.blake2b(f"{seed}|{oid}".encode(), digest_size=8).digest()
        out[i] = np.random.default_rng(int.from_bytes(digest, "little")).random(k)
    return out


def draw_truncation_days(object_ids: Sequence, n_per_object: int, seed: int = 0, min_days: float = 1.0,
                         max_days: float = 100.0, include_whole: bool = True) -> np.ndarray:
    """Random truncation days, log-uniform in ``[min_days, max_days]``, ``(n, n_per_object)``.

    Deterministic given the seed and each object's id: reordering or subsetting the ids gives every
    object the same days.

    Args:
        object_ids: one id per object.
        n_per_object: truncated copies per object.
        seed: integer seed.
        min_days, max_days: range of the log-uniform draw, days after the first observation.
        include_whole: column 0 is ``np.inf`` (the whole curve) and only ``n_per_object - 1``
            columns are random.

    Example:
        >>> d = draw_truncation_days(["a", "b"], 4, seed=1)
        >>> d.shape, bool(np.isinf(d[:, 0]).all()), bool(((d[:, 1:] >= 1) & (d[:, 1:] <= 100)).all())
        ((2, 4), True, True)
    """
    k = int(n_per_object)
    if k < 1:
        raise ValueError(f"n_per_object must be >= 1, got {n_per_object}")
    if not 0 < float(min_days) <= float(max_days) < np.inf:
        raise ValueError(f"need 0 < min_days <= max_days < inf, got min_days={min_days}, max_days={max_days}")
    ids = np.asarray(object_ids).astype(str)
    n_random = k - 1 if include_whole else k
    u = _id_uniforms(ids, int(seed), n_random)
    lo, hi = np.log(float(min_days)), np.log(float(max_days))
    days = np.exp(lo + u * (hi - lo))
    if include_whole:
        days = np.concatenate([np.full((len(ids), 1), np.inf), days], axis=1)
    return days


@dataclasses.dataclass
class TruncatedSet:
    """Truncated copies of the objects of a source set.

    Attributes:
        light_curves: the copies (ids ``"<source id>@<tag>"``), metadata of the source plus
            ``source_id`` and ``truncation_days``.
        source: ``(m,)`` position of each copy's object in the source set.
        days: ``(m,)`` truncation day of each copy (``np.inf``: whole curve).
    """
    light_curves: LightCurves
    source: np.ndarray
    days: np.ndarray


def truncated_copies(lcs: LightCurves, days: np.ndarray, tags: Sequence[str] | None = None) -> TruncatedSet:
    """Copy ``j`` of object ``i`` truncated at ``days[i, j]``, copies of an object next to each other.

    Args:
        lcs: the source light curves.
        days: ``(n_objects, k)`` days after the first observation (``np.inf``: whole curve).
        tags: ``k`` id suffixes (default ``"0"`` ... ``"k-1"``); copy ids are ``"<id>@<tag>"``.

    Returns:
        A :class:`TruncatedSet` of ``n_objects * k`` curves.
    """
    days = np.asarray(days, dtype=float)
    if days.ndim != 2 or days.shape[0] != len(lcs):
        raise ValueError(f"days must be (n_objects={len(lcs)}, k), got shape {days.shape}")
    k = days.shape[1]
    tags = [str(j) for j in range(k)] if tags is None else [str(t) for t in tags]
    if len(tags) != k or len(set(tags)) != k:
        raise ValueError(f"tags must be {k} distinct strings, got {tags}")
    _days_array(days.ravel(), days.size, "days")
    source = np.repeat(np.arange(len(lcs)), k)
    flat_days = days.ravel()
    rep = lcs.subset(source)
    cut = truncate_per_object(rep, flat_days)
    ids = np.array([f"{oid}@{tag}" for oid in lcs.object_ids for tag in tags], dtype=object)
    meta = cut.metadata.copy()
    meta.insert(0, "source_id", np.asarray(lcs.object_ids, dtype=object)[source])
    meta["truncation_days"] = flat_days
    meta.index = pd.Index(ids, name=lcs.metadata.index.name or "object_id")
    cut._ids = ids
    cut._object_id = np.repeat(ids, cut.lengths)
    cut.metadata = meta
    return TruncatedSet(cut, source, flat_days)


def augment_truncations(lcs: LightCurves, n_per_object: int = 8, seed: int = 0, min_days: float = 1.0,
                        max_days: float = 100.0, include_whole: bool = True) -> TruncatedSet:
    """RAPID-style augmentation: ``n_per_object`` randomly truncated copies of every object.

    The days come from :func:`draw_truncation_days` (log-uniform, the whole curve as copy 0 when
    ``include_whole``); the same seed gives the same set.

    Args:
        lcs: training (or development) light curves.
        n_per_object, seed, min_days, max_days, include_whole: see :func:`draw_truncation_days`.

    Returns:
        A :class:`TruncatedSet` of ``len(lcs) * n_per_object`` curves.
    """
    return truncated_copies(lcs, draw_truncation_days(lcs.object_ids, n_per_object, seed, min_days, max_days,
                                                      include_whole))


def _day_tag(day: float) -> str:
    return "all" if not np.isfinite(day) else f"{day:g}d"


@dataclasses.dataclass
class EarlyTask:
    """A classification task turned into truncated curves (see :func:`early_task`).

    Attributes:
        light_curves: every curve of the task (train and dev copies, dev and test at fixed days).
        target: class of every curve (its source object's).
        train, dev: positions (in ``light_curves``) of the randomly truncated training and
            development copies.
        train_whole, dev_whole: positions of the whole training / development curves (the
            whole-curve head is trained and early-stopped on these).
        dev_at, test_at: ``{day: positions}`` of the dev / test objects truncated at ``day``
            (``np.inf``: whole curve), in the order of the task's dev / test objects.
        days: the scoring days.
    """
    light_curves: LightCurves
    target: np.ndarray
    train: np.ndarray
    dev: np.ndarray
    train_whole: np.ndarray
    dev_whole: np.ndarray
    dev_at: dict
    test_at: dict
    days: tuple


def early_task(lcs: LightCurves, task, days: Sequence[float] = EARLY_DAYS, n_per_object: int = 8,
               seed: int = 0, min_days: float = 1.0, max_days: float = 100.0) -> EarlyTask:
    """Random truncations of a task's training and dev objects, its dev and test objects at fixed days.

    The training and development objects each get ``n_per_object`` copies (:func:`augment_truncations`;
    copy 0 is the whole curve; dev copies use ``seed + 1``), so a learner trains on truncated curves
    and early-stops on dev curves truncated the same way. Dev and test objects are also cut at each
    of ``days`` and kept whole, for scoring. Positions index the returned set, so learners of
    :mod:`astrokeras.learners` use it as they use any data set.

    Args:
        lcs: the data set.
        task: a :class:`~astrokeras.protocol.Task` (positions in ``lcs`` and targets).
        days: scoring days after the first detection (the whole curve is added).
        n_per_object, seed, min_days, max_days: the random truncations.

    Returns:
        An :class:`EarlyTask`.

    Example:
        >>> import numpy as np
        >>> from astrokeras.protocol import Task
        >>> lcs = LightCurves(np.repeat(["a", "b", "c"], 3), np.tile([0.0, 4.0, 30.0], 3), ["ztf::g"] * 9,
        ...                   np.ones(9), np.ones(9))
        >>> et = early_task(lcs, Task(np.array([0]), np.array([1]), np.array([2]), np.array([0, 1, 0])),
        ...                 days=(3.0,), n_per_object=2)
        >>> et.light_curves.lengths[et.test_at[3.0]].tolist(), et.target[et.train].tolist()
        ([1], [0, 0])
    """
    days = tuple(float(d) for d in days)
    if any(not d >= 0 for d in days):
        raise ValueError(f"scoring days must be >= 0, got {days}")
    target = np.asarray(task.target)
    parts, pos, start = [], {}, 0

    def add(name, ts: TruncatedSet, src_positions):
        nonlocal start
        parts.append((ts, np.asarray(src_positions)[ts.source]))
        pos[name] = np.arange(start, start + len(ts.light_curves))
        start += len(ts.light_curves)

    for name, part, s in (("train", task.train, seed), ("dev", task.dev, seed + 1)):
        sub = lcs.subset(np.asarray(part))
        add(name, augment_truncations(sub, n_per_object, s, min_days, max_days, include_whole=True), part)
    scoring = days + ((np.inf,) if np.inf not in days else ())
    for name, part in (("dev_at", task.dev), ("test_at", task.test)):
        sub = lcs.subset(np.asarray(part))
        grid = np.tile(np.asarray(scoring, float), (len(sub), 1))
        tag = "dev" if name == "dev_at" else "test"
        add(name, truncated_copies(sub, grid, [f"{tag}{_day_tag(d)}" for d in scoring]), part)
    all_lcs = LightCurves.concat([p[0].light_curves for p in parts])
    source = np.concatenate([p[1] for p in parts])
    k = int(n_per_object)
    train_whole, dev_whole = pos["train"][::k], pos["dev"][::k]  # copy 0 of each object is the whole curve
    at = {}
    for name in ("dev_at", "test_at"):
        block = pos[name].reshape(-1, len(scoring))
        at[name] = {d: block[:, j] for j, d in enumerate(scoring)}
    return EarlyTask(all_lcs, target[source], pos["train"], pos["dev"], train_whole, dev_whole, at["dev_at"],
                     at["test_at"], scoring)
