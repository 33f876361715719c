"""Plots: light curves, 2-D embeddings (UMAP), ROC curves, early classification, PIT histograms.

Every function returns a ``matplotlib.figure.Figure`` (nothing is shown; save it with
``fig.savefig(path, bbox_inches="tight")`` so that the legends, which sit outside the data, are
kept); matplotlib is imported on first use with the non-interactive ``Agg`` backend when no
backend was chosen. :func:`umap_2d` uses ``umap-learn`` (a dependency of astrokeras).

Band colours (:data:`BAND_COLORS`, :func:`band_color`) follow what astronomers expect: ZTF and
LSST ``g`` green, ``r`` red; ``u`` violet, ``i`` dark orange, ``z`` dark red, ``y`` near black;
EROS ``B`` blue and ``R`` red. A band not in the table gets a colour from its effective
wavelength (``turbo`` colour map, 0.3-1.1 um).

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
    "BAND_COLORS",
    "band_color",
    "plot_early_classification",
    "plot_embedding",
    "plot_light_curves",
    "plot_pit_histogram",
    "plot_redshift_predictions",
    "plot_roc_curves",
    "umap_2d",
]


#: Colour per band (``survey::name`` in lower case; see the module docstring).
BAND_COLORS = {
    "ztf::g": "#2ca02c", "ztf::r": "#d62728", "ztf::i": "#ff7f0e",
    "lsst::u": "#7b3294", "lsst::g": "#2ca02c", "lsst::r": "#d62728", "lsst::i": "#ff7f0e",
    "lsst::z": "#8c1a1a", "lsst::y": "#252525",
    "eros::b": "#1f77b4", "eros::r": "#d62728",
}


def band_color(band: str):
    """Colour of a band: :data:`BAND_COLORS` (case-insensitive), else from its wavelength.

    Example:
        >>> band_color("ztf::g"), band_color("ZTF::r")
        ('#2ca02c', '#d62728')
    """
    key = str(band).lower()
    if key in BAND_COLORS:
        return BAND_COLORS[key]
    from astrokeras.bands import get_band

    wavelength_um = get_band(band).wavelength_um
    return _plt().get_cmap("turbo")(float(np.clip((wavelength_um - 0.3) / 0.8, 0, 1)))


def _legend_outside(ax_or_fig, where: str = "right", **kwargs):
    """A legend beside (``right``) or under (``below``) the axes, never on the data."""
    if where == "right":
        kwargs.update(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    elif where == "below":
        kwargs.update(loc="upper center", bbox_to_anchor=(0.5, -0.2), borderaxespad=0.0)
    else:
        raise ValueError(f"legend position must be 'right' or 'below', got {where!r}")
    return ax_or_fig.legend(**{"fontsize": 7, "frameon": False, **kwargs})


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
                      title: str | None = None, ncols: int = 4, y: str = "flux", snr_min: float = 3.0):
    """Flux or magnitude versus days since the first observation, one panel per object.

    Bands are coloured by :func:`band_color` (ZTF g green, r red); one legend for the figure,
    to the right of the panels.

    Args:
        lcs: light curves.
        object_ids: which objects (default: the first ``max_objects``).
        max_objects: panels when ``object_ids`` is None.
        title: figure title.
        ncols: panels per row.
        y: ``"flux"`` (FLUXCAL, zero point 27.5) or ``"mag"`` (AB magnitude, axis inverted so that
            brighter is up; error ``2.5 / ln 10 * flux_err / flux``).
        snr_min: with ``y="mag"``, points with ``flux / flux_err < snr_min`` (no meaningful
            magnitude, e.g. non-detections in forced photometry) are left out; the panel title
            counts them.

    Returns:
        The figure; ``fig.legends[0]`` is the band legend.

    Example:
        >>> import astrokeras as ak
        >>> lcs = ak.LightCurves(["a"] * 2, [0.0, 1.0], ["ztf::g", "ztf::r"], [1e3, 2e3], [10.0, 10.0])
        >>> fig = plot_light_curves(lcs, y="mag")
        >>> fig.axes[0].get_ylabel(), bool(fig.axes[0].yaxis_inverted())
        ('magnitude (AB)', True)
    """
    from astrokeras.photometry import flux_to_mag

    if y not in ("flux", "mag"):
        raise ValueError(f"y must be 'flux' or 'mag', got {y!r}")
    plt = _plt()
    ids = list(object_ids) if object_ids is not None else list(lcs.object_ids[:max_objects])
    if not ids:
        raise ValueError("no objects to plot")
    ncols = min(ncols, len(ids))
    nrows = int(np.ceil(len(ids) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    handles: dict[str, object] = {}
    for ax, oid in zip(axes.flat, ids):
        df = lcs[oid]
        t0 = df["time_mjd"].min()
        n_dropped = 0
        for band, part in sorted(df.groupby("band"), key=lambda kv: _band_order(kv[0])):
            t, flux, err = part["time_mjd"] - t0, part["flux"].to_numpy(), part["flux_err"].to_numpy()
            if y == "mag":
                ok = (flux > 0) & (flux >= snr_min * err)
                n_dropped += int((~ok).sum())
                t, (flux, err) = t[ok], flux_to_mag(flux[ok], err[ok])
            if not len(t):
                continue
            handle = ax.errorbar(t, flux, err, fmt="o", ms=2.5, lw=0.6, color=band_color(band),
                                 label=str(band).split("::")[-1])
            handles.setdefault(str(band).split("::")[-1], handle)
        meta = lcs.metadata.loc[oid]
        label = meta.get("label", "")
        z = meta.get("redshift", np.nan)
        extra = f"; {n_dropped} with S/N < {snr_min:g} not shown" if n_dropped else ""
        ax.set_title(f"{oid}\n{label}" + (f", z={z:.3f}" if np.isfinite(z) else "") + extra, fontsize=8)
        ax.set_xlabel("days since first obs.", fontsize=8)
        ax.set_ylabel("flux (FLUXCAL)" if y == "flux" else "magnitude (AB)", fontsize=8)
        if y == "mag":
            ax.invert_yaxis()
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(ids):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.legend(list(handles.values()), list(handles), title="band", loc="center left",
               bbox_to_anchor=(1.0, 0.5), fontsize=7, title_fontsize=7, frameon=False)
    return fig


def _band_order(band: str) -> float:
    from astrokeras.bands import get_band

    try:
        return get_band(band).wavelength_um
    except (KeyError, ValueError):
        return np.inf


def umap_2d(latent: np.ndarray, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """2-D UMAP of latent vectors (McInnes et al. 2018), as in the paper's Figs 4-5.

    Raises:
        ImportError: umap-learn is missing (it is a dependency of astrokeras: ``pip install umap-learn``).
    """
    try:
        import umap
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("umap_2d needs umap-learn (a dependency of astrokeras): pip install umap-learn") from err
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap/numba: n_jobs overridden by random_state, etc.
        reducer = umap.UMAP(n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed, n_jobs=1)
        return reducer.fit_transform(np.asarray(latent, dtype=np.float32))


def plot_embedding(xy: np.ndarray, groups: Sequence, title: str = "", ax=None, s: float = 4.0,
                   alpha: float = 0.6, colors: Mapping[str, str] | None = None, method: str = "UMAP",
                   legend_title: str | None = None):
    """Scatter of 2-D points coloured by group (e.g. class, or survey), legend outside the axes.

    Args:
        xy: ``(n, 2)`` coordinates (from :func:`umap_2d`, or PCA).
        groups: ``n`` group names; one colour each (``colors`` or ``tab10`` in sorted order).
        title: axes title.
        ax: draw into these axes (default: a new figure).
        s, alpha: marker size and opacity.
        colors: ``{group: colour}`` overrides.
        method: name of the projection, for the axis labels (``"UMAP 1"``, ``"PCA 1"``).
        legend_title: title of the legend (e.g. ``"class"``).

    Example:
        >>> fig = plot_embedding(np.zeros((2, 2)), ["SN Ia", "SN II"], method="PCA", legend_title="class")
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_legend().get_title().get_text()
        ('PCA 1', 'class')
    """
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
    ax.set_xlabel(f"{method} 1", fontsize=8)
    ax.set_ylabel(f"{method} 2", fontsize=8)
    _legend_outside(ax, "right", markerscale=2, title=legend_title, title_fontsize=7)
    return fig


def plot_roc_curves(curves: Mapping[str, tuple], title: str = "", ax=None, legend: str = "below"):
    """ROC curves: ``{name: (y_true binary, score)}``; the legend (outside the axes, ``"below"``
    or ``"right"``) shows each AUROC."""
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
    _legend_outside(ax, legend)
    return fig


def plot_early_classification(days: Sequence[float], aurocs: Mapping[str, Sequence[float]], title: str = "",
                              ylabel: str = "macro AUROC"):
    """AUROC versus days since the first detection, one line per model."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for name, values in aurocs.items():
        ax.plot(days, values, marker="o", ms=3, lw=1.3, label=name)
    ax.set_xlabel("days since first detection")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    _legend_outside(ax, "right")
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
                              upper: np.ndarray | None = None, title: str = "", ax=None, z_min: float | None = 0.0):
    """Predicted versus true redshift (with interval bars when given) and the 1:1 line.

    A redshift below 0 is unphysical for these sources, so predictions and interval bounds are
    clipped at ``z_min`` (default 0; None draws them as given); the legend counts the clipped
    predictions.

    Example:
        >>> fig = plot_redshift_predictions(np.array([0.02, 0.1]), np.array([-0.01, 0.12]))
        >>> fig.axes[0].lines[0].get_ydata().min(), fig.axes[0].get_legend().get_texts()[0].get_text()
        (np.float64(0.0), '1 prediction < 0 drawn at 0')
    """
    plt = _plt()
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 4))
    ax = ax if ax is not None else fig.add_subplot(111)
    z_true, z_pred = np.asarray(z_true, float), np.asarray(z_pred, float)
    n_clipped = 0
    if z_min is not None:
        n_clipped = int((z_pred < z_min).sum())
        z_pred = np.maximum(z_pred, z_min)
        lower = None if lower is None else np.maximum(np.asarray(lower, float), z_min)
        upper = None if upper is None else np.maximum(np.asarray(upper, float), z_min)
    yerr = None
    if lower is not None and upper is not None:
        yerr = np.vstack([np.clip(z_pred - lower, 0, None), np.clip(upper - z_pred, 0, None)])
    label = (f"{n_clipped} prediction{'s' if n_clipped != 1 else ''} < {z_min:g} drawn at {z_min:g}"
             if n_clipped else None)
    ax.errorbar(z_true, z_pred, yerr=yerr, fmt="o", ms=2, lw=0.4, alpha=0.5, elinewidth=0.4, label=label)
    hi = float(max(z_true.max(), z_pred.max()))
    lo = 0.0 if z_min is None else min(z_min, 0.0)
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--")
    if z_min is not None:
        ax.set_ylim(bottom=z_min - 0.02 * (hi - z_min))
    ax.set_xlabel("true z")
    ax.set_ylabel("predicted z")
    ax.set_title(title, fontsize=9)
    if n_clipped:
        _legend_outside(ax, "below")
    return fig
