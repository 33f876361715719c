"""Pretrain the paper's five encoders and our three variants on simulated ZTF/LSST light curves (Gupta et al. 2025, Sec. 3).

Makes the released encoders used by every table (``saved_models/``):

==================================  =====================  ==========================================
variant                             pretraining data        objective
==================================  =====================  ==========================================
``classifier_ztf``                  ztf_pretrain            8-class cross entropy
``classifier_ztf_lsst``             ztf + lsst_pretrain     8-class cross entropy
``contrastive_ztf_lsst``            ztf + lsst_pretrain     CE + supervised contrastive (tau 0.5)
``adversarial_ztf_lsst``            ztf + lsst_pretrain     CE - lambda H(D(z), survey), Algorithm 1
``contrastive_adversarial_ztf_lsst`` ztf + lsst_pretrain    both
``adversarial_confusion_ztf_lsst``  ztf + lsst_pretrain     CE + lambda H(uniform, D(z)) (ours, below)
``invariant_ztf_lsst``              paired views (below)    CE + object NT-Xent + view consistency (ours)
``classifier_paired_ztf_lsst``      paired views (below)    CE only: the control of the row above
==================================  =====================  ==========================================

Photometry views (beyond the paper): the simulator makes forced photometry (every visit), but
alert streams - and the real ZTF BTS light curves of Table 1 - deliver only the >= 5-sigma
detections. Each simulated ZTF object is therefore shown twice, as forced photometry and as its
alert view (``LightCurves.detections``; id suffix ``#alerts``), after the train/validation split
(``Config.ztf_views``; LSST: forced only). Measured at 15% scale, 25 epochs, classifier ZTF+LSST:
BTS class AUROC Limited/Full 0.795/0.857 (forced only) -> 0.801/0.855 (alerts only) ->
0.876/0.899 (both views); BTS redshift MSE x10^3 0.351/0.310 -> 0.289/0.253.

``adversarial_confusion_ztf_lsst`` (beyond the paper): under Algorithm 1 the encoder maximises the
discriminator's loss, which a latent that *flips* the survey also achieves; the confusion
objective (Tzeng et al. 2015) asks for an undecided discriminator instead
(``AdversarialClassifier(encoder_objective="confusion")``).

``invariant_ztf_lsst`` (beyond the paper, issue 12): :class:`~astrokeras.models.InvariantClassifier` on
*paired* simulations (:mod:`astrokeras.paired`): the presets' transients (no AGN) times
``paired_scale``, ZTF-detected objects seen as ``Config.ztf_paired_views`` (ZTF, LSST, g / r only,
thinned cadences, ZTF alerts) and LSST-detected ones as ``Config.lsst_paired_views``; every batch
holds two views of each of 64 objects, which are the positives of an object-level NT-Xent, plus a
within-object variance penalty. Split 90/10 by object; alignment measured on the held-out
objects' forced ZTF and LSST views (the same objects in both). ``classifier_paired_ztf_lsst`` is
the same data and batches with cross entropy only, so the two differ by the objective alone.

Command::

    python -m astrofm recipes.pretrain --variant all --release          # quick (CPU), every variant
    python -m astrofm recipes.pretrain --variant contrastive_ztf_lsst --full --release
    python -m astrofm recipes.pretrain --variant paper,invariant_ztf_lsst --full --processes 2 --release

Quick mode simulates the presets scaled by ``scale`` (0.2 -> 30,293 light curves, 47,233 with
the ZTF alert views) and trains at most 30 epochs; ``--full`` uses the paper's 151,468 curves and up to 100 epochs (patience 5). Both
keep 10% of the simulated objects (stratified by class and survey) for early stopping and for the
domain-alignment metrics (survey-probe AUROC, plain and redshift-matched, kNN survey mixing,
MMD; ``astrokeras.alignment``), measured on the forced photometry of both surveys.

Outputs (``--workdir``, default ``runs/pretrain``): per variant a folder with ``history.csv/json``
(every epoch, also across a resume), an atomic per-epoch checkpoint (a run killed with ``kill -9``
resumes and ends with the same weights as an uninterrupted run), ``metrics.json`` and
``encoder.weights.h5``; ``pretrain_summary.md/csv``. Reproducible: the global seed is set before the
model is built, so two runs with the same ``--seed`` give bit-identical encoder weights (tested).
Simulated sets are cached in ``workdir/data`` under a key of preset, scale and simulator version. With
``--release`` the encoder is written to ``saved_models/<variant>.keras`` (``<variant>_full.keras``
with ``--full``, so quick and paper-size encoders live side by side) with a JSON sidecar
(command, data preset and seed, versions, validation metrics, sha256) and reference outputs on a
fixed batch (``saved_models/<variant>.reference.npz``) that the test suite checks after reloading.

Measured (quick, 2 CPU cores, two variants at a time, 9-12 min each): validation accuracy
0.47-0.62 over the 8 simulated classes (Ia / 91bg / Iax are hard to tell apart); survey-probe
AUROC 0.995 for the plain ZTF+LSST classifier, 0.964 contrastive, 0.991 adversarial, 0.987 both
(the paper's expectation: lower for contrastive/adversarial; full table in recipes/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time

import numpy as np
import pandas as pd

import astrokeras as ak

VARIANTS: dict[str, dict] = {
    "classifier_ztf": {"surveys": ("ztf",), "contrastive": False, "adversarial": False},
    "classifier_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": False},
    "contrastive_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": True, "adversarial": False},
    "adversarial_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": True},
    "contrastive_adversarial_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": True, "adversarial": True},
    # beyond the paper: the encoder confuses the discriminator instead of maximising its loss
    "adversarial_confusion_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": True,
                                       "encoder_objective": "confusion"},
    # beyond the paper: positives are views of the same simulated object (surveys, band subsets,
    # thinned cadences, alerts); trained on paired simulations, see run_invariant_variant
    "invariant_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": False,
                           "invariant": True},
    # its control: the same paired data and batches, cross entropy only (isolates the objective)
    "classifier_paired_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": False,
                                   "invariant": True, "invariance_weight": 0.0, "consistency_weight": 0.0},
    # beyond the paper: the 8 transient classes plus the 7 simulated periodic-variable classes
    # (ZTF-, LSST- and EROS-like cadences; astrokeras.simulation.variables), for variable-star domains
    "classifier_variables_ztf_lsst": {"surveys": ("ztf", "lsst"), "contrastive": False, "adversarial": False,
                                      "variables": ("ztf_variables", "lsst_variables", "eros_variables")},
}
PAPER_VARIANTS = tuple(v for v in VARIANTS if "confusion" not in v and not VARIANTS[v].get("invariant")
                       and not VARIANTS[v].get("variables"))


def variant_classes(variant: str) -> tuple[str, ...]:
    """The classes a variant's head predicts: the 8 transients, plus the variables when it trains on them."""
    return ak.simulation.ALL_CLASSES if VARIANTS[variant].get("variables") else ak.simulation.CLASSES
