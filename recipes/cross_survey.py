"""Cross-survey transfer of the released encoders: zero-shot heads, band subsets, survey probes (issue 12).

Not a table of Gupta et al. (2025): it measures what their Table 2 and Figs. 4-5 argue, for every
released encoder (paper variants, the confusion variant and ``invariant_ztf_lsst``), on data no
encoder was pretrained on.

Command::

    python -m astrofm recipes.cross_survey            # quick: 120 objects per class, 3 head seeds
    python -m astrofm recipes.cross_survey --full     # 400 objects per class, 5 head seeds

Measurements (``cross_survey.md``; every number with a 95% bootstrap CI over the test objects,
differences paired on the same objects; ``astrokeras.bootstrap``):

1. **Paired simulations** (``astrokeras.paired``; seed 9090, fresh - pretraining used 0-2000s):
   the same ZTF-detected transients (7 classes) observed with forced photometry by ZTF, LSST, PS1,
   ATLAS and DES (PS1 / ATLAS / DES were never seen in pretraining). Objects are split 64/16/20 by
   id (stratified by class; only objects with points in every survey). Redshift and class heads
   (:func:`astrokeras.downstream.fit_head`, early-stopped on dev) are trained on the ZTF latents
   of the training objects and applied to the test objects' latents in survey S (*zero-shot*), or
   trained on S's own latents (*direct*). Reported: ``MSE zero-shot / MSE direct`` (target <= 1.2)
   and ``AUROC direct - AUROC zero-shot`` (target <= 0.02), macro AUROC over the 7 classes.
2. **Real band subsets**: BTS (Ia / Ib/c / II, split 0 of :func:`astrokeras.tasks.bts_split`) test
   objects with >= 2 points in each of g and r, embedded from g+r, r only and g only; one head per
   seed trained on g+r latents (dev for early stopping; no other choice is made) and evaluated on
   each. Reported: ``AUROC(g+r) - AUROC(subset)`` (target <= 0.03).
3. **Redshift-matched survey probe**: :func:`astrokeras.alignment.survey_probe_auroc` with
   ``labels`` and ``redshift`` on the ZTF vs S latents of all paired objects (target <= 0.75).

Expected: the paper's variants read the survey at probe AUROC 0.93-0.99 and lose accuracy when
the survey changes; numbers and where the invariant variant helps (or not): recipes/README.md.
Runtime (quick, measured on 2 CPU cores shared with ~10 other jobs, so an upper bound): simulation
10 min, then 2.7-6.5 min per encoder (embedding, 33 heads, 4 probes), 47 min for the ten encoders;
both are cached in the workdir (``data/``, ``cache/``), so adding an encoder re-runs that encoder
only; ``runtime.md`` lists the per-encoder times. Not measured on idle cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np
import pandas as pd

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.bootstrap import weighted_metric
from astrokeras.results import RunLog, format_cell, provenance, write_table
from astrokeras.tasks import ENCODER_ROWS, bts_split

TARGETS = ("lsst", "ps1", "atlas", "des")
ENCODERS = ("classifier_ztf", "classifier_ztf_lsst", "contrastive_ztf_lsst", "adversarial_ztf_lsst",
            "contrastive_adversarial_ztf_lsst", "adversarial_confusion_ztf_lsst", "classifier_paired_ztf_lsst",
            "invariant_ztf_lsst",
            "classifier_ztf_lsst_full", "contrastive_ztf_lsst_full", "invariant_ztf_lsst_full")
ROW_NAMES = {**ENCODER_ROWS, "invariant_ztf_lsst": "Classifier + view invariance (ours)",
             "classifier_paired_ztf_lsst": "Classifier on the paired views (control; ours)",
             "invariant_ztf_lsst_full": "Classifier + view invariance (ours), paper-size pretraining"}
BTS_SUBSETS = {"g+r": ("ztf::g", "ztf::r"), "r": ("ztf::r",), "g": ("ztf::g",)}
TARGET_LIMITS = {"mse_ratio": 1.2, "auroc_drop": 0.02, "bts_auroc_drop": 0.03, "probe_auroc": 0.75}


@dataclasses.dataclass(frozen=True)
class Config:
    encoders: tuple[str, ...] = ENCODERS
    models_dir: str | None = None
    targets: tuple[str, ...] = TARGETS
    n_per_class: int = 120
    sim_seed: int = 9090
    head_seeds: tuple[int, ...] = (0, 1, 2)
    hidden_units: tuple[int, ...] = (64,)
    head_epochs: int = 300
    head_patience: int = 20
    bts: bool = True
    bts_min_points: int = 2
    # paired comparisons (A, B) of the zero-shot and BTS heads, written to comparisons.md
    compare: tuple[tuple[str, str], ...] = (("invariant_ztf_lsst", "classifier_paired_ztf_lsst"),
                                            ("invariant_ztf_lsst", "classifier_ztf_lsst"))
    n_boot: int = 2000
    quick: bool = True


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (minutes on CPU) or full configuration."""
    config = Config() if quick else Config(n_per_class=400, head_seeds=(0, 1, 2, 3, 4), quick=False)
    return dataclasses.replace(config, **overrides)


