"""Tests of astrokeras.plotting (figures are built, not looked at: axes, labels and data)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import astrokeras as ak
from astrokeras import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_light_curves(tmp_path):
    lcs = ak.simulate("lsst", n=3, classes=["SN Ia"], seed=0)
    fig = plotting.plot_light_curves(lcs, title="sim")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    bands = {t.get_text() for t in visible[0].get_legend().get_texts()}
    assert bands <= set("ugrizy") and bands
    fig.savefig(tmp_path / "lc.png")
    assert (tmp_path / "lc.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="no objects"):
        plotting.plot_light_curves(lcs, object_ids=[])


def test_roc_and_early_and_pit():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    fig = plotting.plot_roc_curves({"good": (y, y + rng.normal(0, 0.5, 200)), "random": (y, rng.random(200))})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("good (0.9") and labels[1].startswith("random (0.")
    fig = plotting.plot_early_classification([5, 10, 20], {"a": [0.6, 0.7, 0.8]})
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.6, 0.7, 0.8])
    fig = plotting.plot_pit_histogram(rng.random(500))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert len(heights) == 10 and np.mean(heights) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="PIT"):
        plotting.plot_pit_histogram(np.array([0.5, 1.5]))
    fig = plotting.plot_redshift_predictions(np.array([0.1, 0.2]), np.array([0.12, 0.18]),
                                             np.array([0.1, 0.1]), np.array([0.2, 0.3]))
    assert fig.axes[0].get_xlabel() == "true z"


def test_embedding_scatter():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(30, 2))
    groups = np.array(["ztf"] * 10 + ["lsst"] * 20)
    fig = plotting.plot_embedding(xy, groups, title="survey")
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} == {"ztf", "lsst"}
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 30
    with pytest.raises(ValueError, match="matching"):
        plotting.plot_embedding(xy, groups[:3])


@pytest.mark.slow  # numba compiles UMAP on first use (~45 s)
def test_umap_separates_blobs():
    pytest.importorskip("umap", reason="umap-learn is optional (extra [umap])")
    rng = np.random.default_rng(1)
    latent = np.r_[rng.normal(0, 1, (60, 8)), rng.normal(6, 1, (60, 8))]
    xy = plotting.umap_2d(latent, seed=0, n_neighbors=10)
    assert xy.shape == (120, 2) and np.isfinite(xy).all()
    gap = np.linalg.norm(xy[:60].mean(0) - xy[60:].mean(0))
    assert gap > 2 * max(xy[:60].std(0).max(), xy[60:].std(0).max())