#: How each survey's simulated forced photometry is shown to the encoder: "forced" (every visit),
#: "alerts" (detections at S/N >= 5 only, what an alert stream such as the ZTF BTS light curves
#: delivers) or both (each object twice, one copy per view).
PHOTOMETRY_VIEWS = ("forced", "alerts")
SURVEYS = ("ztf", "lsst")
REFERENCE_FILE = "reference_inputs.npz"


@dataclasses.dataclass(frozen=True)
class Config:
    variants: tuple[str, ...] = tuple(VARIANTS)
    scale: float = 0.2
    epochs: int = 30
    patience: int = 5
    batch_size: int = 128
    learning_rate: float = 1e-3
    seed: int = 0
    val_fraction: float = 0.1
    n_jobs: int = 2
    release: bool = False
    models_dir: str = "saved_models"
    max_val_alignment: int = 4000  # objects per survey used for the alignment metrics
    ztf_views: tuple[str, ...] = ("forced", "alerts")
    release_suffix: str = ""  # appended to the variant's name in saved_models/ ("_full" for --full)
    data_parallel: bool = False  # build and fit inside astrokeras.distribute.data_parallel() (all GPUs/devices)
    lsst_views: tuple[str, ...] = ("forced",)
    # invariant variants: paired simulations (astrokeras.paired) of the presets' transient counts x
    # paired_scale, ZTF-detected and LSST-detected objects each seen through these views
    # (PS1, ATLAS and DES are left out: recipes.cross_survey tests transfer to them)
    paired_scale: float | None = None  # None: scale
    threads: int | None = None         # TensorFlow threads (None: TensorFlow's default)
    ztf_paired_views: tuple[str, ...] = ("ztf", "lsst", "ztf:g", "ztf:r", "ztf@0.5", "lsst:gri",
                                         "lsst@0.3", "ztf#alerts")
    lsst_paired_views: tuple[str, ...] = ("lsst", "lsst:gri", "lsst:riz", "lsst@0.3", "ztf#alerts")
    views_per_object: int = 2
    objects_per_batch: int = 64
    invariance_weight: float = 1.0
    consistency_weight: float = 1.0


