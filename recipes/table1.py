"""Table 1 of Gupta et al. (2025): downstream tasks for each released encoder, with baselines.

Paper table: Table 1 (Sec. 4.1; protocols Sec. 2.3; heads Sec. 3.5 and App. B.4).

Command::

    python -m astrofm recipes.table1                 # quick: the quick released encoders, CPU
    python -m astrofm recipes.table1 --full          # the paper-size encoders; 5 seeds on every row and split

Rows: no pretraining (the same ``GRUEncoder`` + head trained end to end, to convergence), the
released encoders (frozen; two-layer MLP heads; quick: the six quick releases and the first two
paper-size ones, ``--full``: the six ``NAME_full`` paper-size releases; each beside its simulator-v1
release ``NAME_sim1`` where one exists, see ``astrokeras.tasks.table_encoders``), the light-curve features + gradient boosting, and a
hybrid (features + the dev-selected encoder's latent, same gradient boosting).

Protocol (``astrokeras.protocol``, ``astrokeras.learners``; recipes/README.md explains it):

* **Splits.** BTS Ia / Ib/c / II objects: train / dev / test by object id, stratified by class (test
  20%, dev 20% of the rest); the 165 anomalies are split half dev, half test (never trained on).
  Every BTS number is also measured over **5 outer split seeds** (split 0 is the fixed split).
  EROS-1: its own test set; dev = 20% of its training set. Simulated redshift: 64/16/20.
* **Choices on dev only**: every learner early-stops (or picks its boosting iterations) on the dev
  objects; heads pick their size from ``head_grid`` on dev; the anomaly forest (global or per class)
  is chosen on dev anomalies; the encoder used for EROS fine-tuning and the hybrid row is the one
  with the best dev BTS class AUROC (Full); temperature scaling is fitted on dev.
* **Uncertainty.** Each cell: mean ± std over seeds on split 0, a 95% bootstrap CI (2,000 resamples
  of the split-0 test objects, paired across rows) and mean ± std over the outer splits;
  ``comparisons.md`` gives paired bootstrap CIs of the differences the README states.
* **Columns**: BTS class macro AUROC (Limited = 512 labels per seed / Full), BTS redshift MSE x 10^3,
  BTS anomaly AUROC, EROS-1 macro AUROC (GRU unfrozen; our stand-in for Kepler), simulated ZTF/LSST
  redshift MSE; plus ECE before/after temperature scaling, per-class AUROC, confusion matrices and
  reliability diagrams (files).

Outputs (``--workdir``, default ``runs/table1``): ``table1.md`` (headline), ``summary.csv`` (every
cell), ``runs.csv`` (every run), ``comparisons.csv/md``, ``calibration.md``, ``per_class_auroc.csv``,
``confusion_*.csv/png``, ``reliability_*.png``, ``provenance.json`` (command, commit, versions,
data and encoder checksums). ``python -m astrofm recipes.publish`` copies them into
``recipes/results/`` and regenerates the README tables.

Expected (paper, Limited/Full): BTS AUROC 0.88/0.91 (classifier ZTF+LSST) vs 0.64/0.85 without
pretraining; anomaly ~0.6; Kepler 0.97. Measured numbers (with CIs) and runtimes: recipes/README.md,
generated from recipes/results/.
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
from astrokeras.learners import FeatureLearner, LatentLearner, SequenceLearner
from astrokeras.progress import Progress
from astrokeras.protocol import Task, run_anomaly, run_classification, run_regression, scenario_subset
from astrokeras.results import RunLog, commit_label, format_cell
from astrokeras.tasks import (BTS_CLASSES, ENCODER_ROWS, EROS_CLASSES, PAIRED_ENCODER_ROWS, PREVIOUS_ENCODER_ROWS,
                              QUICK_ENCODER_ROWS, encoder_row, FEATURE_ROW, SCRATCH_ROW, SIM_BANDS, BTSSplit, bts_split,
                              table_encoders)

SCENARIOS = ("Lim.", "Full")


def hybrid_row(encoder_row: str) -> str:
    return f"Features + latent of {encoder_row} + HGB"


def col(task: str, scenario: str | None = None) -> str:
    return task if scenario is None else f"{task} ({scenario})"


CLASS, ZMSE, ANOM, EROS = "BTS class AUROC", "BTS z MSE×10³", "BTS anomaly AUROC", "EROS-1 AUROC"
COLUMNS = ([col(CLASS, s) for s in SCENARIOS] + [col(ZMSE, s) for s in SCENARIOS]
           + [col(ANOM, s) for s in SCENARIOS] + [col(EROS, s) for s in SCENARIOS]
           + ["Sim ZTF z MSE", "Sim LSST z MSE"])
#: the columns printed on the console and compared in comparisons.md
HEADLINE = [col(CLASS, "Lim."), col(CLASS, "Full"), col(ZMSE, "Full"), col(ANOM, "Full"), col(EROS, "Full")]


@dataclasses.dataclass(frozen=True)
class Config:
    # the paper-size releases (quick: the quick ones; astrokeras.tasks.table_encoders); missing ones are skipped
    encoders: tuple[str, ...] = table_encoders(quick=False)[0]
    # earlier releases evaluated beside the current ones (rows only: never dev-selected); missing ones are skipped
    previous_encoders: tuple[str, ...] = table_encoders(quick=False)[1]
    models_dir: str | None = None           # default: $ASTROKERAS_MODELS or saved_models/
    data_home: str | None = None            # default: $ASTROKERAS_DATA
    tasks: tuple[str, ...] = ("bts", "eros", "sim")
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)          # training seeds on the fixed split (split 0)
    split_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)    # outer BTS splits (0 = the fixed split)
    other_split_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # training seeds on splits other than 0
    n_limited: int = 512
    test_fraction: float = 0.2
    dev_fraction: float = 0.2
    anomaly_test_fraction: float = 0.5
    head_grid: tuple[tuple[int, ...], ...] = ((64,), (128,))
    head_epochs: int = 300
    head_patience: int = 20
    # end-to-end rows (no pretraining; EROS fine-tuning): trained to convergence on dev
    scratch: bool = True
    scratch_tasks: tuple[str, ...] = ("bts", "eros", "sim")
    scratch_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    scratch_split_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    scratch_other_split_seeds: tuple[int, ...] = (0,)
    scratch_encoder: dict = dataclasses.field(default_factory=dict)  # GRUEncoder kwargs (default: paper size)
    sequence_hidden: tuple[int, ...] = (64,)
    sequence_epochs: int = 200
    sequence_patience: int = 10
    eros_encoders: tuple[str, ...] | None = None  # None: the dev-selected encoder
    selected_encoder: str | None = None     # None: chosen on BTS dev here; set it when BTS is not in `tasks`
    eros_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    sim_scale: float = 1.0                  # fraction of the 10,000-curve redshift presets
    sim_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    features: bool = True
    hybrid: bool = True
    jit_compile: bool = True
    batch_size: int = 128
    n_jobs: int = 2
    n_boot: int = 2000
    quick: bool = False


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (released encoders, CPU, ~15 min) or full configuration."""
    if quick:
        encoders, previous = table_encoders(quick=True)
        config = Config(quick=True, encoders=encoders, previous_encoders=previous, other_split_seeds=(0,),
                        scratch_tasks=("bts",), scratch_seeds=(0,),
                        scratch_split_seeds=(0,), eros_seeds=(0,), sim_scale=0.5, sim_seeds=(0, 1, 2))
    else:
        config = Config(other_split_seeds=(0,))
    return dataclasses.replace(config, **overrides)


