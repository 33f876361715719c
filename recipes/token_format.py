"""Does the token format limit survey invariance? Four token formats, one classifier, same budget (issue 12).

Not a table of Gupta et al. (2025). Their tokens are ``[wavelength, time, flux]``; this recipe
pretrains the same small classifier, with the same seed, data and epoch budget, on four formats
(:class:`astrokeras.tokens.Tokenizer`, :class:`astrokeras.models.GRUEncoder`):

===================  ==============================================================================
format               tokens
===================  ==============================================================================
``current``          ``[wavelength, time, flux]`` (the released encoders' format)
``flux_err``         ``+ flux error`` (``include_flux_err=True``)
``band``             ``+ band code`` embedded next to the wavelength (``band_channel="family"``: ZTF g
                     and LSST g share one learned vector; code dropout ``band_dropout``)
``flux_err+band``    both
===================  ==============================================================================

and measures each encoder with the cross-survey protocol of :mod:`astrokeras.transfer` (``encoder_runs``: heads
trained on ZTF latents applied to LSST latents of the same simulated objects, heads trained on
BTS g+r latents applied to g-only / r-only latents, the redshift-matched survey probe). Every
derived measure gets a 95% bootstrap CI over the test objects, and every format is compared with
``current`` on the *same* bootstrap resamples (paired; :mod:`astrokeras.bootstrap`).

Command::

    python -m astrofm recipes.token_format                          # quick
    python -m astrofm recipes.token_format --objective invariant    # InvariantClassifier (runs/token_format_invariant)
    python -m astrofm recipes.token_format --workdir recipes/results/token_format_quick

Pretraining data: paired simulations (:mod:`astrokeras.paired`, seed ``seed + 1000``; the
evaluation uses seed 9090) of ZTF-detected transients (7 classes) seen as ZTF forced photometry,
ZTF alerts and LSST forced photometry; 90/10 split by object for early stopping.

Outputs (``--workdir``, default ``runs/token_format``): ``token_format.md/csv`` (measures per
format), ``comparisons.md/csv`` (format - current, paired CIs), ``details.md``, ``pretrain.csv``,
``provenance.json``, ``runtime.md``; the encoders with sidecars in ``models/`` (their tokenizer
settings travel in the sidecar). Pretrained encoders and per-encoder runs are cached in the
workdir. Results and conclusion: recipes/README.md ("Does the token format limit invariance?").
Runtime (with the machine's load when it ran): see ``runtime.md``.
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
from astrokeras.bootstrap import weighted_metric
from astrokeras.results import RunLog, commit_label, provenance, write_table
from astrokeras.transfer import TransferConfig, bts_views, encoder_runs, simulate_eval_views

FORMATS: dict[str, dict] = {
    "current": {},
    "flux_err": {"include_flux_err": True},
    "band": {"band_channel": "family"},
    "flux_err+band": {"include_flux_err": True, "band_channel": "family"},
}
CLASSES = tuple(c for c in ak.simulation.CLASSES if c != "AGN")
BASELINE = "current"


@dataclasses.dataclass(frozen=True)
class Config:
    formats: tuple[str, ...] = tuple(FORMATS)
    objective: str = "classifier"  # "classifier" (cross entropy) or "invariant" (InvariantClassifier)
    seed: int = 0
    # pretraining: paired simulations of ZTF-detected transients
    pretrain_per_class: int = 150
    pretrain_views: tuple[str, ...] = ("ztf", "ztf#alerts", "lsst")
    val_fraction: float = 0.1
    gru_units: int = 32
    dense_units: tuple[int, ...] = (64,)
    latent_dim: int = 64
    band_embedding_dim: int = 4
    band_dropout: float = 0.1
    epochs: int = 10
    patience: int = 3
    batch_size: int = 64
    learning_rate: float = 2e-3
    max_length: int = 128
    objects_per_batch: int = 32  # invariant objective: two views of each of these objects per batch
    # evaluation (astrokeras.transfer: recipes.cross_survey's protocol)
    targets: tuple[str, ...] = ("lsst",)
    n_per_class: int = 120
    head_seeds: tuple[int, ...] = (0, 1)
    head_epochs: int = 200
    bts: bool = True  # the real BTS band-subset measurement
    n_boot: int = 2000
    probe_seeds: tuple[int, ...] = (0, 1, 2)
    quick: bool = True


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (about 25 min on 2 shared CPU cores) or full (larger pretraining, 3 head seeds)."""
    config = Config() if quick else Config(pretrain_per_class=1000, epochs=30, patience=5, gru_units=100,
                                           dense_units=(128,), latent_dim=128, max_length=256, n_per_class=400,
                                           head_seeds=(0, 1, 2), quick=False)
    return dataclasses.replace(config, **overrides)