def get_config(quick: bool = True, **overrides) -> Config:
    """Quick (CPU, minutes) or full (paper-size) configuration."""
    config = Config() if quick else Config(scale=1.0, epochs=100, release_suffix="_full")
    return dataclasses.replace(config, **overrides)


def _simulate(config: Config, workdir: str) -> ak.LightCurves:
    """The pretraining sets, cached under ``workdir/data`` with a key of the preset, scale and the
    simulator's version (:mod:`astrokeras.caching`: atomic writes, corrupt files rebuilt)."""
    return _simulate_presets([f"{survey}_pretrain" for survey in SURVEYS], config.scale, config, workdir)


def _run_id(variant: str, train: ak.LightCurves, val: ak.LightCurves) -> dict:
    """What a resumable checkpoint must match: the variant and the exact training/validation curves
    (a run at another scale or simulator version in the same workdir is refused, not resumed)."""
    fingerprint = ak.results.array_fingerprint
    return {"variant": variant, "train": fingerprint(train.object_ids, train.flux),
            "val": fingerprint(val.object_ids, val.flux)}


def _timing(history, wall_s: float, curves_per_epoch: int) -> dict:
    """Training time over every session of a (possibly resumed) run: ``train_wall_s`` and the throughput.
    A checkpoint written before the total was recorded only lets this session's epochs be timed: then
    ``train_wall_s_this_session`` and ``epochs_resumed`` say so instead."""
    epochs_run = len(history.history["loss"])
    total = getattr(history, "train_seconds", None)
    resumed = int(getattr(history, "resumed_epochs", 0) or 0)
    if total is None:  # only the epochs trained in this session were timed
        here = epochs_run - resumed
        return {"train_wall_s_this_session": round(wall_s, 1), "epochs_resumed": resumed,
                "train_curves_per_s": round(curves_per_epoch * here / wall_s, 1) if here > 0 else None}
    total = total if total > 0 else wall_s
    return {"train_wall_s": round(total, 1), "train_curves_per_s": round(curves_per_epoch * epochs_run / total, 1)}


def _simulate_presets(names, scale: float | None, config: Config, workdir: str) -> ak.LightCurves:
    """Simulated presets (``scale=None``: full size), each cached in ``workdir/data``."""
    parts = []
    for name in names:
        def build(name=name):
            t0 = time.perf_counter()
            lcs = ak.simulate_preset(name, n_jobs=config.n_jobs, **({} if scale is None else {"scale": scale}))
            size = "" if scale is None else f" x{scale:g}"
            print(f"simulated {name}{size}: {len(lcs)} light curves in {time.perf_counter() - t0:.1f} s")
            return lcs

        key = {"preset": name} if scale is None else {"preset": name, "scale": scale}
        parts.append(ak.caching.cached_light_curves(os.path.join(workdir, "data"), name, key, build))
    return ak.LightCurves.concat(parts)


def _split(lcs: ak.LightCurves, config: Config):
    strata = lcs.metadata["label"].astype(str) + "|" + lcs.metadata["survey"].astype(str)
    train_ids, val_ids = ak.evaluation.train_test_split_ids(lcs.object_ids, strata.to_numpy(),
                                                            config.val_fraction, seed=config.seed)
    return lcs.subset(train_ids), lcs.subset(val_ids)


def photometry_views(lcs: ak.LightCurves, config: Config) -> ak.LightCurves:
    """Each survey's objects in the configured views (``ztf_views``/``lsst_views``).

    The alert view keeps detections at S/N >= 5 (objects with fewer than 2 are dropped) and gets
    ids suffixed ``#alerts``. Applied after the train/validation split, so both views of one
    object stay on the same side.
    """
    parts = []
    for survey, views in (("ztf", config.ztf_views), ("lsst", config.lsst_views)):
        bad = set(views) - set(PHOTOMETRY_VIEWS)
        if bad or not views:
            raise ValueError(f"{survey}_views must be a non-empty subset of {PHOTOMETRY_VIEWS}, got {views}")
        part = lcs.subset(lcs.metadata["survey"].to_numpy() == survey)
        if "forced" in views:
            parts.append(part)
        if "alerts" in views:
            alerts = part.detections(snr=5.0, min_detections=2)
            parts.append(_suffixed(alerts, "#alerts") if "forced" in views else alerts)
    other = ~np.isin(lcs.metadata["survey"].to_numpy(), ["ztf", "lsst"])
    if other.any():  # e.g. EROS-like simulated variables: every visit
        parts.append(lcs.subset(other))
    return ak.LightCurves.concat(parts)