# ------------------------------------------------------------------------------------ data
def simulate_eval_views(config: Config, workdir: str) -> dict[str, ak.LightCurves]:
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


def bts_views(config: Config):
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
def _embed_views(name: str, views: dict, models_dir) -> dict[str, pd.DataFrame]:
    import warnings

    encoder = ak.load_encoder(name, models_dir)
    tokenizer = ds.tokenizer_for(name, models_dir)
    with warnings.catch_warnings():  # long curves are windowed around the peak, as in every recipe
        warnings.simplefilter("ignore", ak.tokens.TruncationWarning)
        return {v: pd.DataFrame(ds.embed(encoder, lcs, tokenizer), index=lcs.object_ids) for v, lcs in views.items()}


def _fit_predict(z_train, y_train, z_dev, y_dev, z_tests, task, n_classes, config, seed):
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


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Every measurement for every available encoder; writes the result files; returns the table."""
    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    views = simulate_eval_views(config, workdir)
    t_sim = time.perf_counter() - t_start
    meta = views["ztf"].metadata
    ids = views["ztf"].object_ids
    classes = [c for c in ak.simulation.CLASSES if c != "AGN"]
    y_class = np.array([classes.index(c) for c in meta["label"]])
    y_z = meta["redshift"].to_numpy(float)
    train, dev, test = (ak.tasks.positions(views["ztf"], p) for p in ak.evaluation.train_dev_test_split_ids(
        ids, meta["label"].to_numpy(), 0.2, 0.2, seed=0))
    bts = bts_views(config) if config.bts else None
    try:
        available = ak.list_encoders(config.models_dir)
    except FileNotFoundError:
        available = []
    encoders = [e for e in config.encoders if e in available]
    log = RunLog(n_boot=config.n_boot)
    probes, rows, enc_sha, seconds = [], [], {}, {}
    data = {"views": views, "train": train, "dev": dev, "test": test, "y_class": y_class, "y_z": y_z,
            "n_classes": len(classes), "bts": bts}
    for name in encoders:
        t0 = time.perf_counter()
        enc_sha[name] = ak.presets.encoder_info(name, config.models_dir).get("sha256")
        # the runs of one encoder depend only on its file, the data and the config: cached in the workdir,
        # so adding an encoder later re-runs that encoder only
        settings = {k: v for k, v in dataclasses.asdict(config).items() if k not in ("encoders", "models_dir", "compare")}
        key = ak.caching.cache_key("cross_survey_runs", {"sha256": enc_sha[name], "config": settings,
                                                         "data": ak.results.array_fingerprint(ids, y_z)}, 1)
        path = os.path.join(workdir, "cache", f"{name}_{key}.pkl")
        records, encoder_probes, seconds[name] = ak.caching.cached(
            path, lambda: encoder_runs(name, config, data), _read_pickle, _write_pickle)
        for rec in records:
            log.add(rec["row"], rec["column"], rec["metric"], split=0, seed=rec["seed"], y_true=rec["y_true"],
                    y_pred=rec["y_pred"])
        probes += encoder_probes
        rows.append(name)
        print(f"[cross_survey] {ROW_NAMES.get(name, name)}: {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - t_start
    return write_outputs(log, rows, probes, config, workdir, wall, t_sim, enc_sha, views, bts, seconds)


def encoder_runs(name: str, config: Config, data: dict) -> tuple[list[dict], list[dict], float]:
    """Every head and probe of one encoder: ``(records for RunLog.add, probe rows, seconds)``."""
    t0 = time.perf_counter()
    views, train, dev, test = data["views"], data["train"], data["dev"], data["test"]
    y_class, y_z, n_classes = data["y_class"], data["y_z"], data["n_classes"]
    ids = views["ztf"].object_ids
    latents = _embed_views(name, views, config.models_dir)
    z = {v: latents[v].loc[ids].to_numpy() for v in views}
    records = []

    def add(row, column, metric, seed, y_true, y_pred):
        records.append({"row": f"{name}|{row}", "column": column, "metric": metric, "seed": seed,
                        "y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred, np.float32)})

    blat = None
    if data["bts"] is not None:
        bviews, roles, labels = data["bts"]
        blat = _embed_views(name, bviews, config.models_dir)
    for seed in config.head_seeds:
        # heads on ZTF, applied to every survey (zero-shot) / heads on each survey (direct)
        zs_z = _fit_predict(z["ztf"][train], y_z[train], z["ztf"][dev], y_z[dev], [z[v][test] for v in views],
                            "regression", None, config, seed)
        zs_c = _fit_predict(z["ztf"][train], y_class[train], z["ztf"][dev], y_class[dev], [z[v][test] for v in views],
                            "classification", n_classes, config, seed)
        for i, v in enumerate(views):
            add("zero-shot", f"z {v}", "mse", seed, y_z[test], zs_z[i])
            add("zero-shot", f"class {v}", "macro_auroc", seed, y_class[test], zs_c[i])
            if v == "ztf":
                continue
            (dz,) = _fit_predict(z[v][train], y_z[train], z[v][dev], y_z[dev], [z[v][test]], "regression", None,
                                 config, seed)
            (dc,) = _fit_predict(z[v][train], y_class[train], z[v][dev], y_class[dev], [z[v][test]],
                                 "classification", n_classes, config, seed)
            add("direct", f"z {v}", "mse", seed, y_z[test], dz)
            add("direct", f"class {v}", "macro_auroc", seed, y_class[test], dc)
        if blat is not None:
            gr = blat["g+r"]
            preds = _fit_predict(gr.loc[roles["train"]].to_numpy(), labels[roles["train"]].to_numpy(),
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


def _read_pickle(path: str):
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)


def _write_pickle(value, path: str) -> None:
    import pickle

    def write(tmp):
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh)
    ak.caching.atomic_write(path, write)


# ---------------------------------------------------------------------------------- outputs
def write_outputs(log, rows, probes, config, workdir, wall, t_sim, enc_sha, views, bts, seconds) -> pd.DataFrame:
    probes = pd.DataFrame(probes, columns=["encoder", "target", "probe_auroc"])
    records = []
    for name in rows:
        for v in config.targets:
            ratio = ratio_ci(log, f"{name}|zero-shot", f"{name}|direct", f"z {v}")
            drop = log.compare(f"{name}|direct", f"{name}|zero-shot", f"class {v}")
            records.append({"encoder": name, "measure": "mse_ratio", "target": v, "value": ratio[0],
                            "ci_low": ratio[1], "ci_high": ratio[2]})
            records.append({"encoder": name, "measure": "auroc_drop", "target": v, "value": drop["difference"],
                            "ci_low": drop["ci_low"], "ci_high": drop["ci_high"]})
            p = probes[(probes.encoder == name) & (probes.target == v)]["probe_auroc"]
            records.append({"encoder": name, "measure": "probe_auroc", "target": v, "value": float(p.iloc[0]),
                            "ci_low": np.nan, "ci_high": np.nan})
        if bts is not None:
            for s in ("r", "g"):
                drop = _bts_drop(log, name, s)
                records.append({"encoder": name, "measure": "bts_auroc_drop", "target": s, **drop})
    results = pd.DataFrame(records)
    results["meets_target"] = [bool(v <= TARGET_LIMITS[m]) if np.isfinite(v) else False
                               for m, v in zip(results["measure"], results["value"])]
    write_table(results, workdir, "cross_survey")
    write_table(log.frame(), workdir, "runs")
    summary = log.summary()
    write_table(summary, workdir, "summary")

    def cell(name, measure, target, digits=2):
        r = results[(results.encoder == name) & (results.measure == measure) & (results.target == target)].iloc[0]
        text = f"{r['value']:.{digits}f}"
        if np.isfinite(r["ci_low"]):
            text += f" [{r['ci_low']:.{digits}f}, {r['ci_high']:.{digits}f}]"
        return f"**{text}**" if r["meets_target"] else text

    table = pd.DataFrame(index=pd.Index([ROW_NAMES.get(n, n) for n in rows], name="encoder"))
    for v in config.targets:
        table[f"MSE ratio {v.upper()}"] = [cell(n, "mse_ratio", v) for n in rows]
    for v in config.targets:
        table[f"AUROC drop {v.upper()}"] = [cell(n, "auroc_drop", v, 3) for n in rows]
    if bts is not None:
        for s in ("r", "g"):
            table[f"BTS drop {s} only"] = [cell(n, "bts_auroc_drop", s, 3) for n in rows]
    for v in config.targets:
        table[f"probe {v.upper()}"] = [cell(n, "probe_auroc", v) for n in rows]
    direct = pd.DataFrame(index=table.index)
    by = summary.set_index(["row", "column"])
    for v in ("ztf",) + tuple(config.targets):
        for kind, col, digits in (("zero-shot", f"z {v}", 4), ("zero-shot", f"class {v}", 3),
                                  ("direct", f"z {v}", 4), ("direct", f"class {v}", 3)):
            if v == "ztf" and kind == "direct":
                continue
            key = lambda n: (f"{n}|{kind}", col)  # noqa: E731
            direct[f"{kind} {col}"] = [format_cell(by.loc[key(n), "mean"], by.loc[key(n), "std"],
                                                   (by.loc[key(n), "ci_low"], by.loc[key(n), "ci_high"]), digits)
                                       if key(n) in by.index else "—" for n in rows]
    if bts is not None:
        for s in BTS_SUBSETS:
            direct[f"BTS AUROC {s}"] = [format_cell(by.loc[(f"{n}|bts", f"BTS {s}"), "mean"],
                                                    by.loc[(f"{n}|bts", f"BTS {s}"), "std"],
                                                    (by.loc[(f"{n}|bts", f"BTS {s}"), "ci_low"],
                                                     by.loc[(f"{n}|bts", f"BTS {s}"), "ci_high"]), 3) for n in rows]
    pairs = [(f"{a}|{kind}", f"{b}|{kind}") for a, b in config.compare if a in rows and b in rows
             for kind in ("zero-shot", "bts")]
    columns = [f"{m} {v}" for v in config.targets for m in ("z", "class")] + [f"BTS {s}" for s in BTS_SUBSETS]
    comps = log.comparisons(pairs, columns)
    write_table(comps, workdir, "comparisons", ak.reports.comparisons_markdown(comps, digits=4))
    prov = provenance(encoder_sha256=enc_sha, wall_time_s=round(wall, 1), simulation_s=round(t_sim, 1),
                      encoder_compute_s=seconds,
                      config=dataclasses.asdict(config),
                      data_checksums={v: ak.results.array_fingerprint(l.object_ids, l.time_mjd, l.flux)
                                      for v, l in views.items()})
    ak.caching.atomic_write_text(os.path.join(workdir, "provenance.json"), json.dumps(prov, indent=1, default=str))
    n_obj = len(views["ztf"])
    notes = [f"{n_obj} paired objects (7 transient classes, {config.n_per_class} simulated per class, ZTF-detected, "
             f"seed {config.sim_seed}; present in every survey), test {int(round(0.2 * n_obj))}; "
             f"{len(config.head_seeds)} head seeds; forced photometry in every survey.",
             "MSE ratio = zero-shot MSE (head trained on ZTF latents) / direct MSE (head trained on the survey's own "
             "latents), on the same test objects; AUROC drop = direct - zero-shot macro AUROC; BTS drop = AUROC of "
             "the g+r head on g+r latents - on r-only / g-only latents of the same test objects; probe = "
             "redshift-matched survey-probe AUROC, ZTF vs the survey (0.5 = survey unreadable). "
             "[95% bootstrap CI]; **bold** = meets the issue's target "
             f"(ratio <= {TARGET_LIMITS['mse_ratio']}, drop <= {TARGET_LIMITS['auroc_drop']}, BTS drop <= "
             f"{TARGET_LIMITS['bts_auroc_drop']}, probe <= {TARGET_LIMITS['probe_auroc']}).",
             "PS1, ATLAS and DES were never seen in pretraining (the invariant variant's views are ZTF and LSST "
             "surveys, band subsets, thinned cadences and ZTF alerts)."]
    if bts is not None:
        notes.append(f"BTS: split 0, {len(bts[1]['train'])} train / {len(bts[1]['dev'])} dev (g+r) objects; "
                     f"{len(bts[1]['test'])} test objects with >= {config.bts_min_points} points in g and in r.")
    head = (f"**Cross-survey transfer** — `python -m astrofm recipes.cross_survey{'' if config.quick else ' --full'}`\n\n"
            f"Commit `{(prov['git_commit'] or 'unknown')[:10]}`{' (uncommitted changes)' if prov['git_dirty'] else ''}, "
            f"{prov['date_utc']}, wall time of this invocation {wall / 60:.1f} min (simulation and per-encoder runs "
            f"are cached in the workdir; first-run compute per encoder: `runtime.md`, "
            f"{sum(seconds.values()) / 60:.0f} min in all).\n\n")
    md = head + ak.evaluation.markdown_table(table) + "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    ak.caching.atomic_write_text(os.path.join(workdir, "cross_survey.md"), md)
    detail = ("Cells: mean ± std over head seeds [95% bootstrap CI] (MSE of z; macro AUROC).\n\n"
              + ak.evaluation.markdown_table(direct.T.rename_axis("measure")) + "\n")
    ak.caching.atomic_write_text(os.path.join(workdir, "details.md"), detail)
    ak.caching.atomic_write_text(os.path.join(workdir, "runtime.md"),
                                 f"Wall time of this invocation {wall / 60:.1f} min (simulation {t_sim / 60:.1f} min; "
                                 f"simulation and per-encoder runs are cached in the workdir). Per-encoder compute "
                                 f"(embedding + heads + probes, when first run): "
                                 + ", ".join(f"{n} {s / 60:.1f} min" for n, s in seconds.items())
                                 + f"; {prov['machine']['cpus']} CPUs, shared with other jobs.\n")
    print(md)
    return table


def _bts_drop(log: RunLog, name: str, subset: str) -> dict:
    """AUROC(g+r) - AUROC(subset) of the same heads on the same BTS test objects, paired CI."""
    runs_a, runs_b = log.runs_for(f"{name}|bts", "BTS g+r"), log.runs_for(f"{name}|bts", f"BTS {subset}")
    from astrokeras.bootstrap import paired_difference_ci

    res = paired_difference_ci("macro_auroc", log.truth[("BTS g+r", 0)], [r.y_pred for r in runs_a],
                               [r.y_pred for r in runs_b], log.weights("BTS g+r"))
    return {"value": res["difference"], "ci_low": res["ci"][0], "ci_high": res["ci"][1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.cross_survey", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="400 objects per class, 5 head seeds")
    parser.add_argument("--workdir", default=None, help="default: runs/cross_survey(_full)")
    parser.add_argument("--models-dir", default=None, help="released encoders (default: saved_models/)")
    parser.add_argument("--encoders", default=None, help="comma-separated encoder names (default: all released)")
    parser.add_argument("--seed", type=int, default=None, help="simulation seed (default 9090)")
    args = parser.parse_args(argv)
    overrides = {"models_dir": args.models_dir}
    if args.encoders:
        overrides["encoders"] = tuple(args.encoders.split(","))
    if args.seed is not None:
        overrides["sim_seed"] = args.seed
    run(get_config(quick=not args.full, **overrides),
        args.workdir or os.path.join("runs", "cross_survey" if not args.full else "cross_survey_full"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
