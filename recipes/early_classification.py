"""Early classification on real BTS: macro AUROC versus days since the first detection, with heads
trained on randomly truncated light curves (RAPID-style).

Not a table of Gupta et al. (2025): issue 13, item 6. ``recipes.figures`` scores heads trained on
whole curves on truncated test curves (real BTS macro AUROC ~0.55 at 3-10 days); here every learner
is trained on truncated curves too (:mod:`astrokeras.early`).

Command::

    python -m astrofm recipes.early_classification            # quick: ~4 CPU-min, 3 head seeds
    python -m astrofm recipes.early_classification --full     # 5 seeds, 2 fine-tuning seeds, simulated early curves

Protocol (the Table 1 protocol of ``astrokeras.protocol``/``astrokeras.learners``, on truncated curves):

* **Objects**: BTS SN Ia / Ib/c / II, outer split 0 of :func:`astrokeras.tasks.bts_split` (train
  1,601 / dev 401 / test 500, by object id, stratified).
* **Truncation training**: every training object gives ``n_per_object`` copies (8): the whole curve
  and curves cut at days drawn log-uniform in [1, 100] after the first detection (deterministic
  per object id and seed). Dev objects get copies cut the same way (another seed); every learner
  early-stops on them (heads: the epoch with the lowest dev loss, head size from ``head_grid``;
  gradient boosting: the iteration count).
* **Scoring**: dev and test objects cut at 3, 5, 10, 20, 30, 50 days after the first detection and
  whole (``all``); macro one-vs-rest AUROC of the three classes.
* **Rows**: heads on the frozen encoder chosen on BTS dev by Table 1 (``contrastive_ztf_lsst``),
  trained on whole curves (the old way) and on truncated curves; optionally the same head trained
  on truncated real + simulated BTS-like early curves (``ztf_bts`` preset, ``sim_scale``); the
  encoder's GRU fine-tuned with the head on truncated curves (``finetune``); light-curve features +
  HistGradientBoosting on whole and on truncated curves; features + the encoder's latent + HGB on
  truncated curves; the same plus :mod:`astrokeras.early_features` (rise, colour, days since the
  first and last detection at scoring time; ``early_features``); and the mean of that HGB's and the
  truncation-trained head's probabilities, the weight chosen on the dev copies (``ensemble``).
* **Uncertainty**: mean ± std over head seeds, [95% bootstrap CI] over the dev / test objects
  (2,000 resamples, paired across rows); ``comparisons.md``: paired CIs of the differences.

Outputs (``--workdir``, default ``runs/early_classification``): ``early_classification.md`` (test
and dev tables), ``summary.csv`` (every cell, dev and test), ``runs.csv``, ``comparisons.csv/md``,
``choices.json`` (dev choices), ``early_classification.png``, ``readme_table.md`` (test, compact),
``provenance.json``.

Expected (measured, quick, simulator-v2 encoder, test macro AUROC at 3 / 10 / 30 d): whole-curve
head 0.48 / 0.54 / 0.87; truncation-trained head 0.60 / 0.66 / 0.88; features + HGB on truncated
curves 0.62 / 0.70 / 0.90; features + latent + HGB 0.62 / 0.73 / 0.92; features + early features +
latent + HGB 0.66 / 0.76 / 0.92 (the best row at 3-10 d); the ensemble with the head 0.66 / 0.74 /
0.92. Issue 13's targets: >= 0.90 at 30 d reached, >= 0.80 at 10 d not (a BTS curve holds a median
of 2 points 3 days and 6 points 10 days after its first detection, detections only). Runtime
(quick): 3.7 CPU-minutes, 1.44 GB peak RSS; 17 min wall on 2 cores shared with higher-priority
jobs. Tables with CIs: recipes/README.md ("Early classification"), generated from
recipes/results/early_quick/.
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
from astrokeras.early import EARLY_DAYS, EarlyTask, augment_truncations, early_task
from astrokeras.early_features import early_features
from astrokeras.evaluation import macro_auroc
from astrokeras.learners import FeatureLearner, Fitted, LatentLearner, SequenceLearner
from astrokeras.results import RunLog, commit_label, format_cell
from astrokeras.tasks import BTS_CLASSES, ENCODER_ROWS, FEATURE_ROW

FEATURE_WHOLE = f"{FEATURE_ROW}, whole curves"
FEATURE_TRUNC = f"{FEATURE_ROW}, truncated curves"
HYBRID_TRUNC = "Features + latent + HGB, truncated curves"
EARLY_TRUNC = "Features + early features + latent + HGB, truncated curves"
ENSEMBLE = "Ensemble: early-feature HGB + head, truncated curves"


def encoder_rows(encoder: str) -> dict[str, str]:
    """Row names of the encoder-based learners."""
    label = ENCODER_ROWS.get(encoder, encoder)
    return {"whole": f"{label}: head, whole curves", "trunc": f"{label}: head, truncated curves",
            "sim": f"{label}: head, truncated real + simulated curves",
            "finetune": f"{label}: GRU fine-tuned, truncated curves"}


def day_column(day: float) -> str:
    return "all" if not np.isfinite(day) else f"{day:g} d"


@dataclasses.dataclass(frozen=True)
class Config:
    encoder: str = "contrastive_ztf_lsst"   # Table 1's dev-selected encoder (recipes/results/table1_*/provenance.json)
    models_dir: str | None = None
    data_home: str | None = None
    days: tuple[float, ...] = EARLY_DAYS
    n_per_object: int = 8                    # truncated copies per training / dev object (copy 0: whole curve)
    min_days: float = 1.0
    max_days: float = 100.0
    split_seed: int = 0
    seeds: tuple[int, ...] = (0, 1, 2)       # head seeds (gradient boosting is deterministic: one fit)
    head_grid: tuple[tuple[int, ...], ...] = ((64,), (128,))
    head_epochs: int = 300
    head_patience: int = 20
    features: bool = True
    hybrid: bool = True
    early_features: bool = True              # + astrokeras.early_features (rise, colour, days since first/last detection)
    ensemble: bool = True                    # mean of the early-feature HGB and head probabilities, weight chosen on dev
    finetune: bool = True
    finetune_seeds: tuple[int, ...] = (0,)
    finetune_trainable: str = "gru"
    finetune_epochs: int = 30
    finetune_patience: int = 3
    sim_scale: float = 0.0                   # fraction of the 10,000-curve ztf_bts preset; 0: no simulated row
    sim_weight: float = 1.0                  # weight of a simulated curve relative to a real one (head loss)
    max_objects: int | None = None           # tests: at most this many BTS objects per class
    n_jobs: int = 2
    n_boot: int = 2000
    jit_compile: bool = True
    quick: bool = True


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (3 head seeds, 1 fine-tuning seed, no simulations) or full configuration."""
    config = Config() if quick else Config(seeds=(0, 1, 2, 3, 4), finetune_seeds=(0, 1), sim_scale=0.2,
                                           quick=False)
    return dataclasses.replace(config, **overrides)