def _suffixed(lcs: ak.LightCurves, suffix: str) -> ak.LightCurves:
    photometry = lcs.photometry
    photometry["object_id"] = photometry["object_id"] + suffix
    metadata = lcs.metadata.copy()
    metadata.index = metadata.index.astype(str) + suffix
    return ak.LightCurves.from_table(photometry, metadata=metadata)


def _dataset(lcs, config, shuffle, classes=None):
    # survey labels feed only the adversarial heads (ZTF vs LSST); other surveys (EROS-like variables) come after
    surveys = list(SURVEYS) + sorted(set(lcs.metadata["survey"].astype(str)) - set(SURVEYS))
    return ak.pipeline.dataset_from_light_curves(
        lcs, ak.Tokenizer(), label_columns={"class": "label", "survey": "survey"},
        class_names={"class": list(classes or ak.simulation.CLASSES), "survey": surveys},
        batch_size=config.batch_size, shuffle=shuffle, seed=config.seed)


def build_model(variant: str, class_weight=None, invariance_weight: float = 1.0, consistency_weight: float = 1.0):
    """The task model of a variant, around a fresh paper-size :class:`GRUEncoder`."""
    spec = VARIANTS[variant]
    encoder = ak.GRUEncoder(n_features=3, name="gru_encoder")
    n_classes = len(variant_classes(variant))
    if spec.get("invariant"):
        return ak.InvariantClassifier(encoder, n_classes=n_classes, invariance_weight=invariance_weight,
                                      consistency_weight=consistency_weight, class_weight=class_weight, name=variant)
    if spec["adversarial"]:
        return ak.AdversarialClassifier(encoder, n_classes=n_classes, n_domains=len(SURVEYS),
                                        contrastive_weight=1.0 if spec["contrastive"] else 0.0,
                                        encoder_objective=spec.get("encoder_objective", "maximize_disc_loss"),
                                        class_weight=class_weight, name=variant)
    if spec["contrastive"]:
        return ak.ContrastiveClassifier(encoder, n_classes=n_classes, class_weight=class_weight, name=variant)
    return ak.Classifier(encoder, n_classes=n_classes, class_weight=class_weight, name=variant)


def reference_inputs(models_dir: str) -> dict:
    """A fixed batch of 16 simulated curves (8 ZTF, 8 LSST) for the reload checks, made once."""
    path = os.path.join(models_dir, REFERENCE_FILE)
    if not os.path.exists(path):
        parts = [ak.simulate(s, n=8, seed=424242, id_prefix=f"ref_{s}_") for s in SURVEYS]
        padded = ak.Tokenizer().tokenize(ak.LightCurves.concat(parts)).padded()
        os.makedirs(models_dir, exist_ok=True)
        np.savez_compressed(path, values=padded["values"], mask=padded["mask"])
    with np.load(path) as data:
        return {"values": data["values"], "mask": data["mask"]}


def _devices(config: Config):
    """``data_parallel()`` when ``config.data_parallel``, else a no-op context (yields the replica count)."""
    if not config.data_parallel:
        return contextlib.nullcontext(1)
    from astrokeras.distribute import data_parallel

    return data_parallel()


def _single_device(encoder, config: Config):
    """The encoder to embed with and save: a plain copy after data-parallel training (a model built
    under MirroredStrategy predicts per replica)."""
    return ak.downstream.copy_encoder(encoder) if config.data_parallel else encoder


