"""Simulated vs real ZTF BTS: token-level, sequence-model and summary-statistic discriminators (issue 10).

Compares the BTS-like preset of ``astrokeras.simulate`` (ZTF, alert photometry: S/N >= 5
detections; spectroscopic selection: brightest detection < 18.5 mag, Perley et al. 2020) with the
real ZTF Bright Transient Survey alert light curves (``astrokeras.datasets.load_bts``), class by class
with Table 1's grouping (``astrokeras.datasets.bts.bts_label``: SN II includes IIn and IIb), plus the
rare SLSN-I, TDE, SN Ia-91bg and SN Iax where BTS has at least ``min_real`` of them. Three real-vs-
simulated classifiers, each on equal numbers per class from each source:

* **tokens**: per-object statistics of the token sequences the encoder reads
  (``astrokeras.tokens.Tokenizer``: wavelength, time/100 d, asinh flux): length, time span, gaps,
  same-night pairs, band fractions, flux-token level, range, rise/decline slopes; gradient boosting
  (``HistGradientBoostingClassifier``), ``cv_folds``-fold stratified CV;
* **sequence**: a small GRU (16 units) on the padded token sequences (hold-out AUROC);
* **summary**: peak magnitude, detections, duration, rise, fade, g-r at peak, redshift (gradient boosting).

The headline ``Real-vs-simulated discriminator AUROC`` is the largest of the three (0.5: the
classifier cannot tell them apart; 1.0: trivially separable). Single-feature AUROCs name what gives
the simulation away. Writes ``simulation_check.md`` and plots into ``--workdir``.

**EROS-1** (``run_eros``): real EROS-1 LMC variable stars (``astrokeras.datasets.load_eros``; at most
``eros_per_class`` per class) against ``simulate("eros", ...)`` with the same class mix (RR Lyrae ->
RR Lyrae ab 74 % + c 26 %; cepheid -> Cepheid; binary -> EB detached 90 % + EB contact 10 %; Mira ->
Mira), observed with the real EROS-1 schedule (``eros_pointing_log``: all EROS-1 stars share one
schedule, which any synthetic one fails to reproduce: AUROC 1.0 with the default synthetic
``"eros"`` schedule), with the same three discriminators on star statistics (mean magnitudes, B-R, amplitudes,
skewness, errors, Lomb-Scargle period) and tokens; prints
``Real-vs-simulated discriminator AUROC (EROS-1): X`` and writes ``simulation_check_eros.md``.

**Empirical cadence** (``run_bts_empirical``): the real BTS objects outside the training split of
``astrokeras.tasks.bts_split(seed=0)`` against the engine of the opt-in ``ztf_bts_empirical`` preset
(simulated objects observed at the detection times of training-split objects of their class,
:mod:`astrokeras.simulation.empirical`); prints
``Real-vs-simulated discriminator AUROC (ztf_bts_empirical, held-out BTS): X``.

Results: ``summary.csv``, ``per_class.csv``, ``quantities.csv``, ``readme_block.md`` and
``provenance.json`` in ``recipes/results/simulation_check`` (``_full`` with ``--full``; atomic writes),
and the ``recipes/README.md`` block regenerated from them.

Command:  ``python -m astrofm recipes.simulation_check --workdir runs/simcheck [--full] [--seed 0]``
Needs ``$ASTROKERAS_DATA/ztf_bts_antares``, ``sim_blocks`` and ``eros1_ramp``. Runtime: ~2 min (quick), ~6 min (full).
The numbers of the last run are in the Markdown file it writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
import pandas as pd

import astrokeras as ak

CLASSES = ("SN Ia", "SN II", "SN Ib/c", "SLSN-I", "TDE", "SN Ia-91bg", "SN Iax")
#: raw BTS types of the rare classes (the three main classes use bts_label, Table 1's grouping)
RARE_TYPES = {"SLSN-I": ("SLSN-I",), "TDE": ("TDE",), "SN Ia-91bg": ("SN Ia-91bg",), "SN Iax": ("SN Iax",)}
FEATURES = ("peak_mag", "n_det", "duration", "rise", "fade", "g_r_peak", "redshift")
TOKEN_FEATURES = ("n_tokens", "span", "log_gap_median", "log_gap_max", "same_night_frac", "g_frac",
                  "flux_max", "flux_min", "flux_mean", "flux_std", "first_minus_max", "last_minus_max",
                  "rise_slope", "decline_slope", "t_peak_frac", "g_minus_r_token")
#: feature groups for the summary discriminator (which aspect of the simulation gives it away)
FEATURE_GROUPS = {"brightness + redshift": ("peak_mag", "redshift"),
                  "colour + brightness + redshift": ("g_r_peak", "peak_mag", "redshift"),
                  "time sampling (n_det, duration, rise, fade)": ("n_det", "duration", "rise", "fade")}
TOKEN_GROUPS = {"token time sampling": ("n_tokens", "span", "log_gap_median", "log_gap_max", "same_night_frac",
                                        "g_frac"),
                "token flux shape": ("flux_max", "flux_min", "flux_mean", "flux_std", "first_minus_max",
                                     "last_minus_max", "rise_slope", "decline_slope", "t_peak_frac",
                                     "g_minus_r_token")}


@dataclasses.dataclass(frozen=True)
class Config:
    sim_factor: float = 2.0  # simulated objects per real object of each class
    min_sim_per_class: int = 300
    peak_mag_cut: float = 18.5
    min_real: int = 5
    seed: int = 0
    cv_folds: int = 5
    boosting_iterations: int = 100
    sequence_epochs: int = 8
    max_length: int = 128
    eros: bool = True  # also compare real EROS-1 with the simulated EROS-like variables
    eros_per_class: int = 300  # real and simulated stars per EROS class (at most)
    bts_empirical: bool = True  # also compare held-out BTS with the ztf_bts_empirical preset's engine


def get_config(quick: bool = True, seed: int = 0) -> Config:
    return Config(sim_factor=2.0 if quick else 6.0, sequence_epochs=8 if quick else 20, seed=seed,
                  eros_per_class=300 if quick else 1000)


def summarise(lcs: ak.LightCurves, snr_min: float | None = None) -> pd.DataFrame:
    """Per-object summary statistics from (optionally S/N-cut) photometry, in AB magnitudes."""
    keep = lcs.flux > 0
    if snr_min is not None:
        keep &= lcs.flux / lcs.flux_err >= snr_min
    oid = lcs.object_id[keep]
    df = pd.DataFrame({"object_id": oid, "t": lcs.time_mjd[keep], "band": lcs.band[keep],
                       "mag": 27.5 - 2.5 * np.log10(lcs.flux[keep])})
    g = df.groupby("object_id", sort=False)
    out = pd.DataFrame({"n_det": g.size(), "t_first": g["t"].min(), "t_last": g["t"].max()})
    peak_idx = g["mag"].idxmin()
    peak = df.loc[peak_idx].set_index("object_id")
    out["peak_mag"] = peak["mag"]
    out["t_peak"] = peak["t"]
    out["duration"] = out["t_last"] - out["t_first"]
    out["rise"] = out["t_peak"] - out["t_first"]
    out["fade"] = out["t_last"] - out["t_peak"]
    near = df.join(out["t_peak"], on="object_id")
    near = near[np.abs(near["t"] - near["t_peak"]) <= 3.0]
    colour = near.groupby(["object_id", "band"])["mag"].min().unstack()
    out["g_r_peak"] = (colour.get("ztf::g") - colour.get("ztf::r")).reindex(out.index) if {
        "ztf::g", "ztf::r"} <= set(colour.columns) else np.nan
    out = out[out["n_det"] >= 2]
    return out.drop(columns=["t_first", "t_last", "t_peak"])


def token_statistics(lcs: ak.LightCurves, max_length: int = 128,
                     blue_band: str = "ztf::g") -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per-object statistics of the encoder's tokens, and the padded token arrays (values, mask).

    ``g_frac`` and ``g_minus_r_token`` refer to ``blue_band`` against the other band(s).
    """
    tok = ak.tokens.Tokenizer(max_length=max_length).tokenize(lcs)
    v, off = tok.values, tok.offsets
    rows = []
    g_wl = ak.bands.get_band(blue_band).wavelength_um
    for i in range(len(off) - 1):
        x = v[off[i]:off[i + 1]]
        t, f, wl = x[:, 1] * 100.0, x[:, 2], x[:, 0]
        gaps = np.diff(t)
        k = int(np.argmax(f))
        is_g = np.abs(wl - g_wl) < 1e-3
        pre, post = t[k] - t[0], t[-1] - t[k]
        fg = f[is_g].max() if is_g.any() else np.nan
        fr = f[~is_g].max() if (~is_g).any() else np.nan
        rows.append({
            "n_tokens": len(t), "span": t[-1] - t[0],
            "log_gap_median": np.log10(np.median(gaps) + 1e-3) if gaps.size else np.nan,
            "log_gap_max": np.log10(gaps.max() + 1e-3) if gaps.size else np.nan,
            "same_night_frac": float(np.mean(gaps < 0.5)) if gaps.size else np.nan,
            "g_frac": float(is_g.mean()), "flux_max": f.max(), "flux_min": f.min(), "flux_mean": f.mean(),
            "flux_std": f.std(), "first_minus_max": f[0] - f[k], "last_minus_max": f[-1] - f[k],
            "rise_slope": (f[k] - f[0]) / pre if pre > 0 else np.nan,
            "decline_slope": (f[-1] - f[k]) / post if post > 0 else np.nan,
            "t_peak_frac": pre / (t[-1] - t[0]) if t[-1] > t[0] else np.nan,
            "g_minus_r_token": fg - fr})
    stats = pd.DataFrame(rows, index=pd.Index(tok.object_ids, name="object_id"))
    padded = tok.padded(max_length)
    return stats, padded["values"], padded["mask"]


