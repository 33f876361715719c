"""Table 2 of Gupta et al. (2025): zero-shot ZTF -> LSST redshift estimation on simulations.

Paper table: Table 2 (Sec. 4.2, App. A and E).

Command::

    python -m astrofm recipes.table2                 # quick: the quick released encoders, CPU
    python -m astrofm recipes.table2 --full          # the paper-size encoders; 5 seeds, full-size sets

Encoders: as Table 1 (``astrokeras.tasks.table_encoders``): quick measures the quick releases and the
first two paper-size ones, ``--full`` the six ``NAME_full`` paper-size releases; each beside its
simulator-v1 release ``NAME_sim1`` where one exists.

Data: the simulated redshift presets ``ztf_redshift`` and ``lsst_redshift`` (cached under a key of
preset, scale and simulator version), each split train / dev / test 64/16/20 by object id
(stratified by class, seed 0). The evaluation set is the LSST *test* objects with ``z < 0.4``
(ZTF's redshift range; the paper's "zero-shot LSST subset"). Every learner early-stops on the dev
objects of its own training survey(s): a zero-shot row never sees an LSST redshift, not even for
early stopping.

Rows (MSE on that set: mean ± std over seeds, [95% bootstrap CI], paired comparisons in
``comparisons.md``):

* direct - heads trained with LSST redshifts: no pretraining (LSST only; ZTF + LSST) and, for each
  released encoder, a frozen-encoder MLP head on LSST only and on ZTF + LSST (all training
  redshifts, the full LSST range, as the paper's direct rows), plus "LSST z<0.4" (LSST training
  objects in the evaluation range: the fair upper bound, not in the paper);
* zero-shot MLP - the head is trained on ZTF redshifts only and applied to LSST (no pretraining:
  a GRU trained from scratch on ZTF, to convergence on ZTF dev);
* zero-shot kNN - distance-weighted k = 100 nearest ZTF training embeddings (App. E).

Expected (paper): zero-shot MLP contrastive 0.073, adversarial 0.074, classifier 0.104, no
pretraining 0.187; kNN 0.085; direct LSST-only no-pretraining 0.075. Our numbers: recipes/README.md.

Runtime and measured numbers: recipes/README.md (generated from recipes/results/).
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
from astrokeras.learners import LatentLearner, SequenceLearner
from astrokeras.protocol import Task, run_regression
from astrokeras.results import RunLog, commit_label, format_cell
from astrokeras.tasks import ENCODER_ROWS, encoder_row, simulated_redshift_sets, table_encoders

Z_MAX = 0.4
COLUMN = "LSST z<0.4 MSE"
SETTINGS = ("direct (LSST)", f"direct (LSST z<{Z_MAX:g})", "direct (ZTF + LSST)", "zero-shot MLP (ZTF)")


@dataclasses.dataclass(frozen=True)
class Config:
    # the paper-size releases (quick: the quick ones; astrokeras.tasks.table_encoders); missing ones are skipped
    encoders: tuple[str, ...] = table_encoders(quick=False)[0]
    # the previous (simulator v1) releases, ``NAME_sim1``: rows beside their retrained versions, with
    # paired comparisons of the zero-shot rows (never compared with anything else)
    previous_encoders: tuple[str, ...] = table_encoders(quick=False)[1]
    models_dir: str | None = None
    sim_scale: float = 1.0
    test_fraction: float = 0.2
    dev_fraction: float = 0.2
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    knn_k: int = 100
    head_grid: tuple[tuple[int, ...], ...] = ((64,), (128,))
    head_epochs: int = 300
    head_patience: int = 20
    scratch: bool = True
    scratch_settings: tuple[str, ...] = SETTINGS
    scratch_encoder: dict = dataclasses.field(default_factory=dict)  # GRUEncoder kwargs (default: paper size)
    scratch_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    sequence_hidden: tuple[int, ...] = (64,)
    sequence_epochs: int = 200
    sequence_patience: int = 10
    jit_compile: bool = True
    batch_size: int = 128
    n_jobs: int = 2
    n_boot: int = 2000
    quick: bool = False


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (released encoders, CPU) or full configuration."""
    if quick:
        encoders, previous = table_encoders(quick=True)
        config = Config(quick=True, encoders=encoders, previous_encoders=previous, sim_scale=0.5, seeds=(0, 1, 2),
                        scratch_seeds=(0,),
                        scratch_settings=("direct (LSST)", "zero-shot MLP (ZTF)"))
    else:
        config = Config()
    return dataclasses.replace(config, **overrides)


def load_sets(config: Config, workdir: str, notes: list | None = None):
    """Both simulated sets, concatenated (ZTF first), with train/dev/test positions per survey."""
    sets = simulated_redshift_sets(os.path.join(workdir, "data"), config.sim_scale, config.n_jobs,
                                   config.test_fraction, config.dev_fraction, notes)
    parts, splits, offset = [], {}, 0
    for survey in ("ztf", "lsst"):
        lcs, task = sets[survey]
        splits[survey] = [offset + task.train, offset + task.dev, offset + task.test]
        parts.append(lcs)
        offset += len(lcs)
    both = ak.LightCurves.concat(parts)
    if len(set(both.object_ids)) != len(both):
        raise ValueError("simulated ZTF and LSST object ids collide")
    return both, splits


