"""Figures of Gupta et al. (2025) and three additions: UMAP, light curves, ROC, early classification,
redshift with uncertainty.

Paper figures: Fig. 1 (example light curves; here real BTS next to simulated ZTF, in magnitudes,
ZTF g green and r red), Figs 4-5 (UMAP of the latent space: all classes coloured by class, the
same points coloured by survey, and SN II only by survey; titled "PCA" if umap-learn is missing),
and - not in the paper -
ROC curves on real BTS classification and anomaly detection, early classification (macro AUROC
versus days since the first detection, test curves truncated; the head is trained on full
curves), and redshift with an uncertainty (a Normal on log(1+z) head, NLL-trained: MSE and R^2
of the mean, coverage of the 68%/95% intervals, PIT histogram). Predicted redshifts (mean and
interval bounds) below 0 are unphysical and set to 0 before the metrics and the plot; the
``n_pred_below_0`` column counts them.

Command::

    python -m astrofm recipes.figures                # quick: released encoders, CPU, a few minutes
    python -m astrofm recipes.figures --full         # larger UMAP samples and simulated sets

Outputs (``--workdir``, default ``runs/figures``): ``light_curves_real.png``,
``light_curves_sim.png``, ``umap_<encoder>.png``, ``roc_bts.png``, ``early_classification.png``
+ ``.csv``, ``redshift_uncertainty.md`` + ``.csv`` + ``redshift_<encoder>.png``.

Expected: contrastive/adversarial encoders mix ZTF and LSST more within a class (Figs 4-5); AUROC
rises with days since detection and saturates after ~30-50 days; intervals close to nominal
coverage. Runtime (2 CPU cores, shared): quick 198 s measured (eight encoders) (UMAP compiles for ~45 s on first use).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import pandas as pd

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.tasks import BTS_CLASSES, ENCODER_ROWS, FEATURE_ROW, SIM_PRESETS, table_encoders

DAYS = (3, 5, 10, 15, 20, 30, 50, 100)


@dataclasses.dataclass(frozen=True)
class Config:
    encoders: tuple[str, ...] = table_encoders(quick=True)[0]  # the quick table's encoders
    models_dir: str | None = None
    data_home: str | None = None
    sim_scale: float = 0.5
    n_umap: int = 1500               # objects per survey in the UMAP plots
    days: tuple[float, ...] = DAYS
    split_seed: int = 0
    seed: int = 0
    umap: bool = True
    features: bool = True
    n_jobs: int = 2
    test_fraction: float = 0.2
    tasks: tuple[str, ...] = ("bts", "sim")   # "bts": the real-data figures (ROC, early, redshift)
    quick: bool = True


def get_config(quick: bool = True, **overrides) -> Config:
    config = Config() if quick else Config(sim_scale=1.0, n_umap=4000, quick=False)
    return dataclasses.replace(config, **overrides)


def _save(fig, workdir, name, written):
    import matplotlib.pyplot as plt

    path = os.path.join(workdir, name)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    written.append(path)


def _examples(lcs, labels, seed, per_class=1):
    rng = np.random.default_rng(seed)
    meta = lcs.metadata
    ids = []
    for label in labels:
        cand = meta.index[(meta["label"] == label).to_numpy() & (lcs.lengths >= 15)]
        if len(cand):
            ids += list(rng.choice(cand, size=min(per_class, len(cand)), replace=False))
    return ids


@dataclasses.dataclass
class _Task:
    lcs: ak.LightCurves
    train: np.ndarray
    test: np.ndarray
    bands: list


def _split(lcs, config: Config) -> tuple[np.ndarray, np.ndarray]:
    train, test = ak.evaluation.train_test_split_ids(lcs.object_ids, lcs.metadata["label"].to_numpy(),
                                                     config.test_fraction, seed=config.split_seed)
    pos = pd.Series(np.arange(len(lcs)), index=lcs.object_ids.astype(str))
    return pos.loc[train.astype(str)].to_numpy(), pos.loc[test.astype(str)].to_numpy()


def load_tasks(config: Config, workdir: str, notes: list) -> dict[str, _Task]:
    """Real BTS (data home or the copy shipped with astrokeras) and simulated ZTF/LSST sets."""
    tasks = {}
    if "bts" in config.tasks:
        try:
            bts, report = ak.datasets.load_bts(config.data_home, return_report=True)
            tasks["bts"] = _Task(bts, *_split(bts, config), ["ztf::g", "ztf::r"])
            notes.append(f"BTS read from {report.source}")
        except (ak.datasets.DatasetNotFoundError, FileNotFoundError) as err:
            notes.append(f"BTS figures skipped: the ZTF BTS data are not available ({err}).")
    for survey, preset in SIM_PRESETS.items():
        lcs = ak.caching.cached_light_curves(  # key: preset, scale, simulator version; atomic writes
            os.path.join(workdir, "data"), preset, {"preset": preset, "scale": config.sim_scale},
            lambda preset=preset: ak.simulate_preset(preset, scale=config.sim_scale, n_jobs=config.n_jobs))
        bands = sorted(set(lcs.band.astype(str)))
        tasks[f"sim_{survey}"] = _Task(lcs, *_split(lcs, config), bands)
    return tasks


def _bts_parts(task: _Task) -> dict:
    """Positions for classification (normal classes), redshift and anomaly evaluation."""
    meta = task.lcs.metadata
    label = meta["label"].to_numpy().astype(str)
    normal = np.isin(label, BTS_CLASSES)
    code = np.array([BTS_CLASSES.index(v) if v in BTS_CLASSES else -1 for v in label])
    z = meta["redshift"].to_numpy(dtype=float)
    anomaly = meta["is_anomaly"].to_numpy().astype(bool)
    train_cls = task.train[normal[task.train]]
    test_cls = task.test[normal[task.test]]
    return dict(code=code, z=z, anomaly=anomaly, train_cls=train_cls, test_cls=test_cls,
                train_z=task.train[normal[task.train] & np.isfinite(z[task.train])],
                test_z=task.test[normal[task.test] & np.isfinite(z[task.test])],
                # anomaly evaluation: normal test objects + every anomaly (never seen in training)
                test_ad=np.r_[test_cls, np.flatnonzero(anomaly)])


def _has_light_curve() -> bool:
    try:
        import light_curve  # noqa: F401
    except ImportError:
        return False
    return True


def run(config: Config, workdir: str) -> dict:
    """Make every figure; return ``{"files": [...], "early": DataFrame, "redshift": DataFrame}``."""
    from astrokeras import plotting

    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    notes: list[str] = []
    tasks = load_tasks(config, workdir, notes)
    written: list[str] = []

    # ------------------------------------------------------------------ light curves
    if "bts" in tasks:
        bts = tasks["bts"].lcs
        _save(plotting.plot_light_curves(bts, _examples(bts, ("SN Ia", "SN Ib/c", "SN II", "anomaly"), config.seed),
                                         title="real ZTF BTS (alert photometry)", y="mag"), workdir,
              "light_curves_real.png", written)
    sim = tasks["sim_ztf"].lcs
    _save(plotting.plot_light_curves(sim, _examples(sim, ("SN Ia", "SN Ib/c", "SN II", "TDE"), config.seed),
                                     title="simulated ZTF (astrokeras.simulate)", y="mag"),
          workdir, "light_curves_sim.png", written)

    try:
        available = ak.list_encoders(config.models_dir)
    except FileNotFoundError:
        available = []
    encoders = [e for e in config.encoders if e in available]
    if not encoders:
        notes.append("no released encoders found: only the light-curve figures were made.")

    roc_curves: dict[str, dict] = {}
    early_rows, z_rows = [], []
    bts_parts = _bts_parts(tasks["bts"]) if "bts" in tasks else None
    rng = np.random.default_rng(config.seed)
    umap_ok = config.umap
    for name in encoders:
        label = ENCODER_ROWS.get(name, name)
        encoder = ak.load_encoder(name, config.models_dir)
        tok = ds.tokenizer_for(name, config.models_dir)

        # ---------------------------------------------------------- UMAP (Figs 4-5)
        picks = {s: np.sort(rng.choice(len(tasks[f"sim_{s}"].lcs), size=min(config.n_umap, len(tasks[f"sim_{s}"].lcs)),
                                       replace=False)) for s in ("ztf", "lsst")}
        parts = [tasks[f"sim_{s}"].lcs.subset(p) for s, p in picks.items()]
        both = ak.LightCurves.concat(parts)
        latent = np.concatenate([ds.embed(encoder, part, tok) for part in parts])
        survey = np.concatenate([np.full(len(part), s.upper()) for s, part in zip(picks, parts)])
        classes = np.concatenate([part.metadata["label"].to_numpy().astype(str) for part in parts])
        if umap_ok:
            try:
                xy = plotting.umap_2d(latent, seed=config.seed)
                method = "UMAP"
            except ImportError as err:
                notes.append(f"{err}; PCA used instead of UMAP.")
                umap_ok = False
        if not umap_ok:
            from sklearn.decomposition import PCA

            xy, method = PCA(2, random_state=config.seed).fit_transform(latent), "PCA"
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        colors = {"ZTF": "tab:brown", "LSST": "tab:blue"}
        plotting.plot_embedding(xy, classes, title=f"{label} ({method}): all classes, by class", ax=axes[0],
                                method=method, legend_title="class")
        plotting.plot_embedding(xy, survey, title=f"{label} ({method}): all classes, by survey", ax=axes[1],
                                colors=colors, method=method, legend_title="survey")
        sn2 = classes == "SN II"
        plotting.plot_embedding(xy[sn2], survey[sn2], title=f"{label} ({method}): SN II only, by survey",
                                ax=axes[2], colors=colors, s=6, method=method, legend_title="survey")
        fig.tight_layout()
        _save(fig, workdir, f"umap_{name}.png", written)
        del both

        # ------------------------------------------- BTS: ROC, early classification, redshift
        if bts_parts is not None:
            p, lcs = bts_parts, tasks["bts"].lcs
            z_bts = ds.embed(encoder, lcs, tok)
            head = ds.fit_head(z_bts[p["train_cls"]], p["code"][p["train_cls"]], "classification", n_classes=3,
                               seed=config.seed)
            prob = head.predict(z_bts[p["test_cls"]], verbose=0)
            roc_curves[label] = {"prob": prob}
            det = ak.anomaly.LatentAnomalyDetector(per_class=True, seed=config.seed).fit(
                ds.head_penultimate(head, z_bts[p["train_cls"]]), p["code"][p["train_cls"]])
            roc_curves[label]["anomaly"] = det.score(ds.head_penultimate(head, z_bts[p["test_ad"]]))
            test = lcs.subset(p["test_cls"])
            for day in config.days:
                zt = ds.embed(encoder, ds.truncate_light_curves(test, day), tok)
                early_rows.append({"model": label, "days": day, "macro_auroc": ak.evaluation.macro_auroc(
                    p["code"][p["test_cls"]], head.predict(zt, verbose=0))})
            early_rows.append({"model": label, "days": np.inf, "macro_auroc": ak.evaluation.macro_auroc(
                p["code"][p["test_cls"]], prob)})
            z_rows += _redshift_uncertainty(label, "BTS (real)", z_bts, p["z"], p["train_z"], p["test_z"], config,
                                            workdir, written, name)
        zsim = tasks["sim_ztf"].lcs.metadata["redshift"].to_numpy(float)
        lat_sim = ds.embed(encoder, tasks["sim_ztf"].lcs, tok)
        z_rows += _redshift_uncertainty(label, "ZTF (simulated)", lat_sim, zsim, tasks["sim_ztf"].train,
                                        tasks["sim_ztf"].test, config, workdir, written, f"{name}_sim")
        print(f"[figures] {label}: done ({time.perf_counter() - t_start:.0f} s)", flush=True)

    # ------------------------------------------------------- feature baseline (BTS)
    if bts_parts is not None and config.features and not _has_light_curve():
        notes.append("feature baseline skipped: pip install 'astrokeras[features]' (light-curve package).")
    elif bts_parts is not None and config.features:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        p, lcs = bts_parts, tasks["bts"].lcs
        bands = tasks["bts"].bands
        feats = ak.features.light_curve_features(lcs, bands, n_jobs=config.n_jobs).to_numpy(float)
        with threadpool_limits(1):
            clf = HistGradientBoostingClassifier(class_weight="balanced", random_state=config.seed).fit(
                feats[p["train_cls"]], p["code"][p["train_cls"]])
            prob = clf.predict_proba(feats[p["test_cls"]])
            roc_curves[FEATURE_ROW] = {"prob": prob}
            test = lcs.subset(p["test_cls"])
            for day in config.days:
                f = ak.features.light_curve_features(ds.truncate_light_curves(test, day), bands,
                                                     n_jobs=config.n_jobs).to_numpy(float)
                early_rows.append({"model": FEATURE_ROW, "days": day, "macro_auroc":
                                   ak.evaluation.macro_auroc(p["code"][p["test_cls"]], clf.predict_proba(f))})
            early_rows.append({"model": FEATURE_ROW, "days": np.inf,
                               "macro_auroc": ak.evaluation.macro_auroc(p["code"][p["test_cls"]], prob)})

    early = pd.DataFrame(early_rows)
    redshift = pd.DataFrame(z_rows)
    if bts_parts is not None and roc_curves:
        import matplotlib.pyplot as plt

        p = bts_parts
        y = p["code"][p["test_cls"]]
        fig, axes = plt.subplots(1, 4, figsize=(17, 4.6))
        for k, cls in enumerate(BTS_CLASSES):
            plotting.plot_roc_curves({m: (y == k, r["prob"][:, k]) for m, r in roc_curves.items()},
                                     title=f"BTS {cls} vs rest (Full)", ax=axes[k])
        plotting.plot_roc_curves({m: (p["anomaly"][p["test_ad"]], r["anomaly"]) for m, r in roc_curves.items()
                                  if "anomaly" in r}, title="BTS anomalies (per-class forests)", ax=axes[3])
        fig.tight_layout()
        _save(fig, workdir, "roc_bts.png", written)
    if not early.empty:
        early.to_csv(os.path.join(workdir, "early_classification.csv"), index=False)
        finite = early[np.isfinite(early["days"])]
        curves = {m: g.sort_values("days")["macro_auroc"].to_numpy() for m, g in finite.groupby("model", sort=False)}
        _save(plotting.plot_early_classification(list(config.days), curves,
                                                 title="real BTS Ia/Ibc/II, test curves truncated"),
              workdir, "early_classification.png", written)
        pivot = early.pivot(index="model", columns="days", values="macro_auroc")
        pivot.columns = [("all" if not np.isfinite(c) else f"{c:g} d") for c in pivot.columns]
        with open(os.path.join(workdir, "early_classification.md"), "w") as fh:
            fh.write("# Early classification: macro AUROC vs days since first detection (real BTS)\n\n")
            fh.write(ak.evaluation.markdown_table(pivot, "{:.3f}"))
        print(pivot.round(3).to_string())
    if not redshift.empty:
        redshift.to_csv(os.path.join(workdir, "redshift_uncertainty.csv"), index=False)
        table = redshift.set_index(["model", "data"])
        with open(os.path.join(workdir, "redshift_uncertainty.md"), "w") as fh:
            fh.write("# Redshift with uncertainty (Normal on log(1+z), NLL), frozen encoders, Full\n\n")
            fh.write(ak.evaluation.markdown_table(table.reset_index().set_index("model"), "{:.4g}"))
        print(table.round(4).to_string())
    notes.append(f"wall time {time.perf_counter() - t_start:.0f} s")
    print("\n".join(f"* {n}" for n in notes))
    print("[figures] wrote:\n  " + "\n  ".join(written))
    return {"files": written, "early": early, "redshift": redshift, "notes": notes}


def _redshift_uncertainty(label, data, latent, z, train, test, config, workdir, written, tag) -> list[dict]:
    from astrokeras import plotting
    from astrokeras.models.probabilistic_regressor import normal_log1p_summary

    head = ds.fit_head(latent[train], z[train], "normal", seed=config.seed, batch_size=256, patience=15)
    s = normal_log1p_summary(head.predict(latent[test], verbose=0), z_true=z[test])
    raw_mean = s["mean"].copy()
    n_below_0 = int((raw_mean < 0).sum())
    for key in ("mean", "lower_68", "upper_68", "lower_95", "upper_95"):  # z < 0 is unphysical
        s[key] = np.maximum(s[key], 0.0)
    m = ak.evaluation.regression_metrics(z[test], s["mean"])
    row = {"model": label, "data": data, "mse": m["mse"], "r2": m["r2"], "nmad": m["nmad"], "n_pred_below_0": n_below_0,
           "coverage_68": ak.evaluation.interval_coverage(z[test], s["lower_68"], s["upper_68"]),
           "coverage_95": ak.evaluation.interval_coverage(z[test], s["lower_95"], s["upper_95"]),
           "median_sigma_log1p": float(np.median(s["sigma_log1p"]))}
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    plotting.plot_redshift_predictions(z[test], raw_mean, s["lower_68"], s["upper_68"],  # counts the clipped
                                       title=f"{label}, {data}: R²={m['r2']:.2f}", ax=axes[0])
    plotting.plot_pit_histogram(s["pit"], title=f"PIT (68%: {row['coverage_68']:.2f}, 95%: "
                                f"{row['coverage_95']:.2f})", ax=axes[1])
    fig.tight_layout()
    _save(fig, workdir, f"redshift_{tag}.png", written)
    return [row]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.figures", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="larger UMAP samples and simulated sets")
    parser.add_argument("--workdir", default=os.path.join("runs", "figures"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--no-umap", action="store_true", help="PCA instead of UMAP (faster)")
    args = parser.parse_args(argv)
    run(get_config(quick=not args.full, seed=args.seed, models_dir=args.models_dir, data_home=args.data_home,
                   umap=not args.no_umap), args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
