"""Paired views of the same simulated objects, stacked for view-invariance training and evaluation.

:func:`~astrokeras.simulation.simulate_views` observes one population through several *views*
(surveys, band subsets ``"lsst:gri"``, thinned cadences ``"ztf@0.5"``). This module adds

* alert views: ``"ztf#alerts"`` is the ``"ztf"`` view reduced to its S/N >= 5 detections
  (objects with fewer than two are absent), what an alert stream such as the ZTF BTS delivers
  (:func:`simulate_paired_views`);
* :func:`stack_views`: all views in one :class:`~astrokeras.photometry.LightCurves` with ids
  ``"{object_key}|{view}"`` and metadata ``object_key``, ``object_code`` (an integer per object,
  the pairing key of :func:`astrokeras.pipeline.make_paired_dataset`), ``view`` and ``survey``;
* :func:`band_subset`: the view of any light curves through some of their bands (e.g. real BTS r only);
* :func:`paired_dataset`: tokens + labels -> the batches of ``k`` views per object that
  :class:`~astrokeras.models.InvariantClassifier` trains on;
* :func:`split_objects`: train / validation by object, so no object has views on both sides.

Example:
    >>> import astrokeras as ak
    >>> views = simulate_paired_views(("ztf", "lsst", "ztf:g", "ztf#alerts"), classes={"SN Ia": 4}, seed=3)
    >>> stacked = stack_views(views)
    >>> sorted(set(stacked.metadata["view"])) <= ["lsst", "ztf", "ztf#alerts", "ztf:g"]
    True
    >>> int(stacked.metadata["object_code"].max()) + 1
    4
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurves

__all__ = ["ALERT_SUFFIX", "band_subset", "simulate_paired_views", "stack_views", "paired_dataset", "split_objects"]

ALERT_SUFFIX = "#alerts"
"""A view string ending in this is the alert (S/N >= 5 detections) copy of the view before it."""


def simulate_paired_views(views: Sequence[str], *, alert_snr: float = 5.0, min_detections: int = 2,
                          **simulate_kwargs) -> dict[str, LightCurves]:
    """:func:`~astrokeras.simulation.simulate_views` plus alert views (``"ztf#alerts"``).

    Args:
        views: view strings; the first must be a whole survey (the primary, which detects the
            objects). ``"V#alerts"`` is view ``V`` keeping observations with ``flux >= alert_snr *
            flux_err`` (objects with fewer than ``min_detections`` are absent from it); ``V``
            itself is returned only when listed too.
        alert_snr: detection threshold of the alert views.
        min_detections: fewest detections an object needs in an alert view.
        **simulate_kwargs: ``classes``, ``n``, ``seed``, ``redshift_range``, ... of ``simulate_views``.

    Returns:
        ``{view: LightCurves}`` in the order of ``views``.

    Raises:
        ValueError: a view listed twice, an alert view of an alert view, or what ``simulate_views`` rejects.
    """
    from astrokeras.simulation import simulate_views

    views = [str(v) for v in ([views] if isinstance(views, str) else views)]
    if len(set(views)) != len(views):
        raise ValueError(f"simulate_paired_views: views lists a view twice: {views}")
    bases = []
    for v in views:
        base = v[: -len(ALERT_SUFFIX)] if v.endswith(ALERT_SUFFIX) else v
        if ALERT_SUFFIX in base:
            raise ValueError(f"simulate_paired_views: view {v!r} is an alert view of an alert view")
        if base not in bases:
            bases.append(base)
    simulated = simulate_views(tuple(bases), **simulate_kwargs)
    out = {}
    for v in views:
        if not v.endswith(ALERT_SUFFIX):
            out[v] = simulated[v]
            continue
        alerts = simulated[v[: -len(ALERT_SUFFIX)]].detections(snr=alert_snr, min_detections=min_detections)
        meta = alerts.metadata.copy()
        meta["view"] = v
        alerts.metadata = meta
        out[v] = alerts
    return out


def stack_views(views: Mapping[str, LightCurves], object_codes: Mapping[str, int] | None = None) -> LightCurves:
    """All views in one set: ids ``"{object_key}|{view}"``, metadata ``object_key``, ``object_code``, ``view``.

    Args:
        views: ``{view: LightCurves}`` from :func:`simulate_paired_views` (every set's metadata has
            ``object_key``; empty views are skipped).
        object_codes: optional ``{object_key: code}`` (default: codes ``0..n_objects-1`` in order of
            first appearance).

    Returns:
        The stacked light curves (views in the given order).

    Raises:
        ValueError: a set without ``object_key`` metadata (naming the view), or an object key
            missing from ``object_codes``.
    """
    parts = []
    for view, lcs in views.items():
        if len(lcs) == 0:
            continue
        if "object_key" not in lcs.metadata.columns:
            raise ValueError(f"stack_views: view {view!r} has no 'object_key' metadata column "
                             "(make the views with simulate_views / simulate_paired_views)")
        photometry = lcs.photometry
        photometry["object_id"] = photometry["object_id"].astype(str) + f"|{view}"
        meta = lcs.metadata.copy()
        meta.index = meta.index.astype(str) + f"|{view}"
        meta.index.name = "object_id"
        meta["view"] = view
        parts.append(LightCurves.from_table(photometry, metadata=meta))
    if not parts:
        raise ValueError("stack_views: every view is empty")
    stacked = LightCurves.concat(parts)
    keys = stacked.metadata["object_key"].astype(str).to_numpy()
    if object_codes is None:
        codes = pd.factorize(keys)[0]
    else:
        missing = sorted(set(keys) - set(object_codes))
        if missing:
            raise ValueError(f"stack_views: object keys {missing[:3]} are not in object_codes")
        codes = np.array([object_codes[k] for k in keys])
    meta = stacked.metadata.copy()
    meta["object_code"] = codes.astype(np.int64)
    stacked.metadata = meta
    return stacked


def split_objects(stacked: LightCurves, val_fraction: float, seed: int = 0) -> tuple[LightCurves, LightCurves]:
    """Train / validation subsets of stacked views, split by object (every view of an object on one side),
    stratified by the ``label`` metadata column.

    Membership is looked up by hashing (linear time): a million views split in seconds.

    Example:
        >>> views = stack_views(simulate_paired_views(("ztf", "lsst"), classes={"SN Ia": 10, "SN II": 10}, seed=1))
        >>> train, val = split_objects(views, 0.2, seed=0)
        >>> set(train.metadata["object_key"]) & set(val.metadata["object_key"])
        set()
    """
    from astrokeras.evaluation import train_test_split_ids

    for column in ("object_key", "label"):
        if column not in stacked.metadata.columns:
            raise ValueError(f"split_objects: the metadata has no {column!r} column (stack the views with stack_views)")
    keys = stacked.metadata["object_key"].astype(str)
    first = ~keys.duplicated().to_numpy()
    train_keys, val_keys = train_test_split_ids(
        keys.to_numpy()[first], stacked.metadata["label"].astype(str).to_numpy()[first], val_fraction, seed=seed)
    return (stacked.subset(keys.isin(set(train_keys)).to_numpy()),
            stacked.subset(keys.isin(set(val_keys)).to_numpy()))


def paired_dataset(stacked: LightCurves, tokenizer=None, label_columns: Mapping[str, str] | None = None,
                   class_names: Mapping[str, Sequence[str]] | None = None, **dataset_kwargs):
    """Tokenize stacked views and build :func:`astrokeras.pipeline.make_paired_dataset`.

    Args:
        stacked: the output of :func:`stack_views`.
        tokenizer: default ``Tokenizer()``.
        label_columns: ``{label_name: metadata_column}`` (e.g. ``{"class": "label"}``).
        class_names: ``{label_name: [names]}`` mapping string columns to codes.
        **dataset_kwargs: ``objects_per_batch``, ``views_per_object``, ``shuffle``, ``seed``, ...

    Returns:
        The ``tf.data.Dataset`` (labels include ``"object"``).
    """
    from astrokeras.pipeline import _encode_column, make_paired_dataset
    from astrokeras.tokens import Tokenizer

    tokens = (tokenizer or Tokenizer()).tokenize(stacked)
    labels = {key: _encode_column(stacked.labels(column), key, column, (class_names or {}).get(key),
                                  stacked.object_ids)
              for key, column in (label_columns or {}).items()}
    codes = stacked.metadata["object_code"].to_numpy().astype(np.int64)
    return make_paired_dataset(tokens, codes, labels, **dataset_kwargs)


def band_subset(lcs: LightCurves, bands: Sequence[str], min_points: int = 1) -> LightCurves:
    """The view of (real or simulated) light curves through some of their bands.

    Args:
        lcs: light curves.
        bands: canonical band names to keep (e.g. ``["ztf::r"]``).
        min_points: objects with fewer points left are dropped (their metadata rows too).

    Returns:
        The reduced light curves (objects in the original order).

    Raises:
        ValueError: a band that no observation has (naming it and the bands present).

    Example:
        >>> lcs = LightCurves(["a", "a", "b"], [0.0, 1.0, 0.0], ["ztf::g", "ztf::r", "ztf::g"], [1.0] * 3, [1.0] * 3)
        >>> band_subset(lcs, ["ztf::r"]).object_ids.tolist()
        ['a']
    """
    bands = [str(b) for b in ([bands] if isinstance(bands, str) else bands)]
    present = set(np.unique(lcs.band).tolist())
    missing = [b for b in bands if b not in present]
    if missing:
        raise ValueError(f"band_subset: no observation in bands {missing}; bands present: {sorted(present)}")
    keep = np.isin(lcs.band, bands)
    owner = np.repeat(np.arange(len(lcs)), lcs.lengths)
    counts = np.bincount(owner[keep], minlength=len(lcs))
    objects = counts >= max(int(min_points), 1)
    keep &= objects[owner]
    return LightCurves(lcs.object_id[keep], lcs.time_mjd[keep], lcs.band[keep], lcs.flux[keep], lcs.flux_err[keep],
                       metadata=lcs.metadata.loc[lcs.object_ids[objects]].copy())