def reference_config(models_dir: str | None = None, data_home: str | None = None) -> Config:
    """The small fixed configuration whose numbers are committed in recipes/results/reference_small
    and re-checked by the test suite (a change that moves results is seen): one released encoder,
    BTS only, one seed, the fixed split, no from-scratch row, no EROS/simulations. The encoder is a
    frozen earlier release (``NAME_sim1``, never retrained), so retraining the current ones moves nothing here."""
    return get_config(quick=True, encoders=("classifier_ztf_lsst_full_sim1",), previous_encoders=(), tasks=("bts",),
                      seeds=(0,),
                      split_seeds=(0,), scratch=False, features=False, hybrid=False, head_grid=((64,),),
                      n_boot=500, models_dir=models_dir, data_home=data_home)


# ----------------------------------------------------------------------------------- data
@dataclasses.dataclass
class Data:
    bts: ak.LightCurves | None = None
    eros: ak.LightCurves | None = None
    eros_task: Task | None = None
    sim: dict = dataclasses.field(default_factory=dict)        # survey -> (lcs, Task)
    checksums: dict = dataclasses.field(default_factory=dict)


def load_data(config: Config, workdir: str, notes: list) -> Data:
    data = Data()
    if "bts" in config.tasks:
        try:
            data.bts = ak.datasets.load_bts(config.data_home)
        except (ak.datasets.DatasetNotFoundError, FileNotFoundError) as err:
            notes.append(f"BTS columns missing: the ZTF BTS data are not available ({err}).")
    if "eros" in config.tasks:
        try:
            data.eros = ak.datasets.load_eros("all", config.data_home)
            data.eros_task = ak.tasks.eros_task(data.eros)
        except (ak.datasets.DatasetNotFoundError, FileNotFoundError):
            info = ak.datasets.availability(config.data_home)["eros1_ramp"]
            notes.append(f"EROS-1 columns missing: the EROS-1 data are not available ({info['reason']}); get them "
                         f"with `{info['command']}`.")
    if "sim" in config.tasks:
        data.sim = ak.tasks.simulated_redshift_sets(os.path.join(workdir, "data"), config.sim_scale, config.n_jobs,
                                                    config.test_fraction, config.dev_fraction, notes)
    for name, lcs in (("bts", data.bts), ("eros", data.eros), *((f"sim_{k}", v[0]) for k, v in data.sim.items())):
        if lcs is not None:
            data.checksums[name] = ak.results.array_fingerprint(lcs.object_ids, lcs.time_mjd, lcs.flux)
    return data