# ----------------------------------------------------------------------------------- data
def _subsample(bts, max_objects: int | None, seed: int):
    if not max_objects:
        return bts
    label = bts.metadata["label"].astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    keep = []
    for cls in BTS_CLASSES + ("anomaly",):   # bts_split also splits the anomalies
        pos = np.flatnonzero(label == cls)
        keep.append(np.sort(rng.choice(pos, size=min(max_objects, len(pos)), replace=False)))
    return bts.subset(np.sort(np.concatenate(keep)))


def _simulated(config: Config, workdir: str):
    """Simulated BTS-like early curves (Ia, Ib/c, II only) with class codes, cached in the workdir."""
    preset = "ztf_bts"
    lcs = ak.caching.cached_light_curves(
        os.path.join(workdir, "data"), preset, {"preset": preset, "scale": config.sim_scale},
        lambda: ak.simulate_preset(preset, scale=config.sim_scale, n_jobs=config.n_jobs))
    label = lcs.metadata["label"].astype(str).to_numpy()
    keep = np.isin(label, BTS_CLASSES)
    lcs = lcs.subset(np.flatnonzero(keep))
    codes = np.array([BTS_CLASSES.index(v) for v in label[keep]])
    return lcs, codes


# ----------------------------------------------------------------------------- evaluation
class _Recorder:
    """Scores a fitted learner at every day on dev and test, into two RunLogs (paired bootstraps)."""

    def __init__(self, et: EarlyTask, n_boot: int):
        self.et = et
        self.test, self.dev = RunLog(n_boot=n_boot), RunLog(n_boot=n_boot)
        self.choices: list[dict] = []

    def record(self, row: str, fitted, seed: int) -> None:
        et = self.et
        order = [et.dev_at[d] for d in et.days] + [et.test_at[d] for d in et.days]
        prob = fitted.predict(np.concatenate(order))
        parts = np.split(prob, np.cumsum([len(o) for o in order])[:-1])
        n = len(et.days)
        for j, day in enumerate(et.days):
            p_dev, p_test = parts[j], parts[n + j]
            y_dev, y_test = et.target[et.dev_at[day]], et.target[et.test_at[day]]
            dev_value = macro_auroc(y_dev, p_dev)
            self.test.add(row, day_column(day), "macro_auroc", split=0, seed=seed, y_true=y_test, y_pred=p_test,
                          dev_value=dev_value)
            self.dev.add(row, day_column(day), "macro_auroc", split=0, seed=seed, y_true=y_dev, y_pred=p_dev)
        self.choices.append({"row": row, "seed": seed, **fitted.info})


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Train every row, score it at every day on dev and test; write the result files; return the
    test table (rows x days, ``mean ± std [95% CI]``)."""
    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    notes: list[str] = []
    timings: dict[str, float] = {}
    bts = _subsample(ak.datasets.load_bts(config.data_home), config.max_objects, config.split_seed)
    split = ak.tasks.bts_split(bts, config.split_seed)
    et = early_task(bts, split.cls, config.days, config.n_per_object, seed=config.split_seed,
                    min_days=config.min_days, max_days=config.max_days)
    lengths = et.light_curves.lengths
    notes.append(f"BTS Ia/Ib/c/II: {len(split.cls.train)} train, {len(split.cls.dev)} dev, {len(split.cls.test)} test "
                 f"objects; {len(et.train)} truncated training curves ({config.n_per_object} per object). Median "
                 "points per test curve: " + ", ".join(f"{day_column(d)}: {np.median(lengths[et.test_at[d]]):g}"
                                                         for d in et.days) + ".")
    rec = _Recorder(et, config.n_boot)
    y = et.target
    rows: list[str] = []

    def timed(name, fn):
        t0 = time.perf_counter()
        fn()
        timings[name] = time.perf_counter() - t0
        print(f"[early] {name}: {timings[name]:.0f} s", flush=True)

    names = encoder_rows(config.encoder)
    encoder = ak.load_encoder(config.encoder, config.models_dir)
    enc_sha = {config.encoder: ak.presets.encoder_info(config.encoder, config.models_dir).get("sha256")}
    tok = ds.tokenizer_for(config.encoder, config.models_dir)
    latent, feats, fitted = {}, {}, {}

    def heads():
        latent["z"] = ds.embed(encoder, et.light_curves, tok)
        learner = LatentLearner(latent["z"], config.head_grid, config.head_epochs, config.head_patience)
        fitted["heads"] = []
        for seed in config.seeds:
            rec.record(names["whole"], learner.fit_classifier(et.train_whole, et.dev_whole, y, 3, seed), seed)
            fitted["heads"].append(learner.fit_classifier(et.train, et.dev, y, 3, seed))
            rec.record(names["trunc"], fitted["heads"][-1], seed)
        rows.extend([names["whole"], names["trunc"]])
    timed("encoder heads", heads)

    if config.sim_scale > 0:
        def sim_heads():
            sim, codes = _simulated(config, workdir)
            aug = augment_truncations(sim, config.n_per_object, config.split_seed + 2, config.min_days,
                                      config.max_days)
            z_sim = ds.embed(encoder, aug.light_curves, tok)
            z_all = np.concatenate([latent["z"], z_sim])
            y_all = np.concatenate([y, codes[aug.source]])
            sim_pos = len(y) + np.arange(len(z_sim))
            learner = _WeightedLatentLearner(z_all, config.head_grid, config.head_epochs, config.head_patience,
                                             sim_start=len(y), sim_weight=config.sim_weight)
            for seed in config.seeds:
                rec.record(names["sim"], learner.fit_classifier(np.r_[et.train, sim_pos], et.dev, y_all, 3, seed),
                           seed)
            rows.append(names["sim"])
            notes.append(f"simulated early curves: {len(sim)} ztf_bts objects (Ia/Ib/c/II; scale {config.sim_scale:g}) "
                         f"x {config.n_per_object} truncations added to the head's training set.")
        timed("simulated early curves", sim_heads)

    if config.features:
        def features():
            feats["f"] = ak.features.light_curve_features(et.light_curves, ["ztf::g", "ztf::r"],
                                                          n_jobs=config.n_jobs).to_numpy(float)
            # the time of scoring (days after the first detection) is known to a broker; NaN for whole curves
            feats["early"] = early_features(et.light_curves, ["ztf::g", "ztf::r"],
                                            days=et.light_curves.metadata["truncation_days"]).to_numpy(float)
            learner = FeatureLearner(feats["f"])
            rec.record(FEATURE_WHOLE, learner.fit_classifier(et.train_whole, et.dev_whole, y, 3, 0), 0)
            rec.record(FEATURE_TRUNC, learner.fit_classifier(et.train, et.dev, y, 3, 0), 0)
            rows.extend([FEATURE_WHOLE, FEATURE_TRUNC])
        timed("features", features)
        if config.hybrid:
            def hybrid():
                learner = FeatureLearner(np.concatenate([feats["f"], latent["z"]], axis=1))
                rec.record(HYBRID_TRUNC, learner.fit_classifier(et.train, et.dev, y, 3, 0), 0)
                rows.append(HYBRID_TRUNC)
            timed("hybrid", hybrid)
        if config.early_features:
            def early():
                learner = FeatureLearner(np.concatenate([feats["f"], feats["early"], latent["z"]], axis=1))
                fitted["early"] = learner.fit_classifier(et.train, et.dev, y, 3, 0)
                rec.record(EARLY_TRUNC, fitted["early"], 0)
                rows.append(EARLY_TRUNC)
            timed("early features", early)
            if config.ensemble:
                def ensemble():
                    for seed, head in zip(config.seeds, fitted["heads"]):
                        rec.record(ENSEMBLE, ensemble_of(fitted["early"], head, et.dev, y), seed)
                    rows.append(ENSEMBLE)
                timed("ensemble", ensemble)

    if config.finetune:
        def finetune():
            learner = SequenceLearner(et.light_curves, lambda: ds.copy_encoder(encoder), tok,
                                      config.finetune_trainable, hidden_units=config.head_grid[0],
                                      epochs=config.finetune_epochs, patience=config.finetune_patience,
                                      jit_compile=config.jit_compile)
            for seed in config.finetune_seeds:
                rec.record(names["finetune"], learner.fit_classifier(et.train, et.dev, y, 3, seed), seed)
            rows.append(names["finetune"])
        timed("fine-tuning", finetune)

    wall = time.perf_counter() - t_start
    notes.append(f"wall time {wall:.0f} s ({', '.join(f'{k}: {v:.0f} s' for k, v in timings.items())}).")
    return write_outputs(rec, rows, notes, config, workdir, wall, enc_sha,
                         ak.results.array_fingerprint(bts.object_ids, bts.time_mjd, bts.flux))


def ensemble_of(a, b, dev: np.ndarray, labels: np.ndarray, weights=np.linspace(0.0, 1.0, 11)):
    """``w * a + (1 - w) * b`` of two fitted learners' probabilities, ``w`` with the best macro AUROC
    on the ``dev`` positions (the randomly truncated dev copies every learner early-stops on)."""
    pa, pb = a.predict(dev), b.predict(dev)
    scores = [macro_auroc(labels[dev], w * pa + (1 - w) * pb) for w in weights]
    w = float(weights[int(np.argmax(scores))])
    info = {"weight_hgb": w, **{f"hgb_{k}": v for k, v in a.info.items()}, **{f"head_{k}": v for k, v in b.info.items()}}

    def predict(pos):
        return w * a.predict(pos) + (1 - w) * b.predict(pos)

    return Fitted(predict, predict, info)


class _WeightedLatentLearner(LatentLearner):
    """A :class:`LatentLearner` whose training rows from ``sim_start`` on are simulated curves,
    repeated so that they weigh ``sim_weight`` times a real curve in total (1.0: as many as they are)."""

    def __init__(self, latent, hidden_grid, epochs, patience, sim_start: int, sim_weight: float = 1.0):
        super().__init__(latent, hidden_grid, epochs, patience)
        self.sim_start, self.sim_weight = int(sim_start), float(sim_weight)

    def fit_classifier(self, train, dev, labels, n_classes, seed):
        train = np.asarray(train)
        sim = train[train >= self.sim_start]
        if self.sim_weight != 1.0 and len(sim):
            rng = np.random.default_rng(seed)
            n = int(round(self.sim_weight * len(sim)))
            sim = rng.choice(sim, size=n, replace=n > len(sim))
        return super().fit_classifier(np.r_[train[train < self.sim_start], sim], dev, labels, n_classes, seed)


# --------------------------------------------------------------------------------- outputs
def _table(summary: pd.DataFrame, rows, columns) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.Index(rows, name="model"), columns=columns, dtype=object)
    for _, r in summary.iterrows():
        if r["row"] in out.index and r["column"] in out.columns:
            out.loc[r["row"], r["column"]] = format_cell(r["mean"], r["std"], (r["ci_low"], r["ci_high"]))
    return out.fillna("—")


def comparison_pairs(rows: list[str], encoder: str) -> list[tuple[str, str]]:
    names = encoder_rows(encoder)
    pairs = [(names["trunc"], names["whole"]), (FEATURE_TRUNC, FEATURE_WHOLE), (HYBRID_TRUNC, names["trunc"]),
             (HYBRID_TRUNC, FEATURE_TRUNC), (EARLY_TRUNC, HYBRID_TRUNC), (ENSEMBLE, EARLY_TRUNC),
             (names["sim"], names["trunc"]), (names["finetune"], names["trunc"])]
    return [(a, b) for a, b in pairs if a in rows and b in rows]


def write_outputs(rec: _Recorder, rows, notes, config: Config, workdir: str, wall: float, enc_sha: dict,
                  data_sha: str) -> pd.DataFrame:
    from astrokeras.results import provenance, write_table

    columns = [day_column(d) for d in rec.et.days]
    summaries = []
    for part, log in (("test", rec.test), ("dev", rec.dev)):
        s = log.summary()
        s.insert(0, "part", part)
        s["days"] = [np.inf if c == "all" else float(c.split()[0]) for c in s["column"]]
        summaries.append(s)
    summary = pd.concat(summaries, ignore_index=True)
    test_table = _table(summaries[0], rows, columns)
    dev_table = _table(summaries[1], rows, columns)
    comps = rec.test.comparisons(comparison_pairs(rows, config.encoder), columns)
    runs = pd.concat([rec.test.frame().assign(part="test"), rec.dev.frame().assign(part="dev")], ignore_index=True)
    write_table(runs, workdir, "runs")
    write_table(summary, workdir, "summary")
    write_table(comps, workdir, "comparisons", ak.reports.comparisons_markdown(comps))
    ak.caching.atomic_write_text(os.path.join(workdir, "choices.json"),
                                 json.dumps(rec.choices, indent=0, default=str))
    prov = provenance(data_checksums={"bts": data_sha}, encoder_sha256=enc_sha, wall_time_s=round(wall, 1),
                      config=dataclasses.asdict(config))
    ak.caching.atomic_write_text(os.path.join(workdir, "provenance.json"), json.dumps(prov, indent=1, default=str))
    command = "python -m astrofm recipes.early_classification" + ("" if config.quick else " --full")
    md = ["# Early classification on real BTS (Ia / Ib/c / II): macro AUROC vs days since the first detection",
          "", f"`{command}` — {commit_label(prov)}, {prov['date_utc']}, wall time "
          f"{wall / 60:.1f} min on {os.cpu_count()} CPU cores.", "",
          "**Test** (mean ± std over head seeds [95% bootstrap CI over the test objects]):", "",
          ak.evaluation.markdown_table(test_table),
          "**Dev** (the objects every choice was made on; same format):", "", ak.evaluation.markdown_table(dev_table)]
    md += [f"- {n}" for n in notes + _protocol_notes(config)]
    ak.caching.atomic_write_text(os.path.join(workdir, "early_classification.md"), "\n".join(md) + "\n")
    _plot(summaries[0], rows, rec.et.days, workdir)
    write_readme_table(workdir)
    print(test_table.to_string())
    print("\n".join(f"* {n}" for n in notes))
    return test_table


def write_readme_table(folder: str) -> str:
    """``readme_table.md``: the test table, ``mean [95% CI]`` per cell, from ``folder/summary.csv``
    (the block recipes/README.md shows)."""
    summary = pd.read_csv(os.path.join(folder, "summary.csv"))
    test = summary[summary["part"] == "test"]
    rows, columns = list(pd.unique(test["row"])), list(pd.unique(test["column"]))
    out = pd.DataFrame(index=pd.Index(rows, name="model (test macro AUROC [95% CI])"), columns=columns, dtype=object)
    for _, r in test.iterrows():
        out.loc[r["row"], r["column"]] = format_cell(r["mean"], None, (r["ci_low"], r["ci_high"]))
    text = ak.evaluation.markdown_table(out.fillna("—"))
    ak.caching.atomic_write_text(os.path.join(folder, "readme_table.md"), text)
    return text


def _protocol_notes(config: Config) -> list[str]:
    return [f"Truncated training: {config.n_per_object} copies per training and dev object (the whole curve + cuts "
            f"log-uniform in [{config.min_days:g}, {config.max_days:g}] d after the first detection); every learner "
            "early-stops on the dev copies (whole-curve rows: on the whole dev curves). Heads: size from "
            f"{[list(h) for h in config.head_grid]} chosen on dev, seeds {list(config.seeds)}; gradient boosting: "
            "iterations (<= 200) chosen on dev, deterministic (one fit); fine-tuning: GRU unfrozen "
            f"({config.finetune_trainable!r}), patience {config.finetune_patience}, cap {config.finetune_epochs} "
            f"epochs, seeds {list(config.finetune_seeds)}.",
            "Encoder: contrastive_ztf_lsst, fixed in the config (Table 1's BTS dev choice when this recipe was written)."
            if config.encoder == "contrastive_ztf_lsst" else f"Encoder: {config.encoder} (given)."]


def _plot(summary: pd.DataFrame, rows, days, workdir: str) -> None:
    import matplotlib.pyplot as plt

    finite = [d for d in days if np.isfinite(d)]
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    for row in rows:
        part = summary[(summary["row"] == row) & np.isfinite(summary["days"])].sort_values("days")
        if part.empty:
            continue
        line, = ax.plot(part["days"], part["mean"], marker="o", ms=3, lw=1.3, label=row)
        ax.fill_between(part["days"], part["ci_low"], part["ci_high"], color=line.get_color(), alpha=0.12)
    ax.axhline(0.8, color="grey", ls=":", lw=0.8)
    ax.axhline(0.9, color="grey", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(finite, [f"{d:g}" for d in finite])
    ax.set_xlabel("days since first detection")
    ax.set_ylabel("macro AUROC (test, 95% CI)")
    ax.set_title("real BTS Ia / Ib/c / II, test curves truncated", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = os.path.join(workdir, "early_classification.png")
    fig.savefig(path + ".tmp.png", dpi=130, bbox_inches="tight")
    os.replace(path + ".tmp.png", path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.early_classification",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="5 head seeds, 2 fine-tuning seeds, simulated early curves")
    parser.add_argument("--workdir", default=os.path.join("runs", "early_classification"))
    parser.add_argument("--seed", type=int, default=0, help="outer BTS split and truncation seed")
    parser.add_argument("--encoder", default="contrastive_ztf_lsst")
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--sim-scale", type=float, default=None,
                        help="add simulated ztf_bts early curves (fraction of 10,000) to the head's training")
    parser.add_argument("--no-finetune", action="store_true", help="skip the fine-tuned encoder row")
    args = parser.parse_args(argv)
    overrides = dict(split_seed=args.seed, encoder=args.encoder, models_dir=args.models_dir, data_home=args.data_home)
    if args.sim_scale is not None:
        overrides["sim_scale"] = args.sim_scale
    if args.no_finetune:
        overrides["finetune"] = False
    run(get_config(quick=not args.full, **overrides), args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
