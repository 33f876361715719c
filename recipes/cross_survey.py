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
from astrokeras.results import RunLog, commit_label, format_cell, provenance, write_table
from astrokeras.tasks import (PAIRED_ENCODER_ROWS, PAPER_SIZE_ENCODER_ROWS, PREVIOUS_ENCODER_ROWS,
                             PREVIOUS_PAIRED_ENCODER_ROWS, QUICK_ENCODER_ROWS, encoder_row)
from astrokeras.transfer import (BTS_SUBSETS, TARGETS, TransferConfig, bts_drop, bts_views, encoder_runs,  # noqa: F401
                                 ratio_ci, simulate_eval_views)

#: the released encoders measured: current (simulator v2) quick, paired-view, paper-size, then the
#: simulator-v1 releases (``NAME_sim1``) for the paired v2 - v1 comparisons; missing ones are skipped
ENCODERS = (*QUICK_ENCODER_ROWS, *PAIRED_ENCODER_ROWS, *PAPER_SIZE_ENCODER_ROWS,
            *PREVIOUS_ENCODER_ROWS, *PREVIOUS_PAIRED_ENCODER_ROWS)
ROW_NAMES = {name: encoder_row(name) for name in ENCODERS}
TARGET_LIMITS = {"mse_ratio": 1.2, "auroc_drop": 0.02, "bts_auroc_drop": 0.03, "probe_auroc": 0.75}


@dataclasses.dataclass(frozen=True)
class Config(TransferConfig):
    """The protocol's settings (:class:`astrokeras.transfer.TransferConfig`) plus the encoders and comparisons."""

    encoders: tuple[str, ...] = ENCODERS
    # paired comparisons (A, B) of the zero-shot and BTS heads, written to comparisons.md
    compare: tuple[tuple[str, str], ...] = (
        ("invariant_ztf_lsst", "classifier_paired_ztf_lsst"), ("invariant_ztf_lsst", "classifier_ztf_lsst"),
        ("invariant_ztf_lsst_full", "classifier_paired_ztf_lsst_full"),
        ("invariant_ztf_lsst_full", "classifier_ztf_lsst_full"),
        *((name[: -len("_sim1")], name) for name in (*PREVIOUS_ENCODER_ROWS, *PREVIOUS_PAIRED_ENCODER_ROWS)))
    n_boot: int = 2000
    quick: bool = True


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (minutes on CPU) or full configuration."""
    config = Config() if quick else Config(n_per_class=400, head_seeds=(0, 1, 2, 3, 4), quick=False)
    return dataclasses.replace(config, **overrides)


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
    missing = [e for e in config.encoders if e not in available]
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
            path, lambda: encoder_runs(name, config, data), ak.caching.read_pickle, ak.caching.write_pickle)
        for rec in records:
            log.add(rec["row"], rec["column"], rec["metric"], split=0, seed=rec["seed"], y_true=rec["y_true"],
                    y_pred=rec["y_pred"])
        probes += encoder_probes
        rows.append(name)
        print(f"[cross_survey] {ROW_NAMES.get(name, name)}: {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - t_start
    return write_outputs(log, rows, probes, config, workdir, wall, t_sim, enc_sha, views, bts, seconds, missing)


# ---------------------------------------------------------------------------------- outputs
def write_outputs(log, rows, probes, config, workdir, wall, t_sim, enc_sha, views, bts, seconds,
                  missing=()) -> pd.DataFrame:
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
                drop = bts_drop(log, name, s)
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
    if missing:
        notes.append(f"released encoders not found (rows skipped): {', '.join(missing)}.")
    head = (f"**Cross-survey transfer** — `python -m astrofm recipes.cross_survey{'' if config.quick else ' --full'}`\n\n"
            f"{commit_label(prov)}, "
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
                                 + f"; {ak.results.load_note()}.\n")
    print(md)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.cross_survey", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="400 objects per class, 5 head seeds")
    parser.add_argument("--workdir", default=None, help="default: runs/cross_survey(_full)")
    parser.add_argument("--models-dir", default=None, help="released encoders (default: saved_models/)")
    parser.add_argument("--encoders", default=None, help="comma-separated encoder names (default: all released)")
    parser.add_argument("--seed", type=int, default=None, help="simulation seed (default 9090)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (1 lets two runs share 2 cores ~2x faster than one run)")
    args = parser.parse_args(argv)
    ak.training.limit_threads(args.threads)
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