def run_variant(variant: str, config: Config, workdir: str, train, val) -> dict:
    vdir = os.path.join(workdir, variant)
    spec = VARIANTS[variant]
    keep = lambda lcs: lcs.subset(np.isin(lcs.metadata["survey"].to_numpy(), spec["surveys"]))  # noqa: E731
    train_v, val_v = photometry_views(keep(train), config), photometry_views(keep(val), config)
    if spec.get("variables"):
        var_train, var_val = _split(_simulate_presets(spec["variables"], None, config, workdir), config)
        train_v = ak.LightCurves.concat([train_v, photometry_views(var_train, config)])
        val_v = ak.LightCurves.concat([val_v, photometry_views(var_val, config)])
    classes = variant_classes(variant)
    codes = pd.Categorical(train_v.metadata["label"], categories=list(classes)).codes
    class_weight = ak.class_weights(codes, len(classes)).tolist()
    ak.training.set_global_seed(config.seed)  # before any weight exists: same seed -> same initial weights
    with _devices(config):
        model = build_model(variant, class_weight)
        t0 = time.perf_counter()
        history = ak.training.pretrain(model, _dataset(train_v, config, True, classes),
                                       _dataset(val_v, config, False, classes), epochs=config.epochs, patience=config.patience,
                                       learning_rate=config.learning_rate, seed=config.seed, workdir=vdir,
                                       monitor="val_class_loss" if spec["adversarial"] else "val_loss",
                                       run_id=_run_id(variant, train_v, val_v))
        wall = time.perf_counter() - t0
        val_logs = model.evaluate(_dataset(val_v, config, False, classes), return_dict=True, verbose=0)
    epochs_run = len(history.history["loss"])
    encoder = _single_device(model.encoder, config)

    # domain alignment on held-out ZTF + LSST objects (both surveys, whatever the training data)
    rng = np.random.default_rng(config.seed)
    picks = []
    for survey in SURVEYS:
        ids = val.object_ids[val.metadata["survey"].to_numpy() == survey]
        picks.append(rng.choice(ids, size=min(len(ids), config.max_val_alignment), replace=False))
    align_set = val.subset(np.concatenate(picks))
    z = ak.downstream.embed(encoder, align_set, ak.Tokenizer())
    alignment = ak.alignment.alignment_report(z, align_set.metadata["survey"].to_numpy(),
                                              align_set.metadata["label"].to_numpy(), seed=config.seed,
                                              redshift=align_set.metadata["redshift"].to_numpy())
    alignment.per_class.to_csv(os.path.join(vdir, "alignment_per_class.csv"), index=False)
    metrics = {
        "variant": variant, "n_train": len(train_v), "n_val": len(val_v), "epochs_run": epochs_run,
        **_timing(history, wall, len(train_v)),
        **{f"val_{k}": float(v) for k, v in val_logs.items()},
        **{f"alignment_{k}": float(v) for k, v in alignment.summary().items()},
    }
    ak.caching.atomic_write_text(os.path.join(vdir, "metrics.json"), json.dumps(metrics, indent=1))
    ak.caching.atomic_write(os.path.join(vdir, "encoder.weights.h5"), encoder.save_weights)
    if config.release:
        _release(encoder, variant, config, metrics)
    return metrics


def _simulate_paired(config: Config, workdir: str) -> ak.LightCurves:
    """Stacked paired views (:mod:`astrokeras.paired`) of ZTF- and LSST-detected transients, cached.

    Per-class counts are the pretraining presets' (AGN excepted: ``simulate_views`` makes
    transients) times ``paired_scale``; the seeds (``seed`` + 1000 / 2000) differ from every
    evaluation seed of ``recipes.cross_survey``.
    """
    from astrokeras.simulation.presets import preset_counts

    scale = config.paired_scale if config.paired_scale is not None else config.scale
    parts, offset = [], 0
    for survey, views, seed in (("ztf", config.ztf_paired_views, config.seed + 1000),
                                ("lsst", config.lsst_paired_views, config.seed + 2000)):
        counts = {c: n for c, n in preset_counts(f"{survey}_pretrain", scale).items() if c != "AGN"}
        key = {"paired": survey, "views": list(views), "counts": counts, "seed": seed}

        def build(views=views, counts=counts, seed=seed, survey=survey):
            t0 = time.perf_counter()
            stacked = ak.paired.stack_views(ak.paired.simulate_paired_views(
                views, classes=counts, seed=seed, id_prefix=f"paired_{survey}_{seed}_"))
            print(f"simulated paired {survey}: {stacked.metadata['object_key'].nunique()} objects, "
                  f"{len(stacked)} views in {time.perf_counter() - t0:.1f} s", flush=True)
            return stacked

        part = ak.caching.cached_light_curves(os.path.join(workdir, "data"), f"paired_{survey}", key, build)
        meta = part.metadata.copy()
        meta["object_code"] = meta["object_code"].to_numpy() + offset  # codes unique across both sets
        part.metadata = meta
        offset = int(meta["object_code"].max()) + 1
        parts.append(part)
    return ak.LightCurves.concat(parts)


