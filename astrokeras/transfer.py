"""The cross-survey transfer protocol shared by ``recipes.cross_survey`` and ``recipes.token_format``.

The same simulated objects are seen through ZTF and other surveys (:func:`simulate_eval_views`,
paired views from :mod:`astrokeras.paired`); for each encoder, MLP heads are trained on ZTF latents
and applied zero-shot to every survey's latents of the same test objects, next to heads trained on
each survey directly; on real BTS curves a head trained on g+r latents is applied to g-only and
r-only views (:func:`bts_views`); a redshift-matched linear probe reads the survey
(:func:`astrokeras.alignment.survey_probe_auroc`). :func:`encoder_runs` returns the records a
:class:`astrokeras.results.RunLog` takes, so every number gets the paired bootstrap CIs of the
Table 1 protocol (:func:`ratio_ci`, :func:`bts_drop`).

``config`` is any object with the attributes these functions read (``recipes.cross_survey.Config``):
``targets``, ``n_per_class``, ``sim_seed`` (simulation); ``bts_min_points`` (BTS views);
``models_dir``, ``head_seeds``, ``hidden_units``, ``head_epochs``, ``head_patience`` (heads).

Example:
    >>> from recipes.cross_survey import get_config                          # doctest: +SKIP
    >>> views = simulate_eval_views(get_config(n_per_class=20), "runs/xs")   # doctest: +SKIP
    >>> sorted(views)                                                       # doctest: +SKIP
    ['atlas', 'des', 'lsst', 'ps1', 'ztf']
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np
import pandas as pd

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.bootstrap import weighted_metric
from astrokeras.results import RunLog
from astrokeras.tasks import bts_split

__all__ = ["BTS_SUBSETS", "TARGETS", "TransferConfig", "simulate_eval_views", "bts_views", "embed_views", "fit_predict",
           "encoder_runs",
           "ratio_ci", "bts_drop"]

#: the surveys the ZTF heads are applied to (zero-shot), each beside heads trained on it directly
TARGETS = ("lsst", "ps1", "atlas", "des")
#: the real BTS band subsets: a head trained on g+r latents is applied to each
BTS_SUBSETS = {"g+r": ("ztf::g", "ztf::r"), "r": ("ztf::r",), "g": ("ztf::g",)}


@dataclasses.dataclass(frozen=True)
class TransferConfig:
    """The settings the protocol reads (``recipes.cross_survey.Config`` has the same fields and more)."""

    models_dir: str | None = None
    targets: tuple[str, ...] = TARGETS
    n_per_class: int = 120                 # simulated objects per class (AGN left out), seen by every survey
    sim_seed: int = 9090
    head_seeds: tuple[int, ...] = (0, 1, 2)
    hidden_units: tuple[int, ...] = (64,)
    head_epochs: int = 300
    head_patience: int = 20
    bts: bool = True
    bts_min_points: int = 2                # BTS test objects need this many points in g and in r


# ------------------------------------------------------------------------------------ data
def simulate_eval_views(config: TransferConfig, workdir: str) -> dict[str, ak.LightCurves]:
    """The paired evaluation views (cached), reduced to the objects present in every survey, same order."""
    classes = {c: config.n_per_class for c in ak.simulation.CLASSES if c != "AGN"}
    views = ("ztf",) + tuple(config.targets)
    out = {}
    for view in views:  # one cache file per view, all made by one simulate_views call
        key = {"views": list(views), "classes": classes, "seed": config.sim_seed, "view": view}
        out[view] = ak.caching.cached_light_curves(os.path.join(workdir, "data"), f"cross_survey_{view}", key,
                                                   lambda: _simulate_all(views, classes, config, workdir)[view])
    common = set(out["ztf"].object_ids)
    for lcs in out.values():
        common &= set(lcs.object_ids)
    order = [i for i in out["ztf"].object_ids if i in common]
    return {v: lcs.subset(order) for v, lcs in out.items()}


_SIMULATED: dict = {}


def _simulate_all(views, classes, config, workdir):
    if views not in _SIMULATED:
        t0 = time.perf_counter()
        _SIMULATED[views] = ak.paired.simulate_paired_views(views, classes=classes, seed=config.sim_seed,
                                                            id_prefix=f"xs_{config.sim_seed}_")
        print(f"[cross_survey] simulated {len(views)} views of {sum(classes.values())} objects in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    return _SIMULATED[views]


def bts_views(config: TransferConfig):
    """BTS split 0 and its g+r / r / g views; the evaluation objects have >= ``bts_min_points`` in g and in r."""
    bts = ak.datasets.load_bts()
    split = bts_split(bts, seed=0)
    ids = bts.object_ids
    base = bts.subset(ids[np.r_[split.cls.train, split.cls.dev, split.cls.test]])
    views = {name: ak.paired.band_subset(base, bands, min_points=1) for name, bands in BTS_SUBSETS.items()}
    both = set(ak.paired.band_subset(base, ["ztf::g"], config.bts_min_points).object_ids) & \
        set(ak.paired.band_subset(base, ["ztf::r"], config.bts_min_points).object_ids)
    seen = set(views["g+r"].object_ids)
    roles = {"train": np.array([i for i in ids[split.cls.train] if i in seen]),
             "dev": np.array([i for i in ids[split.cls.dev] if i in seen]),
             "test": np.array([i for i in ids[split.cls.test] if i in both])}
    labels = pd.Series(np.asarray(split.cls.target), index=ids)
    return views, roles, labels


# --------------------------------------------------------------------------------- measures
def embed_views(name: str, views: dict, models_dir) -> dict[str, pd.DataFrame]:
    import warnings

    encoder = ak.load_encoder(name, models_dir)
    tokenizer = ds.tokenizer_for(name, models_dir)
    with warnings.catch_warnings():  # long curves are windowed around the peak, as in every recipe
        warnings.simplefilter("ignore", ak.tokens.TruncationWarning)
        return {v: pd.DataFrame(ds.embed(encoder, lcs, tokenizer), index=lcs.object_ids) for v, lcs in views.items()}


def fit_predict(z_train, y_train, z_dev, y_dev, z_tests, task, n_classes, config, seed):
    from astrokeras.downstream import fit_head, head_forward

    head = fit_head(z_train, y_train, task, n_classes=n_classes, hidden_units=config.hidden_units, seed=seed,
                    epochs=config.head_epochs, patience=config.head_patience, validation=(z_dev, y_dev))
    preds = [head_forward(head, z) for z in z_tests]
    return [p[:, 0] if task == "regression" else p for p in preds]


def ratio_ci(log: RunLog, row_a: str, row_b: str, column: str, level: float = 0.95) -> tuple[float, float, float]:
    """``metric(A) / metric(B)`` (seed means) with a percentile CI on the shared test resamples."""
    def boot(row, weights):
        runs = log.runs_for(row, column)
        truth = log.truth[(column, 0)]
        return np.mean([weighted_metric(r.metric, truth, r.y_pred, weights) for r in runs], axis=0)

    value = float(boot(row_a, None)[0] / boot(row_b, None)[0])
    w = log.weights(column)
    ratios = boot(row_a, w) / boot(row_b, w)
    lo, hi = np.nanquantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    return value, float(lo), float(hi)


def encoder_runs(name: str, config: TransferConfig, data: dict) -> tuple[list[dict], list[dict], float]:
    """Every head and probe of one encoder: ``(records for RunLog.add, probe rows, seconds)``."""
    t0 = time.perf_counter()
    views, train, dev, test = data["views"], data["train"], data["dev"], data["test"]
    y_class, y_z, n_classes = data["y_class"], data["y_z"], data["n_classes"]
    ids = views["ztf"].object_ids
    latents = embed_views(name, views, config.models_dir)
    z = {v: latents[v].loc[ids].to_numpy() for v in views}
    records = []

    def add(row, column, metric, seed, y_true, y_pred):
        records.append({"row": f"{name}|{row}", "column": column, "metric": metric, "seed": seed,
                        "y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred, np.float32)})

    blat = None
    if data["bts"] is not None:
        bviews, roles, labels = data["bts"]
        blat = embed_views(name, bviews, config.models_dir)
    for seed in config.head_seeds:
        # heads on ZTF, applied to every survey (zero-shot) / heads on each survey (direct)
        zs_z = fit_predict(z["ztf"][train], y_z[train], z["ztf"][dev], y_z[dev], [z[v][test] for v in views],
                           "regression", None, config, seed)
        zs_c = fit_predict(z["ztf"][train], y_class[train], z["ztf"][dev], y_class[dev], [z[v][test] for v in views],
                           "classification", n_classes, config, seed)
        for i, v in enumerate(views):
            add("zero-shot", f"z {v}", "mse", seed, y_z[test], zs_z[i])
            add("zero-shot", f"class {v}", "macro_auroc", seed, y_class[test], zs_c[i])
            if v == "ztf":
                continue
            (dz,) = fit_predict(z[v][train], y_z[train], z[v][dev], y_z[dev], [z[v][test]], "regression", None,
                                config, seed)
            (dc,) = fit_predict(z[v][train], y_class[train], z[v][dev], y_class[dev], [z[v][test]],
                                "classification", n_classes, config, seed)
            add("direct", f"z {v}", "mse", seed, y_z[test], dz)
            add("direct", f"class {v}", "macro_auroc", seed, y_class[test], dc)
        if blat is not None:
            gr = blat["g+r"]
            preds = fit_predict(gr.loc[roles["train"]].to_numpy(), labels[roles["train"]].to_numpy(),
                                gr.loc[roles["dev"]].to_numpy(), labels[roles["dev"]].to_numpy(),
                                [blat[s].loc[roles["test"]].to_numpy() for s in BTS_SUBSETS], "classification", 3,
                                config, seed)
            for s, p in zip(BTS_SUBSETS, preds):
                add("bts", f"BTS {s}", "macro_auroc", seed, labels[roles["test"]].to_numpy(), p)
    probes = []
    for v in config.targets:
        both = np.r_[z["ztf"], z[v]]
        probes.append({"encoder": name, "target": v, "probe_auroc": ak.alignment.survey_probe_auroc(
            both, np.repeat(["ztf", v], len(ids)), labels=np.r_[y_class, y_class], redshift=np.r_[y_z, y_z], seed=0)})
    return records, probes, round(time.perf_counter() - t0, 1)


def bts_drop(log: RunLog, name: str, subset: str) -> dict:
    """AUROC(g+r) - AUROC(subset) of the same heads on the same BTS test objects, paired CI."""
    runs_a, runs_b = log.runs_for(f"{name}|bts", "BTS g+r"), log.runs_for(f"{name}|bts", f"BTS {subset}")
    from astrokeras.bootstrap import paired_difference_ci

    res = paired_difference_ci("macro_auroc", log.truth[("BTS g+r", 0)], [r.y_pred for r in runs_a],
                               [r.y_pred for r in runs_b], log.weights("BTS g+r"))
    return {"value": res["difference"], "ci_low": res["ci"][0], "ci_high": res["ci"][1]}