def features_for(data: Data, key: str, lcs, bands, workdir: str, config: Config) -> np.ndarray:
    """light-curve features, cached (key: data checksum + feature code version)."""
    key_cfg = {"data": data.checksums.get(key), "bands": list(bands)}
    name = f"features_{key}_{ak.caching.cache_key(key, key_cfg, ak.features.FEATURES_VERSION)}.parquet"
    frame = ak.caching.cached(
        os.path.join(workdir, "data", name),
        lambda: ak.features.light_curve_features(lcs, bands, n_jobs=config.n_jobs),
        pd.read_parquet, lambda df, p: ak.caching.atomic_write(p, df.to_parquet))
    return frame.to_numpy(dtype=float)


# ----------------------------------------------------------------------------- evaluation
def evaluate_bts(log: RunLog, row: str, learner, splits: dict[int, BTSSplit], config: Config,
                 seeds_for_split, choices: list) -> None:
    """Every BTS column of one row: class (with calibration on split 0), anomaly, redshift."""
    for split, sp in splits.items():
        for scenario in SCENARIOS:
            for seed in seeds_for_split(split):
                tr = scenario_subset(sp.cls.train, scenario, config.n_limited, seed, sp.cls.target)
                task = dataclasses.replace(sp.cls, train=tr)
                fitted = run_classification(log, row, col(CLASS, scenario), learner, task, 3, split=split, seed=seed,
                                            calibration=split == 0, ece_column=col("BTS class", scenario))
                variant = run_anomaly(log, row, col(ANOM, scenario), fitted, tr, sp.cls.target[tr], sp.dev_ad,
                                      sp.is_anomaly[sp.dev_ad], sp.test_ad, sp.is_anomaly[sp.test_ad],
                                      split=split, seed=seed)
                trz = scenario_subset(sp.z.train, scenario, config.n_limited, seed)
                fz = run_regression(log, row, col(ZMSE, scenario), learner, dataclasses.replace(sp.z, train=trz),
                                    split=split, seed=seed, scale=1e3)
                choices.append({"row": row, "split": split, "scenario": scenario, "seed": seed,
                                "class": fitted.info, "anomaly_forest": variant, "redshift": fz.info})