def _paired_dataset(lcs, config, shuffle):
    return ak.paired.paired_dataset(
        lcs, ak.Tokenizer(), label_columns={"class": "label", "survey": "survey"},
        class_names={"class": list(ak.simulation.CLASSES), "survey": list(SURVEYS)},
        objects_per_batch=config.objects_per_batch, views_per_object=config.views_per_object,
        shuffle=shuffle, seed=config.seed)


def run_invariant_variant(variant: str, config: Config, workdir: str) -> dict:
    """Pretrain an :class:`~astrokeras.models.InvariantClassifier` on paired views (split by object)."""
    vdir = os.path.join(workdir, variant)
    lcs = _simulate_paired(config, workdir)
    train, val = ak.paired.split_objects(lcs, config.val_fraction, seed=config.seed)
    codes = pd.Categorical(train.metadata["label"], categories=list(ak.simulation.CLASSES)).codes
    class_weight = ak.class_weights(codes, len(ak.simulation.CLASSES)).tolist()
    ak.training.set_global_seed(config.seed)  # before any weight exists
    spec = VARIANTS[variant]
    with _devices(config):
        model = build_model(variant, class_weight, spec.get("invariance_weight", config.invariance_weight),
                            spec.get("consistency_weight", config.consistency_weight))
        t0 = time.perf_counter()
        history = ak.training.pretrain(model, _paired_dataset(train, config, True),
                                       _paired_dataset(val, config, False), epochs=config.epochs,
                                       patience=config.patience, learning_rate=config.learning_rate,
                                       seed=config.seed, workdir=vdir, run_id=_run_id(variant, train, val))
        wall = time.perf_counter() - t0
        val_logs = model.evaluate(_paired_dataset(val, config, False), return_dict=True, verbose=0)
    epochs_run = len(history.history["loss"])
    encoder = _single_device(model.encoder, config)
    # alignment on the held-out objects' forced ZTF and LSST views (the same objects in both)
    align_set = val.subset(np.isin(val.metadata["view"].to_numpy(), ["ztf", "lsst"]))
    z = ak.downstream.embed(encoder, align_set, ak.Tokenizer())
    alignment = ak.alignment.alignment_report(z, align_set.metadata["survey"].to_numpy(),
                                              align_set.metadata["label"].to_numpy(), seed=config.seed,
                                              redshift=align_set.metadata["redshift"].to_numpy())
    alignment.per_class.to_csv(os.path.join(vdir, "alignment_per_class.csv"), index=False)
    n_curves = len(np.unique(train.metadata["object_code"])) * config.views_per_object
    metrics = {
        "variant": variant, "n_train": len(train), "n_val": len(val), "epochs_run": epochs_run,
        **_timing(history, wall, n_curves),
        **{f"val_{k}": float(v) for k, v in val_logs.items()},
        **{f"alignment_{k}": float(v) for k, v in alignment.summary().items()},
    }
    ak.caching.atomic_write_text(os.path.join(vdir, "metrics.json"), json.dumps(metrics, indent=1))
    ak.caching.atomic_write(os.path.join(vdir, "encoder.weights.h5"), encoder.save_weights)
    if config.release:
        _release(encoder, variant, config, metrics)
    return metrics