def tokenizer_for_format(name: str, config: Config) -> ak.Tokenizer:
    """The tokenizer of a format (``FORMATS``) with the config's ``max_length``."""
    if name not in FORMATS:
        raise ValueError(f"unknown token format {name!r}; choose from {', '.join(FORMATS)}")
    return ak.Tokenizer(max_length=config.max_length, **FORMATS[name])


# ------------------------------------------------------------------------------ pretraining
def pretraining_data(config: Config, workdir: str) -> ak.LightCurves:
    """Stacked paired views of ZTF-detected transients (cached in ``workdir/data``)."""
    counts = {c: config.pretrain_per_class for c in CLASSES}
    seed = config.seed + 1000
    key = {"views": list(config.pretrain_views), "counts": counts, "seed": seed}

    def build():
        t0 = time.perf_counter()
        stacked = ak.paired.stack_views(ak.paired.simulate_paired_views(
            config.pretrain_views, classes=counts, seed=seed, id_prefix=f"tokfmt_{seed}_"))
        print(f"[token_format] simulated {stacked.metadata['object_key'].nunique()} objects, {len(stacked)} views "
              f"in {time.perf_counter() - t0:.0f} s", flush=True)
        return stacked

    return ak.caching.cached_light_curves(os.path.join(workdir, "data"), "token_format_pretrain", key, build)


def _dataset(lcs, tokenizer, config, shuffle):
    names = {"class": list(CLASSES)}
    if config.objective == "invariant":
        return ak.paired.paired_dataset(lcs, tokenizer, label_columns={"class": "label"}, class_names=names,
                                        objects_per_batch=config.objects_per_batch, views_per_object=2,
                                        shuffle=shuffle, seed=config.seed)
    return ak.pipeline.dataset_from_light_curves(lcs, tokenizer, label_columns={"class": "label"},
                                                 class_names=names, batch_size=config.batch_size, shuffle=shuffle,
                                                 seed=config.seed)


def build_model(name: str, config: Config, class_weight) -> ak.Classifier:
    """The task model of a format: the same classifier around an encoder reading that format."""
    tokenizer = tokenizer_for_format(name, config)
    encoder = ak.GRUEncoder(**tokenizer.encoder_kwargs(), gru_units=config.gru_units, dense_units=config.dense_units,
                            latent_dim=config.latent_dim, band_embedding_dim=config.band_embedding_dim,
                            band_dropout=config.band_dropout, name="gru_encoder")
    kwargs = dict(n_classes=len(CLASSES), class_weight=class_weight, class_names=list(CLASSES),
                  tokenizer=tokenizer, name=f"token_format_{name.replace('+', '_')}")
    if config.objective == "invariant":
        return ak.InvariantClassifier(encoder, consistency_weight=1.0, **kwargs)
    if config.objective != "classifier":
        raise ValueError(f"objective must be 'classifier' or 'invariant', got {config.objective!r}")
    return ak.Classifier(encoder, **kwargs)