def evaluate_eros(log: RunLog, row: str, learner, task: Task, config: Config, seeds, choices: list) -> None:
    for scenario in SCENARIOS:
        for seed in seeds:
            tr = scenario_subset(task.train, scenario, config.n_limited, seed, task.target)
            fitted = run_classification(log, row, col(EROS, scenario), learner, dataclasses.replace(task, train=tr), 4,
                                        split=0, seed=seed, calibration=True, ece_column=col("EROS-1", scenario))
            choices.append({"row": row, "task": "eros", "scenario": scenario, "seed": seed, "class": fitted.info})


def evaluate_sim(log: RunLog, row: str, learner_for, data: Data, seeds, choices: list) -> None:
    for survey, (lcs, task) in data.sim.items():
        learner = learner_for(survey)
        for seed in seeds:
            fitted = run_regression(log, row, f"Sim {survey.upper()} z MSE", learner, task, split=0, seed=seed)
            choices.append({"row": row, "task": f"sim_{survey}", "seed": seed, "redshift": fitted.info})


# ------------------------------------------------------------------------------------ run
def run(config: Config, workdir: str) -> pd.DataFrame:
    """Evaluate every row and column; write the result files; return the headline table."""
    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    notes: list[str] = []
    data = load_data(config, workdir, notes)
    try:
        available = ak.list_encoders(config.models_dir)
    except FileNotFoundError:
        available = []
    encoders = [e for e in config.encoders if e in available]
    missing = [e for e in config.encoders if e not in available]
    if missing:
        notes.append(f"released encoders not found (rows skipped): {', '.join(missing)}; make them with "
                     "`python -m astrofm recipes.pretrain --variant all --release`.")
    previous = [e for e in config.previous_encoders if e in available and e not in encoders]
    if previous:
        notes.append(f"previous releases shown beside the current ones (never dev-selected): {', '.join(previous)}.")
    if config.features and not _has_light_curve():
        notes.append("feature baseline skipped: the light-curve package is missing.")
        config = dataclasses.replace(config, features=False)
    for note in notes:
        print(f"* {note}", flush=True)

    log = RunLog(n_boot=config.n_boot)
    choices: list[dict] = []
    splits = ({s: bts_split(data.bts, s, config.test_fraction, config.dev_fraction, config.anomaly_test_fraction)
               for s in config.split_seeds} if data.bts is not None else {})
    frozen_seeds = lambda s: config.seeds if s == 0 else config.other_split_seeds  # noqa: E731
    stages = ([SCRATCH_ROW] if config.scratch else []) + [encoder_row(e) for e in encoders + previous] \
        + (["features"] if config.features else []) \
        + (["hybrid"] if config.features and config.hybrid and encoders else []) + (["EROS fine-tuning"] if encoders else [])
    progress = Progress(stages, name="table1")
    timings: dict[str, float] = {}
    tokenizers, latents, enc_sha = {}, {}, {}

    def timed(name, fn):
        t0 = time.perf_counter()
        with progress.stage(name):
            fn()
        timings[name] = time.perf_counter() - t0

    seq_kw = dict(hidden_units=config.sequence_hidden, epochs=config.sequence_epochs,
                  patience=config.sequence_patience, batch_size=config.batch_size, jit_compile=config.jit_compile)
    fresh = lambda: ak.GRUEncoder(n_features=3, name="gru_encoder", **config.scratch_encoder)  # noqa: E731

    if config.scratch:
        def scratch():
            if splits and "bts" in config.scratch_tasks:
                evaluate_bts(log, SCRATCH_ROW, SequenceLearner(data.bts, fresh, ak.Tokenizer(), "all", **seq_kw),
                             {s: splits[s] for s in config.scratch_split_seeds if s in splits}, config,
                             lambda s: config.scratch_seeds if s == 0 else config.scratch_other_split_seeds, choices)
            if data.eros is not None and "eros" in config.scratch_tasks:
                evaluate_eros(log, SCRATCH_ROW, SequenceLearner(data.eros, fresh, ak.Tokenizer(), "all", **seq_kw),
                              data.eros_task, config, config.scratch_seeds, choices)
            if data.sim and "sim" in config.scratch_tasks:
                evaluate_sim(log, SCRATCH_ROW, lambda s: SequenceLearner(data.sim[s][0], fresh, ak.Tokenizer(), "all",
                                                                         **seq_kw), data, config.scratch_seeds, choices)
        timed(SCRATCH_ROW, scratch)

    for name in encoders + previous:
        def frozen(name=name):
            row = encoder_row(name)
            encoder = ak.load_encoder(name, config.models_dir)
            enc_sha[name] = ak.presets.encoder_info(name, config.models_dir).get("sha256")
            tokenizers[name] = ds.tokenizer_for(name, config.models_dir)
            head_kw = dict(hidden_grid=config.head_grid, epochs=config.head_epochs, patience=config.head_patience)
            if data.bts is not None:
                latents[(name, "bts")] = ds.embed(encoder, data.bts, tokenizers[name])
                evaluate_bts(log, row, LatentLearner(latents[(name, "bts")], **head_kw), splits, config,
                             frozen_seeds, choices)
            for survey, (lcs, _) in data.sim.items():
                latents[(name, f"sim_{survey}")] = ds.embed(encoder, lcs, tokenizers[name])
            evaluate_sim(log, row, lambda s: LatentLearner(latents[(name, f"sim_{s}")], **head_kw), data,
                         config.sim_seeds, choices)
        timed(encoder_row(name), frozen)

    # the encoder chosen on dev: best mean dev BTS class AUROC (Full) on the fixed split
    selected = config.selected_encoder if config.selected_encoder in encoders else _select_on_dev(log, encoders)
    if config.selected_encoder and config.selected_encoder in encoders:
        notes.append(f"encoder for EROS fine-tuning and the hybrid row: {selected} (given; chosen on BTS dev in "
                     "the BTS run).")
    elif selected:
        notes.append(f"encoder selected on dev (best dev BTS class AUROC, Full, split 0): {selected} "
                     "(used for the EROS fine-tuning and the hybrid row).")
    feats = {}
    if config.features:
        def features():
            if data.bts is not None:
                feats["bts"] = features_for(data, "bts", data.bts, ["ztf::g", "ztf::r"], workdir, config)
                evaluate_bts(log, FEATURE_ROW, FeatureLearner(feats["bts"]), splits, config, frozen_seeds, choices)
            if data.eros is not None:
                feats["eros"] = features_for(data, "eros", data.eros, ["eros::B", "eros::R"], workdir, config)
                evaluate_eros(log, FEATURE_ROW, FeatureLearner(feats["eros"]), data.eros_task, config, config.seeds, choices)
            for survey, (lcs, _) in data.sim.items():
                feats[f"sim_{survey}"] = features_for(data, f"sim_{survey}", lcs, SIM_BANDS[survey], workdir, config)
            evaluate_sim(log, FEATURE_ROW, lambda s: FeatureLearner(feats[f"sim_{s}"]), data, config.sim_seeds, choices)
        timed("features", features)
    hybrid = None
    if config.features and config.hybrid and selected:
        hybrid = hybrid_row(encoder_row(selected))

        def hybrid_fn():
            if data.bts is not None:
                f = np.concatenate([feats["bts"], latents[(selected, "bts")]], axis=1)
                evaluate_bts(log, hybrid, FeatureLearner(f), splits, config, frozen_seeds, choices)
            if data.eros is not None:
                encoder = ak.load_encoder(selected, config.models_dir)
                f = np.concatenate([feats["eros"], ds.embed(encoder, data.eros, tokenizers[selected])], axis=1)
                evaluate_eros(log, hybrid, FeatureLearner(f), data.eros_task, config, config.seeds, choices)
            evaluate_sim(log, hybrid, lambda s: FeatureLearner(np.concatenate(
                [feats[f"sim_{s}"], latents[(selected, f"sim_{s}")]], axis=1)), data, config.sim_seeds, choices)
        timed("hybrid", hybrid_fn)
    eros_encoders = [e for e in (config.eros_encoders or ([selected] if selected else [])) if e in encoders]
    if data.eros is not None and eros_encoders:
        def eros_ft():
            for name in eros_encoders:
                encoder = ak.load_encoder(name, config.models_dir)
                learner = SequenceLearner(data.eros, lambda enc=encoder: ds.copy_encoder(enc), tokenizers[name], "gru",
                                          **seq_kw)
                evaluate_eros(log, encoder_row(name), learner, data.eros_task, config, config.eros_seeds,
                              choices)
        timed("EROS fine-tuning", eros_ft)

    for stage in stages:
        if stage not in timings:
            progress.skip(stage, "nothing to run")
    progress.finish()
    rows = ([SCRATCH_ROW] if config.scratch else []) + [encoder_row(e) for e in encoders + previous] \
        + ([FEATURE_ROW] if config.features else []) + ([hybrid] if hybrid else [])
    wall = time.perf_counter() - t_start
    notes += _protocol_notes(config)
    notes.append(f"wall time {wall:.0f} s ({', '.join(f'{k}: {v:.0f} s' for k, v in timings.items())}).")
    return write_outputs(log, rows, selected, choices, notes, data, enc_sha, config, workdir, wall)