def _real_labels(meta: pd.DataFrame) -> pd.Series:
    from astrokeras.datasets.bts import bts_label

    raw = meta["type"].astype(str)
    labels = raw.map(lambda t: bts_label(t))
    labels = labels.where(labels.isin(["SN Ia", "SN II", "SN Ib/c"]), None)
    for label, types in RARE_TYPES.items():
        labels[raw.isin(types)] = label
    return labels


def load_real(cfg: Config) -> ak.LightCurves:
    """Real BTS alert curves of the compared classes, brightest detection < the cut, >= 2 points."""
    lcs = ak.datasets.load_bts()
    meta = lcs.metadata
    labels = _real_labels(meta)
    stats = summarise(lcs)
    ok = stats.index[(stats["peak_mag"] < cfg.peak_mag_cut)]
    keep = [o for o in ok if pd.notna(labels.get(o))]
    out = lcs.subset(keep)
    out.metadata = out.metadata.copy()
    out.metadata["label"] = labels.reindex(out.object_ids).to_numpy()
    return out


def simulate_bts_like(cfg: Config, counts: dict[str, int]) -> ak.LightCurves:
    """The BTS-like preset: ZTF alert photometry, brightest detection < ``cfg.peak_mag_cut``."""
    return ak.simulate("ztf", classes=counts, seed=cfg.seed, peak_mag_max=cfg.peak_mag_cut, photometry="alert",
                       id_prefix="check_")


