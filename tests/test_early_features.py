"""Tests of astrokeras.early_features: features of young light curves."""

from __future__ import annotations

import numpy as np
import pytest

from astrokeras.early import truncate_per_object
from astrokeras.early_features import early_features
from astrokeras.photometry import LightCurves, mag_to_flux

BANDS = ["ztf::g", "ztf::r"]


def _curve(times, bands, mags, oid="a"):
    mags = np.asarray(mags, float)
    return LightCurves([oid] * len(mags), times, bands, mag_to_flux(mags), 0.05 * mag_to_flux(mags))


def test_rise_colour_and_timing_of_a_rising_blue_source():
    # g rises 0.2 mag/day, r 0.1 mag/day: g - r goes from +0.1 to -0.3 over 4 days
    t = np.array([0.0, 0.05, 2.0, 2.05, 4.0, 4.05])
    g = 19.0 - 0.2 * t[::2]
    r = 18.9 - 0.1 * t[1::2]
    mags = np.empty(6)
    mags[::2], mags[1::2] = g, r
    f = early_features(_curve(t, ["ztf::g", "ztf::r"] * 3, mags), BANDS, days=[7.0]).iloc[0]
    assert f["n_obs"] == 6 and f["ztf::g_n"] == 3 and f["ztf::r_n"] == 3
    assert f["span_days"] == pytest.approx(4.05)
    assert f["ztf::g_slope_mag_per_day"] == pytest.approx(-0.2)
    assert f["ztf::r_slope_mag_per_day"] == pytest.approx(-0.1)
    assert f["ztf::g_recent_slope_mag_per_day"] == pytest.approx(-0.2)
    assert f["ztf::g_rise_rate_mag_per_day"] == pytest.approx(-0.2)
    assert f["first_mag"] == pytest.approx(19.0) and f["peak_mag"] == pytest.approx(g[-1])
    assert f["rise_mag"] == pytest.approx(0.8) and f["decline_mag"] == pytest.approx(r[-1] - g[-1])
    assert f["peak_time_days"] == pytest.approx(4.0)
    assert f["colour_first"] == pytest.approx(g[0] - r[0])
    assert f["colour_last"] == pytest.approx(g[-1] - r[-1])
    assert f["colour_slope_mag_per_day"] == pytest.approx(((g[-1] - r[-1]) - (g[0] - r[0])) / 4.0)
    assert f["days_since_first"] == 7.0 and f["days_since_last"] == pytest.approx(7.0 - 4.05)
    assert f["ztf::r_gap_days"] == 0.0 and f["ztf::g_gap_days"] == pytest.approx(0.05)


def test_single_point_gives_nan_slopes_and_colours_not_errors():
    f = early_features(_curve([0.0], ["ztf::g"], [18.0]), BANDS).iloc[0]
    assert f["n_obs"] == 1 and f["ztf::r_n"] == 0 and f["first_mag"] == 18.0
    for col in ("ztf::g_slope_mag_per_day", "ztf::r_first_mag", "colour_first", "colour_slope_mag_per_day"):
        assert np.isnan(f[col]), col
    assert "days_since_first" not in f.index     # no days given


def test_colour_needs_observations_close_in_time():
    lcs = _curve([0.0, 3.0], ["ztf::g", "ztf::r"], [18.0, 18.5])
    assert np.isnan(early_features(lcs, BANDS)["colour_first"].iloc[0])
    assert early_features(lcs, BANDS, pair_days=3.0)["colour_first"].iloc[0] == pytest.approx(-0.5)
    assert early_features(lcs, BANDS)["colour_peak"].iloc[0] == pytest.approx(-0.5)


def test_features_of_a_truncated_curve_use_only_its_points():
    t = np.arange(10, dtype=float) * 3
    mags = 19.0 - 0.1 * t
    lcs = _curve(t, ["ztf::g"] * 10, mags)
    cut = truncate_per_object(lcs, 6.0)
    f = early_features(cut, BANDS, days=6.0).iloc[0]
    assert f["n_obs"] == 3 and f["last_mag"] == pytest.approx(mags[2])
    assert f["days_since_last"] == 0.0
    whole = early_features(lcs, BANDS, days=np.inf).iloc[0]
    assert whole["n_obs"] == 10 and np.isnan(whole["days_since_first"])   # unknown time of scoring


def test_non_positive_flux_is_nan_and_columns_are_stable():
    lcs = LightCurves(["a", "a", "b"], [0.0, 1.0, 0.0], ["ztf::g"] * 3, [-5.0, 100.0, 50.0], [1.0] * 3)
    f = early_features(lcs, BANDS, days=[5.0, 5.0])
    assert f.index.tolist() == ["a", "b"] and np.isfinite(f.loc["a", "first_mag"])
    assert f.loc["a", "ztf::g_n"] == 1      # the negative flux is not a magnitude
    assert list(f.columns) == list(early_features(lcs.subset([1]), BANDS, days=5.0).columns)


def test_bad_input_raises_clear_errors():
    lcs = _curve([0.0, 1.0], ["ztf::g"] * 2, [18.0, 18.1])
    with pytest.raises(ValueError, match="days must be"):
        early_features(lcs, BANDS, days=[1.0, 2.0])
    with pytest.raises(ValueError, match="distinct"):
        early_features(lcs, ["ztf::g", "ztf::g"])