def _select_on_dev(log: RunLog, encoders) -> str | None:
    """The encoder with the best mean dev BTS class AUROC (Full, split 0); without BTS, the lowest
    dev simulated-ZTF redshift MSE."""
    df = log.frame()
    df = df[df["split"] == 0]
    for column, sign in ((col(CLASS, "Full"), 1.0), ("Sim ZTF z MSE", -1.0)):
        part = df[df["column"] == column]
        scores = {n: sign * part[part["row"] == encoder_row(n)]["dev_value"].mean() for n in encoders}
        scores = {k: v for k, v in scores.items() if np.isfinite(v)}
        if scores:
            return max(scores, key=scores.get)
    return None


def _protocol_notes(config: Config) -> list[str]:
    notes = [
        "Cells: mean ± std over training seeds on the fixed split, [95% bootstrap CI on its test objects]; "
        "'over splits' gives mean ± std over the outer BTS splits.",
        f"Limited = {config.n_limited} training labels redrawn per seed; every learner early-stops on the same dev "
        "objects (heads: size from "
        f"{[list(h) for h in config.head_grid]} chosen on dev; gradient boosting: iterations chosen on dev).",
        f"No pretraining: GRUEncoder + ({', '.join(map(str, config.sequence_hidden))}) head trained end to end, "
        f"dev early stopping (patience {config.sequence_patience}, cap {config.sequence_epochs} epochs), "
        f"seeds {list(config.scratch_seeds)} on splits {list(config.scratch_split_seeds)}, tasks {list(config.scratch_tasks)}.",
        "EROS-1 (4 variable-star classes, GRU unfrozen) stands in for the paper's Kepler column.",
    ]
    if config.quick:
        notes.append(f"QUICK MODE: outer splits 1-{len(config.split_seeds) - 1} with seed(s) {list(config.other_split_seeds)}; "
                     f"no-pretraining row on BTS only (EROS and simulated columns need --full); EROS fine-tuning "
                     f"{len(config.eros_seeds)} seed; simulated sets at {config.sim_scale:g} x 10,000 curves.")
    return notes