def tasks_for(z: np.ndarray, splits: dict) -> tuple[dict[str, Task], np.ndarray]:
    (ztr, zdv, _), (ltr, ldv, lte) = splits["ztf"], splits["lsst"]
    low = lambda pos: pos[z[pos] < Z_MAX]  # noqa: E731
    test = low(lte)
    return {
        "direct (LSST)": Task(ltr, ldv, test, z),
        f"direct (LSST z<{Z_MAX:g})": Task(low(ltr), low(ldv), test, z),
        "direct (ZTF + LSST)": Task(np.r_[ztr, ltr], np.r_[zdv, ldv], test, z),
        "zero-shot MLP (ZTF)": Task(ztr, zdv, test, z),
    }, test


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Evaluate every row; write the result files; return the table."""
    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    sim_notes: list[str] = []
    both, splits = load_sets(config, workdir, sim_notes)
    z = both.metadata["redshift"].to_numpy(float)
    tasks, test = tasks_for(z, splits)
    log = RunLog(n_boot=config.n_boot)
    rows: list[str] = []
    notes = [f"evaluation: {len(test)} simulated LSST test objects with z < {Z_MAX} (training sets: "
             f"{len(splits['ztf'][0])} ZTF, {len(splits['lsst'][0])} LSST; dev {len(splits['ztf'][1])} / "
             f"{len(splits['lsst'][1])}).",
             "direct rows train on all LSST training redshifts (the full range, as the paper's direct rows) or, "
             f"'LSST z<{Z_MAX:g}', on those in the evaluation range (the fair upper bound); zero-shot rows never see "
             "an LSST redshift (they early-stop on ZTF dev)."] + sim_notes
    seq_kw = dict(hidden_units=config.sequence_hidden, epochs=config.sequence_epochs,
                  patience=config.sequence_patience, batch_size=config.batch_size, jit_compile=config.jit_compile)

    def record(row, learner, setting, seed):
        if row not in rows:
            rows.append(row)
        run_regression(log, row, COLUMN, learner, tasks[setting], split=0, seed=seed)

    if config.scratch:
        fresh = lambda: ak.GRUEncoder(n_features=3, name="gru_encoder", **config.scratch_encoder)  # noqa: E731
        learner = SequenceLearner(both, fresh, ak.Tokenizer(), "all", **seq_kw)
        for setting in config.scratch_settings:
            for seed in config.scratch_seeds:
                record(f"{setting.split(' (')[0]}: No pretraining ({setting.split(' (')[1]}", learner, setting, seed)
        print(f"[table2] no pretraining: {time.perf_counter() - t_start:.0f} s", flush=True)
        if config.quick:
            notes.append(f"QUICK MODE: no-pretraining rows {list(config.scratch_settings)} only, "
                         f"{len(config.scratch_seeds)} seed (trained to convergence on dev); simulated sets at "
                         f"{config.sim_scale:g} x 10,000; {len(config.seeds)} head seeds.")
        else:
            skipped = [s for s in SETTINGS if s not in config.scratch_settings]
            notes.append(f"No-pretraining rows: {list(config.scratch_settings)}, seeds {list(config.scratch_seeds)} "
                         f"(trained to convergence on dev)"
                         + (f"; not run (CPU budget): {skipped}." if skipped else "."))
    try:
        available = ak.list_encoders(config.models_dir)
    except FileNotFoundError:
        available = []
    encoders = [e for e in config.encoders + config.previous_encoders if e in available]
    missing = [e for e in config.encoders + config.previous_encoders if e not in available]
    if missing:
        notes.append(f"released encoders not found (rows skipped): {', '.join(missing)}.")
    enc_sha = {}
    for name in encoders:
        t0 = time.perf_counter()
        label = encoder_row(name)
        encoder = ak.load_encoder(name, config.models_dir)
        enc_sha[name] = ak.presets.encoder_info(name, config.models_dir).get("sha256")
        latent = ds.embed(encoder, both, ds.tokenizer_for(name, config.models_dir))
        learner = LatentLearner(latent, config.head_grid, config.head_epochs, config.head_patience)
        for setting in SETTINGS:
            for seed in config.seeds:
                record(f"{setting.split(' (')[0]}: {label} ({setting.split(' (')[1]}", learner, setting, seed)
        ztr = splits["ztf"][0]
        pred = ak.evaluation.knn_regress(latent[ztr], z[ztr], latent[test], k=config.knn_k)
        row = f"zero-shot kNN k={config.knn_k}: {label} (ZTF)"
        rows.append(row)
        log.add(row, COLUMN, "mse", split=0, seed=0, y_true=z[test], y_pred=pred)
        print(f"[table2] {label}: {time.perf_counter() - t0:.0f} s", flush=True)

    order = sorted(rows, key=lambda r: ("direct", "zero-shot MLP", "zero-shot kNN").index(r.split(":")[0].split(" k=")[0]))
    wall = time.perf_counter() - t_start
    notes.append(f"wall time {wall:.0f} s.")
    return write_outputs(log, order, notes, config, workdir, wall, enc_sha, both)


def write_outputs(log, order, notes, config, workdir, wall, enc_sha, both) -> pd.DataFrame:
    from astrokeras.results import array_fingerprint, provenance, write_table

    summary = log.summary()
    by_row = summary.set_index("row")
    table = pd.DataFrame({COLUMN: [format_cell(by_row.loc[r, "mean"], by_row.loc[r, "std"],
                                               (by_row.loc[r, "ci_low"], by_row.loc[r, "ci_high"]), digits=4)
                                   for r in order]}, index=pd.Index(order, name="row"))
    pairs = []
    previous = [encoder_row(p) for p in config.previous_encoders]
    for p in config.previous_encoders:  # retrained (simulator v2) - previous release, same objects and seeds
        for method in ("zero-shot MLP", f"zero-shot kNN k={config.knn_k}"):
            a, b = (f"{method}: {encoder_row(n)} (ZTF)" for n in (p[: -len("_sim1")], p))
            if a in order and b in order:
                pairs.append((a, b))
    zs = [r for r in order if r.startswith("zero-shot MLP") and r.split(": ", 1)[1].rsplit(" (", 1)[0] not in previous]
    scratch_zs = next((r for r in zs if "No pretraining" in r), None)
    for r in zs:
        if scratch_zs and r != scratch_zs:
            pairs.append((r, scratch_zs))
        label = r.split(": ", 1)[1].rsplit(" (", 1)[0]
        direct = f"direct: {label} (LSST)"
        if direct in order:
            pairs.append((r, direct))
    # each encoder against the plain ZTF + LSST classifier of its size (quick or paper-size)
    for suffix in ("", "_full"):
        base = f"zero-shot MLP: {ENCODER_ROWS['classifier_ztf_lsst' + suffix]} (ZTF)"
        if base in zs:
            pairs += [(r, base) for r in zs if r != base and "No pretraining" not in r
                      and r.endswith("paper-size pretraining (ZTF)") == bool(suffix)]
    comps = log.comparisons(pairs, [COLUMN])
    write_table(log.frame(), workdir, "runs")
    write_table(summary, workdir, "summary")
    comp_md = ak.reports.comparisons_markdown(comps, digits=4)
    write_table(comps, workdir, "comparisons", comp_md)
    prov = provenance(encoder_sha256=enc_sha, wall_time_s=round(wall, 1), config=dataclasses.asdict(config),
                      data_checksums={"sim_ztf_lsst": array_fingerprint(both.object_ids, both.time_mjd, both.flux)})
    ak.caching.atomic_write_text(os.path.join(workdir, "provenance.json"), json.dumps(prov, indent=1, default=str))
    md = ["**Table 2 (Gupta et al. 2025)** — `python -m astrofm recipes.table2" + ("" if config.quick else " --full") + "`",
          "", f"{commit_label(prov)}, "
          f"{prov['date_utc']}, wall time {wall / 60:.1f} min. Rows are `method: model (redshift training data)`; "
          "cells: mean ± std over seeds [95% bootstrap CI].", "", ak.evaluation.markdown_table(table)] \
        + [f"- {n}" for n in notes]
    ak.caching.atomic_write_text(os.path.join(workdir, "table2.md"), "\n".join(md) + "\n")
    width = max(len(r) for r in order) if order else 10
    for r in order:
        print(f"{r[:80]:<{min(width, 80)}}  {table.loc[r, COLUMN]}")
    print("\n".join(f"* {n}" for n in notes))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.table2", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="5 seeds everywhere, full-size sets, every scratch row")
    parser.add_argument("--workdir", default=None, help="default: runs/table2 (quick) or runs/table2_full")
    parser.add_argument("--models-dir", default=None, help="released encoders (default: saved_models/)")
    parser.add_argument("--sequence-seeds", type=int, default=None,
                        help="seeds 0..K-1 for the no-pretraining rows (default 5 with --full, 1 in quick mode)")
    parser.add_argument("--scratch-settings", default=None,
                        help="'|'-separated subset of the no-pretraining rows to train (default: all with --full); "
                             f"choices: {' | '.join(SETTINGS)}")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (1 lets two runs share 2 cores ~2x faster than one run)")
    args = parser.parse_args(argv)
    ak.training.limit_threads(args.threads)
    overrides = {"scratch_seeds": tuple(range(args.sequence_seeds))} if args.sequence_seeds else {}
    if args.scratch_settings:
        chosen = tuple(s.strip() for s in args.scratch_settings.split("|") if s.strip())
        unknown = [s for s in chosen if s not in SETTINGS]
        if unknown:
            parser.error(f"--scratch-settings: unknown {unknown}; choose from {list(SETTINGS)}")
        overrides["scratch_settings"] = chosen
    run(get_config(quick=not args.full, models_dir=args.models_dir, **overrides),
        args.workdir or os.path.join("runs", "table2" if not args.full else "table2_full"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