def _balanced(real: pd.DataFrame, sim: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for label in sorted(real["label"].unique()):  # equal numbers per class and source, no duplicates
        r, s = real[real["label"] == label], sim[sim["label"] == label]
        n = min(len(r), len(s))
        if n >= 2:
            parts += [r.iloc[rng.choice(len(r), n, replace=False)], s.iloc[rng.choice(len(s), n, replace=False)]]
    return pd.concat(parts)


def discriminator_auroc(real: pd.DataFrame, sim: pd.DataFrame, cfg: Config,
                        features: tuple[str, ...] = FEATURES) -> tuple[float, dict]:
    """CV AUROC of real-vs-sim with gradient boosting, and single-feature AUROCs."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    both = _balanced(real, sim, cfg.seed)
    x = both[list(features)].to_numpy(dtype=float)
    y = (both["source"] == "real").to_numpy().astype(int)
    scores = np.zeros(len(y))
    folds = StratifiedKFold(cfg.cv_folds, shuffle=True, random_state=cfg.seed)
    for train, test in folds.split(x, y):
        clf = HistGradientBoostingClassifier(max_iter=cfg.boosting_iterations, learning_rate=0.05,
                                             random_state=cfg.seed)
        clf.fit(x[train], y[train])
        scores[test] = clf.predict_proba(x[test])[:, 1]
    per_feature = {}
    for j, name in enumerate(features):  # single-feature AUROCs: which statistic gives the sim away
        v = np.nan_to_num(x[:, j], nan=np.nanmedian(x[:, j]) if np.isfinite(x[:, j]).any() else 0.0)
        a = roc_auc_score(y, v)
        per_feature[name] = max(a, 1 - a)
    return float(roc_auc_score(y, scores)), per_feature


def sequence_auroc(real_tokens, sim_tokens, real_labels, sim_labels, cfg: Config) -> float:
    """Hold-out AUROC of a small GRU trained to tell real from simulated token sequences."""
    import keras
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(cfg.seed)
    idx_r, idx_s = [], []
    for label in np.unique(real_labels):
        r, s = np.flatnonzero(real_labels == label), np.flatnonzero(sim_labels == label)
        n = min(r.size, s.size)
        idx_r += list(rng.choice(r, n, replace=False))
        idx_s += list(rng.choice(s, n, replace=False))
    (xr, mr), (xs, ms) = real_tokens, sim_tokens
    x = np.concatenate([xr[idx_r], xs[idx_s]]).astype(np.float32)
    m = np.concatenate([mr[idx_r], ms[idx_s]]).astype(bool)
    y = np.r_[np.ones(len(idx_r)), np.zeros(len(idx_s))].astype(np.float32)
    x[~m] = 0.0
    perm = rng.permutation(len(y))
    x, m, y = x[perm], m[perm], y[perm]
    n_test = len(y) // 3
    keras.utils.set_random_seed(cfg.seed)
    inp = keras.Input((x.shape[1], x.shape[2]))
    mask_in = keras.Input((x.shape[1],), dtype="bool")
    h = keras.layers.GRU(16)(inp, mask=mask_in)
    out = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model([inp, mask_in], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    model.fit([x[n_test:], m[n_test:]], y[n_test:], epochs=cfg.sequence_epochs, batch_size=64, verbose=0)
    p = model.predict([x[:n_test], m[:n_test]], verbose=0, batch_size=256)[:, 0]
    return float(roc_auc_score(y[:n_test], p))


def compare(real: pd.DataFrame, sim: pd.DataFrame, features=FEATURES) -> pd.DataFrame:
    from scipy.stats import ks_2samp

    rows = []
    for label in real["label"].unique():
        r, s = real[real["label"] == label], sim[sim["label"] == label]
        for q in features:
            a, b = r[q].dropna().to_numpy(), s[q].dropna().to_numpy()
            if len(a) < 2 or len(b) < 2:
                continue
            rows.append({"class": label, "quantity": q, "n_real": len(a), "n_sim": len(b),
                         "median_real": np.median(a), "median_sim": np.median(b),
                         "ks": ks_2samp(a, b).statistic})
    order = {c: i for i, c in enumerate(CLASSES + tuple(EROS_MAP))}
    return pd.DataFrame(rows).sort_values(["class", "quantity"], key=lambda c: c.map(order) if c.name == "class" else c)


def plot(real: pd.DataFrame, sim: pd.DataFrame, workdir: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    panels = [("peak_mag", np.linspace(12, 18.5, 27)), ("n_det", np.linspace(0, 200, 41)),
              ("duration", np.linspace(0, 400, 41)), ("g_r_peak", np.linspace(-1, 1.5, 26))]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, (q, bins) in zip(axes, panels):
        for df, name, kw in ((real, "real BTS", {"color": "k", "histtype": "step", "lw": 2}),
                             (sim, "simulated", {"color": "C1", "alpha": 0.5})):
            ax.hist(df[q].dropna().clip(bins[0], bins[-1]), bins=bins, density=True, label=name, **kw)
        ax.set_xlabel(q)
    axes[0].legend()
    fig.suptitle("ZTF, peak mag < 18.5: real BTS vs astrokeras.simulate BTS-like preset (all classes)")
    fig.tight_layout()
    paths.append(os.path.join(workdir, "distributions.png"))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    labels = [c for c in CLASSES if c in set(real["label"])]
    fig, axes = plt.subplots(1, len(labels), figsize=(3.2 * len(labels), 3.2), squeeze=False)
    for ax, label in zip(axes[0], labels):
        bins = np.linspace(0, max(0.3, real.loc[real["label"] == label, "redshift"].quantile(0.98) * 1.3), 25)
        ax.hist(real.loc[real["label"] == label, "redshift"].dropna(), bins=bins, density=True, color="k",
                histtype="step", lw=2, label="real")
        ax.hist(sim.loc[sim["label"] == label, "redshift"].dropna(), bins=bins, density=True, color="C0",
                alpha=0.5, label="sim")
        ax.set_title(label)
        ax.set_xlabel("redshift")
    axes[0][0].legend()
    fig.tight_layout()
    paths.append(os.path.join(workdir, "redshift_per_class.png"))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _frame(lcs: ak.LightCurves, source: str, cfg: Config):
    stats = summarise(lcs)
    tstats, values, mask = token_statistics(lcs, cfg.max_length)
    stats = stats.join(tstats, how="inner")
    meta = lcs.metadata.reindex(stats.index)
    stats["redshift"] = meta["redshift"].to_numpy()
    stats["label"] = meta["label"].to_numpy()
    stats["source"] = source
    pos = pd.Index(tstats.index).get_indexer(stats.index)
    return stats, (values[pos], mask[pos])


def _quantity_table(table: pd.DataFrame) -> list[str]:
    """Markdown rows of the per-class real-vs-simulated quantities (medians and KS statistic)."""
    rows = ["| class | quantity | n real | n sim | median real | median sim | KS |", "|---|---|---|---|---|---|---|"]
    rows += [f"| {r[1]} | {r.quantity} | {r.n_real} | {r.n_sim} | {r.median_real:.3f} | {r.median_sim:.3f} | "
             f"{r.ks:.2f} |" for r in table.itertuples()]
    return rows


def compare_bts(real_lcs: ak.LightCurves, sim_lcs: ak.LightCurves, cfg: Config) -> dict:
    """The three real-vs-simulated discriminators, per-feature/group/class AUROCs and the quantity table."""
    real, real_tok = _frame(real_lcs, "real", cfg)
    sim, sim_tok = _frame(sim_lcs, "sim", cfg)
    table = compare(real, sim, FEATURES + TOKEN_FEATURES)
    auroc_summary, per_feature = discriminator_auroc(real, sim, cfg, FEATURES)
    auroc_tokens, per_token = discriminator_auroc(real, sim, cfg, TOKEN_FEATURES)
    groups = {name: discriminator_auroc(real, sim, cfg, feats)[0]
              for name, feats in {**FEATURE_GROUPS, **TOKEN_GROUPS}.items()}
    auroc_seq = sequence_auroc(real_tok, sim_tok, real["label"].to_numpy(), sim["label"].to_numpy(), cfg)
    per_class = {}
    for label in CLASSES:
        r, s = real[real["label"] == label], sim[sim["label"] == label]
        if min(len(r), len(s)) >= 4 * cfg.cv_folds:
            per_class[label] = discriminator_auroc(r, s, dataclasses.replace(cfg, cv_folds=min(cfg.cv_folds, 3)),
                                                   TOKEN_FEATURES)[0]
    giveaways = sorted({**per_feature, **per_token}.items(), key=lambda kv: -kv[1])
    return {"auroc": max(auroc_summary, auroc_tokens, auroc_seq), "auroc_summary": auroc_summary,
            "auroc_tokens": auroc_tokens, "auroc_sequence": auroc_seq, "auroc_groups": groups,
            "auroc_per_class": per_class, "giveaways": giveaways, "table": table, "real": real, "sim": sim,
            "n_real": len(real), "n_sim": len(sim)}


def _bts_lines(res: dict, cfg: Config, title: str, sim_note: str) -> list[str]:
    return [f"# {title}", "",
            f"Real: {res['n_real']} BTS objects; simulated: {res['n_sim']} ({sim_note}).", "",
            f"Real-vs-simulated discriminator AUROC: {res['auroc']:.3f}", "",
            f"- token statistics (gradient boosting, {cfg.cv_folds}-fold CV): {res['auroc_tokens']:.3f}",
            f"- token sequences (GRU-16, hold-out third): {res['auroc_sequence']:.3f}",
            f"- summary statistics ({', '.join(FEATURES)}): {res['auroc_summary']:.3f}",
            "- by feature group: " + "; ".join(f"{k} {v:.3f}" for k, v in res["auroc_groups"].items()),
            "- token statistics per class: " + "; ".join(f"{k} {v:.3f}" for k, v in res["auroc_per_class"].items()),
            "", "What gives the simulation away (single-feature AUROC, max(a, 1-a)): "
            + ", ".join(f"{k} {v:.2f}" for k, v in res["giveaways"][:8]), "", *_quantity_table(res["table"])]


def bts_train_ids(split_seed: int = 0) -> set:
    """Ids of the training split of the real BTS (``astrokeras.tasks.bts_split``), whose detection
    patterns the ``ztf_bts_empirical`` preset borrows; the empirical comparison leaves them out."""
    bts = ak.datasets.load_bts()
    from astrokeras.tasks import bts_split

    return set(bts.object_ids[bts_split(bts, seed=split_seed).cls.train].astype(str))


def run(cfg: Config, workdir: str, results_dir: str | None = None) -> pd.DataFrame:
    """Run every comparison; write Markdown reports and plots into ``workdir`` and, when
    ``results_dir`` is given, the result files behind the README block (see :func:`write_results`)."""
    import time

    t_start = time.perf_counter()
    os.makedirs(workdir, exist_ok=True)
    real_lcs = load_real(cfg)
    counts = real_lcs.metadata["label"].value_counts()
    labels = [c for c in CLASSES if counts.get(c, 0) >= cfg.min_real]
    real_lcs = real_lcs.subset([o for o, lab in zip(real_lcs.object_ids, real_lcs.metadata["label"]) if lab in labels])
    sim_counts = {c: max(cfg.min_sim_per_class, int(round(cfg.sim_factor * counts[c]))) for c in labels}
    sim_lcs = simulate_bts_like(cfg, sim_counts)
    res = compare_bts(real_lcs, sim_lcs, cfg)
    lines = _bts_lines(res, cfg, "Simulated vs real ZTF BTS (BTS-like preset: alert photometry, brightest detection "
                       f"< {cfg.peak_mag_cut})", f"simulator v{ak.simulation.SIMULATOR_VERSION}, seed {cfg.seed}, "
                       f"per class {sim_counts}")
    pngs = plot(res["real"], res["sim"], workdir)
    lines += ["", "Plots: " + ", ".join(os.path.basename(p) for p in pngs)]
    ak.caching.atomic_write_text(os.path.join(workdir, "simulation_check.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    table = res["table"]
    table.attrs.update({k: res[k] for k in ("auroc", "auroc_summary", "auroc_tokens", "auroc_sequence", "n_real",
                                            "n_sim")},
                       auroc_groups=res["auroc_groups"], auroc_per_class=res["auroc_per_class"],
                       giveaways=res["giveaways"])
    if cfg.bts_empirical:
        table.attrs["empirical"] = run_bts_empirical(cfg, real_lcs, workdir)
    if cfg.eros:
        table.attrs["eros"] = run_eros(cfg, workdir)
    print(f"Real-vs-simulated discriminator AUROC: {res['auroc']:.3f}")
    if cfg.bts_empirical:
        print(f"Real-vs-simulated discriminator AUROC (ztf_bts_empirical, held-out BTS): "
              f"{table.attrs['empirical']['auroc']:.3f}")
    if cfg.eros:
        print(f"Real-vs-simulated discriminator AUROC (EROS-1): {table.attrs['eros']['auroc']:.3f}")
    table.attrs["wall_time_s"] = time.perf_counter() - t_start
    if results_dir is not None:
        write_results(table, cfg, results_dir)
    return table


def run_bts_empirical(cfg: Config, real_lcs: ak.LightCurves, workdir: str) -> dict:
    """Real BTS objects outside the training split vs the ``ztf_bts_empirical`` preset's engine
    (:func:`astrokeras.simulation.empirical.simulate_empirical` with the training-split patterns)."""
    from astrokeras.simulation.empirical import bts_train_patterns, simulate_empirical

    train = bts_train_ids()
    held = real_lcs.subset([o for o in real_lcs.object_ids if str(o) not in train])
    counts = held.metadata["label"].value_counts()
    labels = [c for c in CLASSES if counts.get(c, 0) >= cfg.min_real]
    held = held.subset([o for o, lab in zip(held.object_ids, held.metadata["label"]) if lab in labels])
    sim_counts = {c: max(cfg.min_sim_per_class, int(round(cfg.sim_factor * counts[c]))) for c in labels}
    patterns = bts_train_patterns()
    sim = simulate_empirical("ztf", sim_counts, patterns, seed=cfg.seed, peak_mag_max=cfg.peak_mag_cut,
                             id_prefix="check_emp_")
    res = compare_bts(held, sim, cfg)
    lines = _bts_lines(res, cfg, "Simulated vs real ZTF BTS, empirical cadence (ztf_bts_empirical: detection times "
                       "of BTS training-split objects; real = the other BTS objects)",
                       f"{patterns['pattern'].nunique()} training-split patterns, seed {cfg.seed}, per class {sim_counts}")
    ak.caching.atomic_write_text(os.path.join(workdir, "simulation_check_empirical.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return {k: res[k] for k in ("auroc", "auroc_summary", "auroc_tokens", "auroc_sequence", "auroc_groups",
                                "auroc_per_class", "giveaways", "table", "n_real", "n_sim")}


RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
#: comparison key -> README row label
COMPARISONS = {"bts": "ZTF BTS vs the `ztf_bts` preset (synthetic ZTF cadence)",
               "bts_empirical": "held-out ZTF BTS vs `ztf_bts_empirical` (training-split detection times)",
               "eros": "EROS-1 vs `eros_variables` physics on the real EROS-1 schedule"}


def write_results(table: pd.DataFrame, cfg: Config, folder: str) -> None:
    """Write ``summary.csv``, ``per_class.csv``, ``quantities.csv``, ``readme_block.md`` (the README
    table) and ``provenance.json`` into ``folder``, each atomically."""
    import json

    results = {"bts": {**table.attrs, "table": table}}
    for key in ("bts_empirical", "eros"):
        attr = "empirical" if key == "bts_empirical" else key
        if attr in table.attrs:
            results[key] = table.attrs[attr]
    rows, per_class, quantities = [], [], []
    for key, res in results.items():
        give = res.get("giveaways") or []
        rows.append({"comparison": key, "n_real": res.get("n_real", np.nan), "n_sim": res.get("n_sim", np.nan),
                     "auroc": res["auroc"], "auroc_tokens": res["auroc_tokens"],
                     "auroc_sequence": res["auroc_sequence"], "auroc_summary": res["auroc_summary"],
                     "giveaways": "; ".join(f"{k} {v:.2f}" for k, v in give[:5])})
        for label, value in (res.get("per_class") or res.get("auroc_per_class") or {}).items():
            per_class.append({"comparison": key, "class": label, "auroc": value})
        q = res["table"].copy()
        q.attrs = {}  # the BTS table carries the other comparisons in its attrs
        quantities.append(q.assign(comparison=key))
    summary = pd.DataFrame(rows)
    ak.results.write_table(summary.round(4), folder, "summary")
    ak.results.write_table(pd.DataFrame(per_class, columns=["comparison", "class", "auroc"]).round(4), folder,
                           "per_class")
    ak.results.write_table(pd.concat(quantities, ignore_index=True).round(4), folder, "quantities")
    md = ["| comparison | n real / sim | AUROC (headline) | tokens | GRU | summary | what gives the simulation away "
          "(single-feature AUROC) | per class |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pc = "; ".join(f"{c['class']} {c['auroc']:.2f}" for c in per_class if c["comparison"] == r["comparison"])
        n = f"{r['n_real']:.0f} / {r['n_sim']:.0f}"
        md.append(f"| {COMPARISONS[r['comparison']]} | {n} | **{r['auroc']:.3f}** | "
                  f"{r['auroc_tokens']:.3f} | {r['auroc_sequence']:.3f} | {r['auroc_summary']:.3f} | "
                  f"{r['giveaways']} | {pc} |")
    wall = table.attrs.get("wall_time_s", float("nan"))
    md += ["", f"Simulator v{ak.simulation.SIMULATOR_VERSION}, variables v{ak.simulation.VARIABLES_VERSION}, seed "
           f"{cfg.seed}, {'quick' if cfg.sim_factor <= 2.0 else 'full'} configuration; {wall / 60:.1f} min wall. Files: "
           f"`recipes/results/{os.path.basename(os.path.normpath(folder))}/`."]
    ak.caching.atomic_write_text(os.path.join(folder, "readme_block.md"), "\n".join(md) + "\n")
    prov = ak.results.provenance(config=dataclasses.asdict(cfg), wall_time_s=wall,
                                 simulator_version=ak.simulation.SIMULATOR_VERSION,
                                 variables_version=ak.simulation.VARIABLES_VERSION)
    ak.caching.atomic_write_text(os.path.join(folder, "provenance.json"), json.dumps(prov, indent=2, default=str) + "\n")


# ---------------------------------------------------------------------------- EROS-1 variables
#: real EROS-1 class -> simulated classes (ab/c RR Lyrae and detached/contact binaries merged)
EROS_MAP = {"RR Lyrae": {"RR Lyrae ab": 0.74, "RR Lyrae c": 0.26}, "cepheid": {"Cepheid": 1.0},
            "binary": {"EB detached": 0.9, "EB contact": 0.1}, "Mira": {"Mira": 1.0}}
EROS_FEATURES = ("n_points", "span_days", "mean_b", "mean_r", "b_minus_r", "amp_b", "amp_r", "std_r", "skew_r",
                 "median_err_r", "log_period")


def variable_statistics(lcs: ak.LightCurves) -> pd.DataFrame:
    """Per-star summary statistics of a B/R variable-star light curve (magnitudes on the file's system)."""
    from astropy.timeseries import LombScargle

    mag = 27.5 - 2.5 * np.log10(np.clip(lcs.flux, 1e-3, None))
    err = 1.0857 * lcs.flux_err / np.clip(lcs.flux, 1e-3, None)
    rows = []
    for k, oid in enumerate(lcs.object_ids):
        sl = slice(lcs.offsets[k], lcs.offsets[k + 1])
        t, b, m, e = lcs.time_mjd[sl], lcs.band[sl], mag[sl], err[sl]
        row = {"n_points": t.size, "span_days": float(np.ptp(t)) if t.size else np.nan}
        for name, band in (("b", "eros::B"), ("r", "eros::R")):
            x = m[b == band]
            row[f"mean_{name}"] = float(np.median(x)) if x.size else np.nan
            row[f"amp_{name}"] = float(np.percentile(x, 95) - np.percentile(x, 5)) if x.size > 4 else np.nan
        r = b == "eros::R"
        xr = m[r]
        row["b_minus_r"] = row["mean_b"] - row["mean_r"]
        row["std_r"] = float(np.std(xr)) if xr.size > 2 else np.nan
        row["skew_r"] = float(pd.Series(xr).skew()) if xr.size > 4 else np.nan
        row["median_err_r"] = float(np.median(e[r])) if r.any() else np.nan
        if r.sum() >= 10:
            freq, power = LombScargle(t[r], xr).autopower(minimum_frequency=1 / 500, maximum_frequency=4.0,
                                                          samples_per_peak=5)
            row["log_period"] = float(np.log10(1 / freq[np.argmax(power)]))
        else:
            row["log_period"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(lcs.object_ids, name="object_id"))


def eros_pointing_log(real: ak.LightCurves, min_share: float = 0.1, n_fields: int = 200,
                      seed: int = 0) -> pd.DataFrame:
    """The real EROS-1 schedule as a pointing log: every epoch (B_E or R_E) that at least
    ``min_share`` of the stars share, with a per-epoch 5-sigma depth from the sky-dominated errors
    (B_E 19.5-21, R_E 18.5-20 mag; error floor of :data:`astrokeras.simulation.variables.ERROR_FLOOR_MAG`
    removed). All EROS-1 stars of the LMC bar share one schedule, so a synthetic schedule is trivially
    told apart from it (AUROC 1.0 on span, gaps and number of points)."""
    from astrokeras.simulation.variables import ERROR_FLOOR_MAG

    mag = 27.5 - 2.5 * np.log10(np.clip(real.flux, 1e-3, None))
    err = 1.0857 * real.flux_err / np.clip(real.flux, 1e-3, None)
    df = pd.DataFrame({"time_mjd": np.round(real.time_mjd, 2), "band": real.band, "mag": mag, "err": err})
    rows = []
    for (t, band), g in df.groupby(["time_mjd", "band"]):
        if len(g) < min_share * len(real):
            continue
        lo, hi = (19.5, 21.0) if band == "eros::B" else (18.5, 20.0)
        sky_pts = g[(g["mag"] > lo) & (g["mag"] < hi)]
        floor = ERROR_FLOOR_MAG[band][0]
        sky = np.sqrt(np.clip(sky_pts["err"] ** 2 - floor**2, 1e-6, None))
        depth = float(np.median(sky_pts["mag"] - 2.5 * np.log10(sky / 0.2))) if len(sky_pts) >= 5 else np.nan
        rows.append({"time_mjd": t, "band": band, "five_sigma_depth": depth})
    log = pd.DataFrame(rows)
    for band in ("eros::B", "eros::R"):  # epochs without enough faint stars: the band's median depth
        m = log["band"] == band
        log.loc[m, "five_sigma_depth"] = log.loc[m, "five_sigma_depth"].fillna(log.loc[m, "five_sigma_depth"].median())
    # stars miss some shared epochs (real: 239 of 249 points in the median, 208 at the 5th percentile):
    # n_fields copies of the schedule, each losing a log-normal share of epochs (median 3.5 %)
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n_fields):
        loss = min(0.035 * np.exp(0.8 * rng.standard_normal()), 0.3)
        parts.append(log[rng.random(len(log)) >= loss].assign(field_id=k))
    return pd.concat(parts, ignore_index=True)


def run_eros(cfg: Config, workdir: str) -> dict:
    """Real EROS-1 (4 classes) vs the simulated EROS-like variables: the same three discriminators."""
    rng = np.random.default_rng(cfg.seed)
    real_all = ak.datasets.load_eros("all")
    labels = real_all.metadata["label"]
    keep = []
    for label in EROS_MAP:
        ids = labels.index[labels == label].to_numpy()
        keep += list(rng.choice(ids, min(cfg.eros_per_class, ids.size), replace=False))
    real = real_all.subset(keep)
    n_real = real.metadata["label"].value_counts()
    counts: dict[str, int] = {}
    for label, parts in EROS_MAP.items():
        for sim_label, frac in parts.items():
            counts[sim_label] = max(1, int(round(frac * n_real[label])))
    # the real EROS-1 schedule (one for all stars) drives the EROS-like survey
    sim = ak.simulate("eros", classes=counts, seed=cfg.seed, id_prefix="check_eros_",
                      cadence=eros_pointing_log(real_all))
    back = {s: r for r, parts in EROS_MAP.items() for s in parts}
    sim.metadata = sim.metadata.assign(label=sim.metadata["label"].map(back))
    frames, tokens = [], []
    for lcs, source in ((real, "real"), (sim, "sim")):
        st = variable_statistics(lcs)
        ts, values, mask = token_statistics(lcs, cfg.max_length, blue_band="eros::B")
        st = st.join(ts, how="inner")
        st["label"] = lcs.metadata["label"].reindex(st.index).to_numpy()
        st["source"] = source
        pos = pd.Index(ts.index).get_indexer(st.index)
        frames.append(st)
        tokens.append((values[pos], mask[pos]))
    r, s = frames
    auroc_summary, per_feature = discriminator_auroc(r, s, cfg, EROS_FEATURES)
    auroc_tokens, per_token = discriminator_auroc(r, s, cfg, TOKEN_FEATURES)
    auroc_seq = sequence_auroc(tokens[0], tokens[1], r["label"].to_numpy(), s["label"].to_numpy(), cfg)
    per_class = {label: discriminator_auroc(r[r["label"] == label], s[s["label"] == label],
                                            dataclasses.replace(cfg, cv_folds=3), EROS_FEATURES + TOKEN_FEATURES)[0]
                 for label in EROS_MAP}
    table = compare(r, s, EROS_FEATURES)
    headline = max(auroc_summary, auroc_tokens, auroc_seq)
    giveaways = sorted({**per_feature, **per_token}.items(), key=lambda kv: -kv[1])
    lines = ["# Simulated vs real EROS-1 variable stars (EROS-like survey, simulate('eros'))", "",
             f"Real: {len(r)} EROS-1 stars (at most {cfg.eros_per_class} per class); simulated: {len(s)} "
             f"(simulator v{ak.simulation.SIMULATOR_VERSION}, seed {cfg.seed}, {counts}).", "",
             f"Real-vs-simulated discriminator AUROC (EROS-1): {headline:.3f}", "",
             f"- token statistics (gradient boosting): {auroc_tokens:.3f}",
             f"- token sequences (GRU-16, hold-out third): {auroc_seq:.3f}",
             f"- summary statistics ({', '.join(EROS_FEATURES)}): {auroc_summary:.3f}",
             "- summary + token statistics per class: " + "; ".join(f"{k} {v:.3f}" for k, v in per_class.items()), "",
             "What gives the simulation away (single-feature AUROC): "
             + ", ".join(f"{k} {v:.2f}" for k, v in giveaways[:8]), "",
             *_quantity_table(table)]
    ak.caching.atomic_write_text(os.path.join(workdir, "simulation_check_eros.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return {"auroc": headline, "auroc_summary": auroc_summary, "auroc_tokens": auroc_tokens,
            "auroc_sequence": auroc_seq, "per_class": per_class, "table": table, "giveaways": giveaways,
            "n_real": len(r), "n_sim": len(s)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m astrofm recipes.simulation_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default="runs/simulation_check")
    ap.add_argument("--full", action="store_true", help="larger simulated sample, longer sequence training")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", default=RESULTS_DIR,
                    help="write the result files to RESULTS/simulation_check[_full] and regenerate the README "
                         "blocks from them ('' to skip)")
    args = ap.parse_args(argv)
    name = "simulation_check_full" if args.full else "simulation_check"
    folder = os.path.join(args.results, name) if args.results else None
    run(get_config(quick=not args.full, seed=args.seed), args.workdir, results_dir=folder)
    if folder is not None and os.path.abspath(args.results) == os.path.abspath(RESULTS_DIR):
        readme = os.path.join(os.path.dirname(RESULTS_DIR), "README.md")
        changed = ak.results.update_markdown_blocks(readme, RESULTS_DIR)
        print(f"{readme}: {len(changed)} block(s) regenerated")
    return 0
