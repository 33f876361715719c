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


def _outside(fig, legend, ax):
    """True when the legend's box does not overlap the axes' data area (in display pixels)."""
    fig.canvas.draw()
    box, area = legend.get_window_extent(), ax.get_window_extent()
    return not box.overlaps(area)


def test_plot_light_curves(tmp_path):
    lcs = ak.simulate("lsst", n=3, classes=["SN Ia"], seed=0)
    fig = plotting.plot_light_curves(lcs, title="sim")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    bands = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(bands) <= set("ugrizy") and bands
    assert bands == sorted(bands, key="ugrizy".index)  # by wavelength
    assert all(_outside(fig, fig.legends[0], ax) for ax in visible)
    assert visible[0].get_ylabel() == "flux (FLUXCAL)"
    fig.savefig(tmp_path / "lc.png", bbox_inches="tight")
    assert (tmp_path / "lc.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="no objects"):
        plotting.plot_light_curves(lcs, object_ids=[])
    with pytest.raises(ValueError, match="'flux' or 'mag'"):
        plotting.plot_light_curves(lcs, y="Jy")


def test_ztf_g_is_green_and_r_red_and_magnitudes_point_up():
    from matplotlib.colors import to_rgb

    lcs = ak.LightCurves(["a"] * 4, [0.0, 1.0, 2.0, 3.0], ["ztf::g", "ztf::r", "ztf::g", "ztf::r"],
                         [1000.0, 2000.0, -5.0, 500.0], [10.0, 20.0, 10.0, 10.0])
    fig = plotting.plot_light_curves(lcs, y="mag")
    ax = fig.axes[0]
    colors = {c.get_label(): to_rgb(c.lines[0].get_color()) for c in ax.containers}
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["g", "r"]
    g, r = colors["g"], colors["r"]
    assert g[1] > max(g[0], g[2]) and r[0] > max(r[1], r[2])  # green-dominant, red-dominant
    assert ax.get_ylabel() == "magnitude (AB)" and ax.yaxis_inverted()
    # the negative-flux g point has no magnitude: left out and counted in the title
    mags = sorted(np.concatenate([line.get_ydata() for line in ax.lines if len(line.get_ydata())]))
    np.testing.assert_allclose(mags, sorted(27.5 - 2.5 * np.log10([1000.0, 2000.0, 500.0])))
    assert "1 with S/N < 3 not shown" in ax.get_title()
    # a stricter S/N cut also drops the r point at S/N 50 (500 / 10): 2 left out
    strict = plotting.plot_light_curves(lcs, y="mag", snr_min=60)
    assert "2 with S/N < 60 not shown" in strict.axes[0].get_title()
    # the documented palette, and a band outside it still gets a colour
    assert plotting.band_color("lsst::u") == plotting.BAND_COLORS["lsst::u"]
    assert plotting.band_color("LSST::G") == plotting.band_color("ztf::g")
    assert len(to_rgb(plotting.band_color("eros::B"))) == 3


def test_roc_and_early_and_pit():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    fig = plotting.plot_roc_curves({"good": (y, y + rng.normal(0, 0.5, 200)), "random": (y, rng.random(200))})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("good (0.9") and labels[1].startswith("random (0.")
    assert _outside(fig, fig.axes[0].get_legend(), fig.axes[0])
    fig = plotting.plot_early_classification([5, 10, 20], {"a": [0.6, 0.7, 0.8]})
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.6, 0.7, 0.8])
    assert _outside(fig, fig.axes[0].get_legend(), fig.axes[0])
    fig = plotting.plot_pit_histogram(rng.random(500))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert len(heights) == 10 and np.mean(heights) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="PIT"):
        plotting.plot_pit_histogram(np.array([0.5, 1.5]))
    fig = plotting.plot_redshift_predictions(np.array([0.1, 0.2]), np.array([0.12, 0.18]),
                                             np.array([0.1, 0.1]), np.array([0.2, 0.3]))
    assert fig.axes[0].get_xlabel() == "true z" and fig.axes[0].get_legend() is None


def test_predicted_redshift_is_clipped_at_zero_and_counted():
    z_true = np.array([0.01, 0.02, 0.1, 0.3])
    z_pred = np.array([-0.03, -0.01, 0.12, 0.28])
    fig = plotting.plot_redshift_predictions(z_true, z_pred, z_pred - 0.02, z_pred + 0.02)
    ax = fig.axes[0]
    points = ax.lines[0]
    np.testing.assert_allclose(points.get_ydata(), [0.0, 0.0, 0.12, 0.28])
    assert ax.get_ylim()[0] >= -0.01
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["2 predictions < 0 drawn at 0"]
    assert _outside(fig, legend, ax)
    raw = plotting.plot_redshift_predictions(z_true, z_pred, z_min=None)
    np.testing.assert_allclose(raw.axes[0].lines[0].get_ydata(), z_pred)


def test_embedding_scatter():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(30, 2))
    groups = np.array(["ztf"] * 10 + ["lsst"] * 20)
    fig = plotting.plot_embedding(xy, groups, title="survey", method="PCA", legend_title="survey")
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"ztf", "lsst"}
    assert sum(len(c.get_offsets()) for c in ax.collections) == 30
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("PCA 1", "PCA 2")
    assert _outside(fig, ax.get_legend(), ax)
    with pytest.raises(ValueError, match="matching"):
        plotting.plot_embedding(xy, groups[:3])


@pytest.mark.slow  # numba compiles UMAP on first use (~45 s)
def test_umap_separates_blobs():
    pytest.importorskip("umap", reason="umap-learn (a dependency) is not installed here")
    rng = np.random.default_rng(1)
    latent = np.r_[rng.normal(0, 1, (60, 8)), rng.normal(6, 1, (60, 8))]
    xy = plotting.umap_2d(latent, seed=0, n_neighbors=10)
    assert xy.shape == (120, 2) and np.isfinite(xy).all()
    gap = np.linalg.norm(xy[:60].mean(0) - xy[60:].mean(0))
    assert gap > 2 * max(xy[:60].std(0).max(), xy[60:].std(0).max())