def _settings_key(name: str, config: Config) -> str:
    fields = {k: v for k, v in dataclasses.asdict(config).items()
              if k not in ("formats", "targets", "n_per_class", "head_seeds", "head_epochs", "n_boot", "probe_seeds",
                           "quick")}
    return ak.caching.cache_key("token_format_pretrain", {"format": name, "config": fields,
                                                          "simulator": ak.simulation.SIMULATOR_VERSION}, 1)


def pretrain_format(name: str, config: Config, workdir: str, train, val) -> dict:
    """Pretrain one format and release its encoder with a sidecar into ``workdir/models`` (cached)."""
    models = os.path.join(workdir, "models")
    path = os.path.join(models, f"{name}.keras")
    key = _settings_key(name, config)
    if os.path.exists(path) and os.path.exists(path[:-6] + ".json"):
        info = ak.presets.encoder_info(name, models)
        if info.get("settings_key") == key:
            return info["validation_metrics"]
    tokenizer = tokenizer_for_format(name, config)
    codes = pd.Categorical(train.metadata["label"], categories=list(CLASSES)).codes
    class_weight = ak.class_weights(codes, len(CLASSES)).tolist()
    ak.training.set_global_seed(config.seed)  # before any weight exists: same seed, same budget for every format
    model = build_model(name, config, class_weight)
    t0 = time.perf_counter()
    history = ak.training.pretrain(model, _dataset(train, tokenizer, config, True),
                                   _dataset(val, tokenizer, config, False), epochs=config.epochs,
                                   patience=config.patience, learning_rate=config.learning_rate, seed=config.seed,
                                   workdir=os.path.join(workdir, "pretrain", name), verbose=0)
    wall = time.perf_counter() - t0
    logs = model.evaluate(_dataset(val, tokenizer, config, False), return_dict=True, verbose=0)
    metrics = {"format": name, "n_train_curves": len(train), "epochs_run": len(history.history["loss"]),
               "train_wall_s": round(wall, 1), **{f"val_{k}": round(float(v), 4) for k, v in logs.items()},
               "encoder_params": int(model.encoder.count_params())}
    os.makedirs(models, exist_ok=True)
    ak.caching.atomic_write(path, model.encoder.save)
    ak.presets.write_sidecar(path, recipe="recipes.token_format", seed=config.seed, settings_key=key,
                             command=f"python -m astrofm recipes.token_format{'' if config.quick else ' --full'}"
                                     f" --objective {config.objective}",
                             tokenizer=tokenizer.get_config(), class_names=list(CLASSES), surveys=["ztf", "lsst"],
                             simulator_version=ak.simulation.SIMULATOR_VERSION, validation_metrics=metrics)
    print(f"[token_format] pretrained {name}: {metrics}", flush=True)
    return metrics


# ------------------------------------------------------------------------------- measuring
def _boot(log: RunLog, row: str, column: str, weights) -> np.ndarray:
    """Metric of ``row``/``column`` averaged over head seeds, per bootstrap resample (``None``: plain)."""
    runs = log.runs_for(row, column)
    truth = log.truth[(column, 0)]
    return np.mean([weighted_metric(r.metric, truth, r.y_pred, weights) for r in runs], axis=0)