def _has_light_curve() -> bool:
    try:
        import light_curve  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------- outputs
def headline_table(summary: pd.DataFrame, rows, columns, split_view: bool = False) -> pd.DataFrame:
    out = pd.DataFrame(index=rows, columns=columns, dtype=object)
    out.index.name = "row"
    for _, r in summary.iterrows():
        if r["row"] in out.index and r["column"] in out.columns:
            if split_view:
                out.loc[r["row"], r["column"]] = format_cell(r["split_mean"], r["split_std"]) + f" (n={int(r['n_splits'])})"
            else:
                out.loc[r["row"], r["column"]] = format_cell(r["mean"], r["std"], (r["ci_low"], r["ci_high"]))
    return out.fillna("—")


def comparison_pairs(rows: list[str], selected_row: str | None, hybrid: str | None) -> list[tuple[str, str]]:
    enc_rows = [r for r in rows if r not in (SCRATCH_ROW, FEATURE_ROW, hybrid)
                and r not in PREVIOUS_ENCODER_ROWS.values()]
    pairs = [(r, FEATURE_ROW) for r in enc_rows] + [(r, SCRATCH_ROW) for r in enc_rows]
    # each retrained encoder against its previous release (same variant, same size; simulator v2 - v1)
    pairs += [(encoder_row(old[: -len("_sim1")]), row) for old, row in PREVIOUS_ENCODER_ROWS.items()]
    # within each size, each variant against the plain ZTF + LSST classifier; each paper-size encoder against
    # its quick version (does the paper's data size help?)
    for suffix in ("", "_full"):
        base = ENCODER_ROWS[f"classifier_ztf_lsst{suffix}"]
        for other in ("contrastive_ztf_lsst", "adversarial_ztf_lsst", "contrastive_adversarial_ztf_lsst",
                      "adversarial_confusion_ztf_lsst", "classifier_ztf"):
            pairs.append((ENCODER_ROWS[other + suffix], base))
    pairs += [(ENCODER_ROWS[f"{name}_full"], ENCODER_ROWS[name]) for name in QUICK_ENCODER_ROWS]
    # the paired-view encoders (given with --encoders): the view-invariance objective against its control (the
    # same paired views, cross entropy only) and both against the plain classifier of the same size
    for suffix in ("", "_full"):
        invariant = PAIRED_ENCODER_ROWS[f"invariant_ztf_lsst{suffix}"]
        control = PAIRED_ENCODER_ROWS[f"classifier_paired_ztf_lsst{suffix}"]
        base = ENCODER_ROWS[f"classifier_ztf_lsst{suffix}"]
        pairs += [(invariant, control), (invariant, base), (control, base)]
    if hybrid:
        pairs += [(hybrid, FEATURE_ROW)] + ([(hybrid, selected_row)] if selected_row else [])
    pairs.append((FEATURE_ROW, SCRATCH_ROW))
    have = set(rows)
    return [(a, b) for a, b in pairs if a in have and b in have]