def _release(encoder, variant: str, config: Config, metrics: dict) -> None:
    os.makedirs(config.models_dir, exist_ok=True)
    name = f"{variant}{config.release_suffix}"
    path = os.path.join(config.models_dir, f"{name}.keras")
    encoder.save(path)
    ref = reference_inputs(config.models_dir)
    np.savez_compressed(os.path.join(config.models_dir, f"{name}.reference.npz"),
                        outputs=encoder.predict(ref, verbose=0))
    # the command that remakes this file (epochs always explicit: they are often overridden)
    mode = "--full" if config.release_suffix == "_full" and config.scale == 1.0 else f"--scale {config.scale:g}"
    mode += f" --epochs {config.epochs}"
    if VARIANTS[variant].get("invariant") and config.paired_scale is not None:
        mode += f" --paired-scale {config.paired_scale:g}"
    if config.threads:
        mode += f" --threads {config.threads}"
    ak.presets.write_sidecar(
        path, recipe="recipes.pretrain", command=f"python -m astrofm recipes.pretrain --variant {variant} {mode} --release",
        data_presets=[f"{s}_pretrain" + (" (paired views, transients)" if VARIANTS[variant].get("invariant") else "")
                      for s in VARIANTS[variant]["surveys"]] + list(VARIANTS[variant].get("variables", ())),
        data_scale=config.paired_scale if VARIANTS[variant].get("invariant") and config.paired_scale else config.scale,
        seed=config.seed, validation_metrics=metrics, tokenizer=ak.Tokenizer().get_config(),
        simulator_version=ak.simulation.SIMULATOR_VERSION, class_names=list(variant_classes(variant)), surveys=list(SURVEYS),
        photometry_views={"ztf": list(config.ztf_views), "lsst": list(config.lsst_views)})


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Simulate, split, pretrain each variant; return one row of metrics per variant."""
    os.makedirs(workdir, exist_ok=True)
    rows = {}
    if any(not VARIANTS[v].get("invariant") for v in config.variants):
        lcs = _simulate(config, workdir)
        train, val = _split(lcs, config)
    for v in config.variants:
        rows[v] = (run_invariant_variant(v, config, workdir) if VARIANTS[v].get("invariant")
                   else run_variant(v, config, workdir, train, val))
    return summarize(workdir, rows)


def summarize(workdir: str, rows: dict | None = None) -> pd.DataFrame:
    """``pretrain_summary.md/csv`` of every variant trained in ``workdir`` (``rows``: metrics already at hand)."""
    rows = dict(rows or {})
    # the summary also lists variants trained earlier (or by a parallel process) in this workdir
    for v in VARIANTS:
        path = os.path.join(workdir, v, "metrics.json")
        if v not in rows and os.path.exists(path):
            with open(path) as fh:
                rows[v] = json.load(fh)
    table = pd.DataFrame([rows[v] for v in VARIANTS if v in rows]).set_index("variant")
    table.to_csv(os.path.join(workdir, "pretrain_summary.csv"))
    cols = [c for c in ("n_train", "epochs_run", "train_curves_per_s", "val_accuracy", "val_class_loss",
                        "alignment_probe_auroc", "alignment_probe_auroc_matched", "alignment_knn_mixing", "alignment_mmd2") if c in table.columns]
    with open(os.path.join(workdir, "pretrain_summary.md"), "w") as fh:
        fh.write(ak.evaluation.markdown_table(table[cols]))
    print(table[cols].to_string())
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.pretrain", description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="all",
                        help=f"one of {', '.join(VARIANTS)}, several separated by commas, 'paper' (the "
                             "paper's five) or 'all'; e.g. 'paper,invariant_ztf_lsst'")
    parser.add_argument("--full", action="store_true", help="paper-size data and epochs")
    parser.add_argument("--scale", type=float, help="override the preset scale")
    parser.add_argument("--epochs", type=int,
                        help="override the maximum number of epochs (may change when resuming a checkpoint; "
                             "the checkpoint's epoch ends the run there, best weights restored)")
    parser.add_argument("--paired-scale", type=float, help="scale of the paired simulations (invariant variants)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=os.path.join("runs", "pretrain"))
    parser.add_argument("--release", action="store_true", help="write the encoders to saved_models/")
    parser.add_argument("--models-dir", default="saved_models")
    parser.add_argument("--data-parallel", action="store_true",
                        help="train on every GPU (else every CPU device) at once: tf.distribute.MirroredStrategy "
                             "or keras.distribution.DataParallel (astrokeras.distribute)")
    parser.add_argument("--virtual-cpu-devices", type=int, default=None,
                        help="split the CPU into N TensorFlow devices first (to try --data-parallel without GPUs)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (1 lets two pretraining runs share 2 cores ~2x faster than one run)")
    parser.add_argument("--processes", type=int, default=1,
                        help="train several variants at once, one worker process each (on 2 CPU cores: 2, "
                             "with one thread each); logs in WORKDIR/VARIANT.log")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error(f"--processes must be >= 1, got {args.processes}")
    if args.processes > 1 and (args.data_parallel or args.virtual_cpu_devices):
        parser.error("--processes shares the cores among variants; --data-parallel spreads one variant over "
                     "devices: use one or the other")
    ak.training.limit_threads(args.threads)
    if args.virtual_cpu_devices:
        from astrokeras.distribute import virtual_cpu_devices

        virtual_cpu_devices(args.virtual_cpu_devices)
    groups = {"all": tuple(VARIANTS), "paper": PAPER_VARIANTS}
    variants = tuple(dict.fromkeys(v for part in args.variant.split(",") for v in groups.get(part, (part,))))
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}, 'paper' or 'all'")
    overrides = {"seed": args.seed, "release": args.release, "models_dir": args.models_dir,
                 "variants": variants, "data_parallel": args.data_parallel, "threads": args.threads}
    if args.scale is not None:
        overrides["scale"] = args.scale
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.paired_scale is not None:
        overrides["paired_scale"] = args.paired_scale
    config = get_config(quick=not args.full, **overrides)
    if args.processes > 1 and len(variants) > 1:
        return run_processes(config, args.workdir, _child_args(args), args.processes, args.threads)
    run(config, args.workdir)
    return 0


def _child_args(args) -> list[str]:
    """The command-line options a worker process repeats: all but the variant, threads and processes
    (and the device options, which ``--processes`` refuses)."""
    out = ["--seed", str(args.seed), "--workdir", os.path.abspath(args.workdir),
           "--models-dir", os.path.abspath(args.models_dir)]
    out += ["--full"] if args.full else []
    out += ["--release"] if args.release else []
    for flag, value in (("--scale", args.scale), ("--epochs", args.epochs), ("--paired-scale", args.paired_scale)):
        if value is not None:
            out += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return out


def _wait_until_training(proc, log_path: str, offset: int, poll_s: float, timeout_s: float) -> None:
    """Block until a worker's log shows an epoch line after byte ``offset`` (its data are prepared), the
    worker ended, or ``timeout_s`` passed."""
    t0 = time.perf_counter()
    while proc.poll() is None and time.perf_counter() - t0 < timeout_s:
        with open(log_path, "rb") as f:
            f.seek(offset)
            if b"Epoch " in f.read():
                return
        time.sleep(poll_s)


def _exit_description(returncode: int) -> str:
    """``exit status 1``, or for a worker killed by a signal its name (SIGKILL: most often the
    out-of-memory killer)."""
    if returncode >= 0:
        return f"exit status {returncode}"
    import signal

    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    hint = " (most often the out-of-memory killer: run fewer --processes)" if name == "SIGKILL" else ""
    return f"exit status {returncode}, killed by {name}{hint}"


def run_processes(config: Config, workdir: str, child_args: list[str], processes: int,
                  threads: int | None = None, poll_s: float = 5.0, stagger_timeout_s: float = 1800.0) -> int:
    """Train ``config.variants`` in ``processes`` worker processes at a time, one variant each, with
    ``threads`` TensorFlow threads each (default: the cores shared out); on a CPU two single-threaded
    runs finish ~2x sooner than one using both cores. The simulated sets are built once, here, before
    the workers start (they read the cache). Each worker logs to ``workdir/<variant>.log`` and resumes
    its own checkpoint when the command is run again. Returns 0, or 1 when a worker failed (named).

    Workers start one after another: the next one starts when the previous one's log shows its first
    epoch (at most ``stagger_timeout_s`` later; 0: all at once), because a worker's peak memory is in
    preparing its data (measured: ~14 GB RSS for a paper-size paired-view worker, ~6 GB once training),
    and two paired-view workers preparing at once were killed by the out-of-memory killer on 24 GB."""
    import subprocess

    os.makedirs(workdir, exist_ok=True)
    if any(not VARIANTS[v].get("invariant") for v in config.variants):
        _simulate(config, workdir)
    if any(VARIANTS[v].get("invariant") for v in config.variants):
        _simulate_paired(config, workdir)
    threads = threads or max(1, (os.cpu_count() or 1) // processes)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where `astrofm` lives
    queue, running, failed = list(config.variants), {}, []
    while queue or running:
        while queue and len(running) < processes:
            variant = queue.pop(0)
            log = open(os.path.join(workdir, f"{variant}.log"), "ab")
            cmd = [sys.executable, "-m", "astrofm", "recipes.pretrain", "--variant", variant,
                   "--threads", str(threads), *child_args]
            print(f"[pretrain] start {variant}: {' '.join(cmd[1:])} (log {log.name})", flush=True)
            offset = log.tell()
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root)
            running[variant] = (proc, log, time.perf_counter())
            if queue and len(running) < processes and stagger_timeout_s > 0:
                _wait_until_training(proc, log.name, offset, min(poll_s, 5.0), stagger_timeout_s)
        time.sleep(poll_s)
        for variant, (proc, log, t0) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[variant]
                print(f"[pretrain] {variant} ended with {_exit_description(proc.returncode)} after "
                      f"{(time.perf_counter() - t0) / 60:.1f} min", flush=True)
                if proc.returncode != 0:
                    failed.append(variant)
    if failed:
        print(f"[pretrain] failed: {', '.join(failed)} (see their logs in {workdir})", file=sys.stderr)
        return 1
    summarize(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