def derived_measures(log: RunLog, name: str, config: Config, bts: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{measure: (value (1,), bootstrap (n_boot,))}`` of one format, on the log's shared resamples."""
    out = {}
    for v in config.targets:
        col_z, col_c = f"z {v}", f"class {v}"
        wz, wc = log.weights(col_z), log.weights(col_c)
        out[f"MSE ratio {v.upper()}"] = tuple(_boot(log, f"{name}|zero-shot", col_z, w) / _boot(log, f"{name}|direct",
                                                                                               col_z, w)
                                              for w in (None, wz))
        out[f"AUROC drop {v.upper()}"] = tuple(_boot(log, f"{name}|direct", col_c, w)
                                               - _boot(log, f"{name}|zero-shot", col_c, w) for w in (None, wc))
        out[f"zero-shot AUROC {v.upper()}"] = tuple(_boot(log, f"{name}|zero-shot", col_c, w) for w in (None, wc))
    if bts:
        w = log.weights("BTS g+r")
        out["BTS AUROC g+r"] = tuple(_boot(log, f"{name}|bts", "BTS g+r", x) for x in (None, w))
        for s in ("r", "g"):
            out[f"BTS drop {s} only"] = tuple(_boot(log, f"{name}|bts", "BTS g+r", x) - _boot(log, f"{name}|bts",
                                                                                           f"BTS {s}", x)
                                              for x in (None, w))
    return out


def _ci(boot: np.ndarray) -> tuple[float, float]:
    lo, hi = np.nanquantile(boot, [0.025, 0.975])
    return float(lo), float(hi)


LOWER_IS_BETTER = ("MSE ratio", "AUROC drop", "BTS drop", "probe")


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Pretrain every format, measure it, compare it with ``current``; writes the result files."""
    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    unknown = [f for f in config.formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown token formats {unknown}; choose from {', '.join(FORMATS)}")
    lcs = pretraining_data(config, workdir)
    train, val = ak.paired.split_objects(lcs, config.val_fraction, seed=config.seed)
    pre = {name: pretrain_format(name, config, workdir, train, val) for name in config.formats}
    t_pre = time.perf_counter() - t_start

    models = os.path.join(workdir, "models")
    xs_config = TransferConfig(models_dir=models, targets=config.targets, n_per_class=config.n_per_class,
                               head_seeds=config.head_seeds, head_epochs=config.head_epochs, bts=config.bts)
    views = simulate_eval_views(xs_config, workdir)
    meta, ids = views["ztf"].metadata, views["ztf"].object_ids
    y_class = np.array([CLASSES.index(c) for c in meta["label"]])
    y_z = meta["redshift"].to_numpy(float)
    train_e, dev_e, test_e = (ak.tasks.positions(views["ztf"], p) for p in ak.evaluation.train_dev_test_split_ids(
        ids, meta["label"].to_numpy(), 0.2, 0.2, seed=0))
    bts = bts_views(xs_config) if config.bts else None
    data = {"views": views, "train": train_e, "dev": dev_e, "test": test_e, "y_class": y_class, "y_z": y_z,
            "n_classes": len(CLASSES), "bts": bts}
    log = RunLog(n_boot=config.n_boot)
    probes, seconds = {}, {}
    for name in config.formats:
        sha = ak.presets.encoder_info(name, models)["sha256"]
        key = ak.caching.cache_key("token_format_runs", {"sha256": sha, "xs": dataclasses.asdict(xs_config),
                                                         "data": ak.results.array_fingerprint(ids, y_z)}, 1)
        records, _, seconds[name] = ak.caching.cached(os.path.join(workdir, "cache", f"{name}_{key}.pkl"),
                                                      lambda: encoder_runs(name, xs_config, data),
                                                      ak.caching.read_pickle, ak.caching.write_pickle)
        for rec in records:
            log.add(rec["row"], rec["column"], rec["metric"], split=0, seed=rec["seed"], y_true=rec["y_true"],
                    y_pred=rec["y_pred"])
        probes[name] = _probe(name, models, views, y_class, y_z, config)
        print(f"[token_format] measured {name} in {seconds[name]:.0f} s", flush=True)
    return write_outputs(log, probes, pre, config, workdir, views, bts, seconds, t_pre,
                         time.perf_counter() - t_start)


def _probe(name, models, views, y_class, y_z, config) -> dict[str, list[float]]:
    """Redshift-matched survey-probe AUROC, ZTF vs each target, for several fold seeds."""
    encoder = ak.load_encoder(name, models)
    tokenizer = ak.downstream.tokenizer_for(name, models)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ak.tokens.TruncationWarning)
        z = {v: ak.downstream.embed(encoder, views[v], tokenizer) for v in ("ztf",) + tuple(config.targets)}
    n = len(y_class)
    return {v: [ak.alignment.survey_probe_auroc(np.r_[z["ztf"], z[v]], np.repeat(["ztf", v], n),
                                                labels=np.r_[y_class, y_class], redshift=np.r_[y_z, y_z], seed=s)
                for s in config.probe_seeds] for v in config.targets}


def write_outputs(log, probes, pre, config, workdir, views, bts, seconds, t_pre, wall) -> pd.DataFrame:
    names = list(config.formats)
    measures = {n: derived_measures(log, n, config, bts is not None) for n in names}
    rows, comps = [], []
    for n in names:
        for m, (value, boot) in measures[n].items():
            lo, hi = _ci(boot)
            rows.append({"format": n, "measure": m, "value": float(value[0]), "ci_low": lo, "ci_high": hi})
        for v in config.targets:
            p = probes[n][v]
            rows.append({"format": n, "measure": f"probe {v.upper()}", "value": float(np.mean(p)),
                         "ci_low": float(np.min(p)), "ci_high": float(np.max(p))})
        if n == BASELINE or BASELINE not in names:
            continue
        for m, (value, boot) in measures[n].items():
            base_value, base_boot = measures[BASELINE][m]
            lo, hi = _ci(boot - base_boot)
            lower_better = m.startswith(LOWER_IS_BETTER)
            better = hi < 0 if lower_better else lo > 0
            worse = lo > 0 if lower_better else hi < 0
            comps.append({"format": n, "baseline": BASELINE, "measure": m,
                          "difference": float(value[0] - base_value[0]), "ci_low": lo, "ci_high": hi,
                          "verdict": "better" if better else ("worse" if worse else "no significant difference")})
    results = pd.DataFrame(rows)
    comparisons = pd.DataFrame(comps, columns=["format", "baseline", "measure", "difference", "ci_low", "ci_high",
                                               "verdict"])
    order = list(dict.fromkeys(results["measure"]))
    table = pd.DataFrame(index=pd.Index(names, name="format"))
    for m in order:
        digits = 2 if m.startswith(("MSE", "probe")) else 3
        cells = []
        for n in names:
            r = results[(results.format == n) & (results.measure == m)].iloc[0]
            sep = ", " if not m.startswith("probe") else "-"
            cells.append(f"{r['value']:.{digits}f} [{r['ci_low']:.{digits}f}{sep}{r['ci_high']:.{digits}f}]")
        table[m] = cells
    table["val accuracy"] = [f"{pre[n].get('val_accuracy', float('nan')):.3f}" for n in names]
    comp_md = ""
    if len(comparisons):
        shown = comparisons.copy()
        shown["difference [95% CI]"] = [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for d, lo, hi in
                                        zip(shown["difference"], shown["ci_low"], shown["ci_high"])]
        comp_md = ak.evaluation.markdown_table(
            shown.pivot(index="measure", columns="format", values="difference [95% CI]").loc[
                [m for m in order if m in set(shown["measure"])], [n for n in names if n != BASELINE]])
        significant = shown[shown["verdict"] != "no significant difference"]
        comp_md += "\nSignificant (paired CI excludes 0): " + ("; ".join(
            f"{r.format} {r.measure}: {r.verdict}" for r in significant.itertuples())
            or "none; no format differs from `current` on any measure") + ".\n"
    write_table(results, workdir, "token_format")
    write_table(comparisons, workdir, "comparisons", comp_md)
    write_table(pd.DataFrame(pre.values()), workdir, "pretrain")
    write_table(log.summary(), workdir, "summary")
    prov = provenance(config=dataclasses.asdict(config), wall_time_s=round(wall, 1), pretrain_s=round(t_pre, 1),
                      encoder_compute_s=seconds,
                      encoder_sha256={n: ak.presets.encoder_info(n, os.path.join(workdir, "models"))["sha256"]
                                      for n in names},
                      data_checksums={v: ak.results.array_fingerprint(l.object_ids, l.time_mjd, l.flux)
                                      for v, l in views.items()})
    ak.caching.atomic_write_text(os.path.join(workdir, "provenance.json"), json.dumps(prov, indent=1, default=str))
    n_test = len(log.truth[(f"class {config.targets[0]}", 0)])
    n_pre = pre[names[0]].get("n_train_curves")
    flag = "" if config.quick else " --full"
    head = (f"**Token format vs survey invariance** — `python -m astrofm recipes.token_format{flag} "
            f"--objective {config.objective}`\n\n"
            f"{commit_label(prov)}, "
            f"{prov['date_utc']}; wall time {wall / 60:.1f} min (pretraining {t_pre / 60:.1f} min) on "
            f"{prov['machine']['cpus']} CPUs (load: runtime.md).\n\n")
    notes = [f"Same {config.objective} model (GRU {config.gru_units}, dense {list(config.dense_units)}, latent "
             f"{config.latent_dim}), seed {config.seed}, <= {config.epochs} epochs (patience {config.patience}) on "
             f"{n_pre} training curves (ZTF forced + ZTF alerts + LSST forced views of "
             f"{config.pretrain_per_class} ZTF-detected transients per class); band formats: "
             f"embedding dim {config.band_embedding_dim}, code dropout {config.band_dropout}.",
             f"Evaluation: recipes.cross_survey's protocol on {len(views['ztf'])} fresh paired objects (seed 9090, test "
             f"{n_test})" + (f" and BTS split 0 ({len(bts[1]['test'])} test objects with g and r)" if bts else "")
             + f"; {len(config.head_seeds)} "
             "head seeds. [95% bootstrap CI over test objects]; probe: mean [min-max] over "
             f"{len(config.probe_seeds)} fold seeds. Targets of issue 12: ratio <= 1.2, drop <= 0.02, BTS drop <= 0.03, "
             "probe <= 0.75.",
             "Comparisons: format - current on the same bootstrap resamples (paired)."]
    md = (head + ak.evaluation.markdown_table(table) + "\n" + "\n".join(f"- {x}" for x in notes) + "\n"
          + ("\nDifferences from `current` [paired 95% CI]:\n\n" + comp_md if comp_md else ""))
    ak.caching.atomic_write_text(os.path.join(workdir, "token_format.md"), md)
    ak.caching.atomic_write_text(os.path.join(workdir, "runtime.md"),
                                 f"Wall time {wall / 60:.1f} min: pretraining {t_pre / 60:.1f} min ("
                                 + ", ".join(f"{n} {pre[n].get('train_wall_s', 0) / 60:.1f} min" for n in names)
                                 + "), measuring " + ", ".join(f"{n} {s / 60:.1f} min" for n, s in seconds.items())
                                 + f"; {ak.results.load_note()}.\n")
    print(md)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.token_format",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="paper-size encoder, larger pretraining set, 3 head seeds")
    parser.add_argument("--workdir", default=None, help="default: runs/token_format(_invariant)(_full)")
    parser.add_argument("--seed", type=int, default=0, help="pretraining seed (same for every format)")
    parser.add_argument("--objective", choices=("classifier", "invariant"), default="classifier")
    parser.add_argument("--formats", default=None, help=f"comma-separated subset of {', '.join(FORMATS)}")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (1 lets two runs share 2 cores ~2x faster than one run)")
    args = parser.parse_args(argv)
    ak.training.limit_threads(args.threads)
    overrides = {"seed": args.seed, "objective": args.objective}
    if args.formats:
        overrides["formats"] = tuple(args.formats.split(","))
    default = "token_format" + ("_invariant" if args.objective == "invariant" else "") + ("_full" if args.full else "")
    run(get_config(quick=not args.full, **overrides), args.workdir or os.path.join("runs", default))
    return 0


if __name__ == "__main__":
    sys.exit(main())
