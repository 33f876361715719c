"""Plots: light curves, 2-D embeddings (UMAP), ROC curves, early classification, PIT histograms.

Every function returns a ``matplotlib.figure.Figure`` (nothing is shown; save it with
``fig.savefig(path)``); matplotlib is imported on first use with the non-interactive ``Agg``
backend when no backend was chosen. :func:`umap_2d` needs the optional ``umap-learn`` package
(``pip install astrokeras[umap]``) and says so when it is missing.

Example:
    >>> import numpy as np
    >>> from astrokeras.plotting import plot_roc_curves
    >>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
    >>> fig = plot_roc_curves({"model": (y, s)})
    >>> fig.axes[0].get_xlabel()
    'false positive rate'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from astrokeras.photometry import LightCurves

__all__ = [
    "plot_early_classification",
    "plot_embedding",
    "plot_light_curves",
    "plot_pit_histogram",
    "plot_redshift_predictions",
    "plot_roc_curves",
    "umap_2d",
]


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo") and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


def plot_light_curves(lcs: LightCurves, object_ids: Sequence[str] | None = None, max_objects: int = 4,
                      title: str | None = None, ncols: int = 4):
    """Flux (FLUXCAL) versus days since the first observation, one panel per object, per band.

    Args:
        lcs: light curves.
        object_ids: which objects (default: the first ``max_objects``).
        max_objects: panels when ``object_ids`` is None.
        title: figure title.
        ncols: panels per row.
    """
    from astrokeras.bands import get_band

    plt = _plt()
    ids = list(object_ids) if object_ids is not None else list(lcs.object_ids[:max_objects])
    if not ids:
        raise ValueError("no objects to plot")
    ncols = min(ncols, len(ids))
    nrows = int(np.ceil(len(ids) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    cmap = plt.get_cmap("turbo")
    for ax, oid in zip(axes.flat, ids):
        df = lcs[oid]
        t0 = df["time_mjd"].min()
        for band, part in df.groupby("band"):
            wl = get_band(band).wavelength_um
            color = cmap(np.clip((wl - 0.3) / 0.8, 0, 1))
            ax.errorbar(part["time_mjd"] - t0, part["flux"], part["flux_err"], fmt="o", ms=2.5, lw=0.6,
                        color=color, label=str(band).split("::")[-1])
        meta = lcs.metadata.loc[oid]
        label = meta.get("label", "")
        z = meta.get("redshift", np.nan)
        ax.set_title(f"{oid}\n{label}" + (f", z={z:.3f}" if np.isfinite(z) else ""), fontsize=8)
        ax.set_xlabel("days since first obs.", fontsize=8)
        ax.set_ylabel("flux (FLUXCAL)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, ncol=2)
    for ax in list(axes.flat)[len(ids):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def umap_2d(latent: np.ndarray, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """2-D UMAP of latent vectors (McInnes et al. 2018), as in the paper's Figs 4-5.

    Raises:
        ImportError: umap-learn is not installed (``pip install astrokeras[umap]``).
    """
    try:
        import umap
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("umap_2d needs umap-learn: pip install 'astrokeras[umap]'") from err
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap/numba: n_jobs overridden by random_state, etc.
        reducer = umap.UMAP(n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed, n_jobs=1)
        return reducer.fit_transform(np.asarray(latent, dtype=np.float32))


def plot_embedding(xy: np.ndarray, groups: Sequence, title: str = "", ax=None, s: float = 4.0,
                   alpha: float = 0.6, colors: Mapping[str, str] | None = None):
    """Scatter of 2-D points coloured by group (e.g. survey or class)."""
    plt = _plt()
    xy = np.asarray(xy)
    groups = np.asarray(groups).astype(str)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) != len(groups):
        raise ValueError(f"xy must be (n, 2) matching groups; got {xy.shape} and {len(groups)}")
    fig = ax.figure if ax is not None else plt.figure(figsize=(4.5, 4))
    ax = ax if ax is not None else fig.add_subplot(111)
    for i, g in enumerate(sorted(set(groups))):
        sel = groups == g
        ax.scatter(xy[sel, 0], xy[sel, 1], s=s, alpha=alpha, label=g,
                   color=(colors or {}).get(g, plt.get_cmap("tab10")(i % 10)), linewidths=0)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, markerscale=2)
    return fig


def plot_roc_curves(curves: Mapping[str, tuple], title: str = "", ax=None):
    """ROC curves: ``{name: (y_true binary, score)}``; the legend shows each AUROC."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _plt()
    fig = ax.figure if ax is not None else plt.figure(figsize=(4.5, 4))
    ax = ax if ax is not None else fig.add_subplot(111)
    for name, (y, score) in curves.items():
        fpr, tpr, _ = roc_curve(np.asarray(y), np.asarray(score))
        ax.plot(fpr, tpr, lw=1.3, label=f"{name} ({roc_auc_score(y, score):.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def plot_early_classification(days: Sequence[float], aurocs: Mapping[str, Sequence[float]], title: str = "",
                              ylabel: str = "macro AUROC"):
    """AUROC versus days since the first detection, one line per model."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for name, values in aurocs.items():
        ax.plot(days, values, marker="o", ms=3, lw=1.3, label=name)
    ax.set_xlabel("days since first detection")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_pit_histogram(pit: np.ndarray, bins: int = 10, title: str = "", ax=None):
    """Histogram of probability-integral-transform values; flat = calibrated (dashed line)."""
    plt = _plt()
    pit = np.asarray(pit, dtype=float)
    if not np.isfinite(pit).all() or (pit < 0).any() or (pit > 1).any():
        raise ValueError("PIT values must be finite and in [0, 1]")
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 3))
    ax = ax if ax is not None else fig.add_subplot(111)
    ax.hist(pit, bins=bins, range=(0, 1), density=True, color="tab:blue", alpha=0.7)
    ax.axhline(1.0, color="k", ls="--", lw=0.8)
    ax.set_xlabel("PIT")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=9)
    return fig


def plot_redshift_predictions(z_true: np.ndarray, z_pred: np.ndarray, lower: np.ndarray | None = None,
                              upper: np.ndarray | None = None, title: str = "", ax=None):
    """Predicted versus true redshift (with interval bars when given) and the 1:1 line."""
    plt = _plt()
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 4))
    ax = ax if ax is not None else fig.add_subplot(111)
    z_true, z_pred = np.asarray(z_true, float), np.asarray(z_pred, float)
    yerr = None
    if lower is not None and upper is not None:
        yerr = np.vstack([np.clip(z_pred - lower, 0, None), np.clip(upper - z_pred, 0, None)])
    ax.errorbar(z_true, z_pred, yerr=yerr, fmt="o", ms=2, lw=0.4, alpha=0.5, elinewidth=0.4)
    hi = float(max(z_true.max(), z_pred.max()))
    ax.plot([0, hi], [0, hi], color="k", lw=0.8, ls="--")
    ax.set_xlabel("true z")
    ax.set_ylabel("predicted z")
    ax.set_title(title, fontsize=9)
    return fig