def write_outputs(log, rows, selected, choices, notes, data, enc_sha, config, workdir, wall) -> pd.DataFrame:
    from astrokeras.results import provenance, write_table

    summary = log.summary()
    selected_row = encoder_row(selected) if selected else None
    hybrid = next((r for r in rows if r.startswith("Features + latent")), None)
    columns = [c for c in COLUMNS if c in set(summary["column"])]
    table = headline_table(summary, rows, columns)
    splits_table = headline_table(summary, rows, [c for c in columns if c.startswith("BTS")], split_view=True)
    comps = log.comparisons(comparison_pairs(rows, selected_row, hybrid), [c for c in HEADLINE if c in columns]
                            + [c for c in columns if c not in HEADLINE])
    write_table(log.frame(), workdir, "runs")
    write_table(summary, workdir, "summary")
    comp_md = ak.reports.comparisons_markdown(comps)
    write_table(comps, workdir, "comparisons", comp_md)
    calib = ak.reports.calibration_table(summary, rows)
    write_table(calib.reset_index(), workdir, "calibration", ak.evaluation.markdown_table(calib))
    shown = [r for r in (selected_row, FEATURE_ROW, hybrid, SCRATCH_ROW) if r]
    per_class = ak.reports.per_class_reports(log, [(col(CLASS, "Full"), BTS_CLASSES, "bts"),
                                                   (col(EROS, "Full"), EROS_CLASSES, "eros")], rows, shown, workdir)
    write_table(per_class, workdir, "per_class_auroc")
    ak.caching.atomic_write_text(os.path.join(workdir, "choices.json"), json.dumps(choices, indent=0, default=str))
    prov = provenance(data_checksums=data.checksums, encoder_sha256=enc_sha, wall_time_s=round(wall, 1),
                      config=dataclasses.asdict(config), selected_on_dev=selected)
    ak.caching.atomic_write_text(os.path.join(workdir, "provenance.json"), json.dumps(prov, indent=1, default=str))
    md = ["**Table 1 (Gupta et al. 2025)** — `python -m astrofm recipes.table1" + ("" if config.quick else " --full") + "`",
          "", f"{commit_label(prov)}, "
          f"{prov['date_utc']}, wall time {wall / 60:.1f} min on {os.cpu_count()} CPU cores.", "",
          ak.evaluation.markdown_table(table), "Over the outer BTS splits (mean ± std of the per-split means):", "",
          ak.evaluation.markdown_table(splits_table)] + [f"- {n}" for n in notes]
    ak.caching.atomic_write_text(os.path.join(workdir, "table1.md"), "\n".join(md) + "\n")
    _print_console(table, notes, workdir)
    return table


def _print_console(table: pd.DataFrame, notes, workdir) -> None:
    """Models as rows, the headline columns, within 120 characters."""
    cols = [c for c in HEADLINE if c in table.columns]
    short = {CLASS: "class", ZMSE: "z MSE×1e3", ANOM: "anomaly", EROS: "EROS-1"}
    names = {v: k for k, v in {**ENCODER_ROWS, **PREVIOUS_ENCODER_ROWS}.items()}
    lines = []
    header = f"{'model':<25}" + "".join(f"{short[c.split(' (')[0]] + ' (' + c.split(' (')[1]:<18}" for c in cols)
    lines.append(header)
    for row, r in table.iterrows():
        label = names.get(row, "no pretraining" if row == SCRATCH_ROW else
                          "features + HGB" if row == FEATURE_ROW else "features + latent + HGB")
        cells = []
        for c in cols:
            parts = r[c].split(" [")
            mean = parts[0].split(" ±")[0]
            if len(parts) > 1:  # CI to two decimals: "0.905 [0.87,0.94]"
                lo, hi = (float(v) for v in parts[1].rstrip("]").split(", "))
                mean += f" [{lo:.2f},{hi:.2f}]"
            cells.append(f"{mean:<18}")
        lines.append(f"{label[:24]:<25}" + "".join(cells))
    print("\n".join(line[:120] for line in lines))
    print("(mean over seeds [95% bootstrap CI]; full table with std and outer-split spread: "
          f"{os.path.join(workdir, 'table1.md')})")
    print("\n".join(f"* {n}" for n in notes[-2:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.table1", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="complete protocol (5 seeds on every row and split)")
    parser.add_argument("--workdir", default=None, help="default: runs/table1 (quick) or runs/table1_full")
    parser.add_argument("--models-dir", default=None, help="released encoders (default: saved_models/)")
    parser.add_argument("--data-home", default=None, help="real data (default: $ASTROKERAS_DATA)")
    parser.add_argument("--tasks", default=None, help="comma-separated subset of bts,eros,sim (default: all)")
    parser.add_argument("--encoders", default=None,
                        help="comma-separated released encoders to evaluate (default: the table's rows and their "
                             "previous releases; given, previous releases are left out)")
    parser.add_argument("--eros-encoders", default=None,
                        help="comma-separated encoders fine-tuned on EROS-1 (default: the dev-selected one)")
    parser.add_argument("--selected-encoder", default=None,
                        help="encoder for EROS fine-tuning and the hybrid when BTS is not among --tasks")
    parser.add_argument("--sequence-seeds", type=int, default=None,
                        help="seeds 0..K-1 for the end-to-end rows (no pretraining, EROS fine-tuning); default 5 "
                             "with --full, 1 in quick mode")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (1 lets two runs share 2 cores ~2x faster than one run)")
    args = parser.parse_args(argv)
    ak.training.limit_threads(args.threads)
    overrides = dict(models_dir=args.models_dir, data_home=args.data_home, selected_encoder=args.selected_encoder)
    if args.tasks:
        overrides["tasks"] = tuple(t.strip() for t in args.tasks.split(","))
    if args.sequence_seeds:
        overrides["scratch_seeds"] = overrides["eros_seeds"] = tuple(range(args.sequence_seeds))
    if args.encoders:
        overrides.update(encoders=tuple(e.strip() for e in args.encoders.split(",")), previous_encoders=())
    if args.eros_encoders:
        overrides["eros_encoders"] = tuple(e.strip() for e in args.eros_encoders.split(","))
    config = get_config(quick=not args.full, **overrides)
    run(config, args.workdir or os.path.join("runs", "table1" if not args.full else "table1_full"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
