"""Survey schedules, the noise model and pointing-log driven surveys."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from astrokeras.simulation import simulate
from astrokeras.simulation import surveys as S


def _field_stats(times: np.ndarray) -> tuple[float, float]:
    nights = np.unique(np.floor(times))
    gaps = np.diff(nights)
    return float(np.mean(gaps[gaps < 30])), times.size / nights.size


def test_synthetic_ztf_matches_the_documented_cadence_and_depths():
    s = S.ztf_survey()
    assert s.bands == ("ztf::g", "ztf::r")
    for i, median in enumerate((20.91, 20.68)):
        assert np.median(s.depth_mag[s.band_idx == i]) == pytest.approx(median, abs=0.08)
    gaps, per_night = zip(*(_field_stats(s.time_mjd[s.field_offsets[f]:s.field_offsets[f + 1]]) for f in range(40)))
    assert 3.0 < np.median(gaps) < 5.0  # 3-night public cadence incl. weather (real full log: 2.9 d)
    assert 1.6 < np.median(per_night) < 2.6  # g + r (+ repeats) per night (real: 2.4)
    span = s.t_end - s.t_start
    assert 2.9 * 365 < span < 3.1 * 365


def test_synthetic_lsst_has_six_bands_and_wfd_like_cadence():
    s = S.lsst_survey()
    assert s.bands == tuple(f"lsst::{b}" for b in "ugrizy")
    frac = np.bincount(s.band_idx, minlength=6) / s.band_idx.size
    assert np.allclose(frac, S.LSST_FILTER_FRACTIONS, atol=0.03)
    medians = [np.median(s.depth_mag[s.band_idx == i]) for i in range(6)]
    assert np.allclose(medians, [23.57, 24.36, 23.95, 23.37, 22.76, 21.98], atol=0.08)
    gaps, per_night = zip(*(_field_stats(s.time_mjd[s.field_offsets[f]:s.field_offsets[f + 1]]) for f in range(40)))
    assert 3.5 < np.median(gaps) < 8.0 and 1.7 < np.median(per_night) < 2.3


def test_visits_match_a_brute_force_window_query():
    s = S.lsst_survey()
    rng = np.random.default_rng(0)
    fields = rng.integers(0, s.n_fields, 50)
    lo = rng.uniform(s.t_start - 50, s.t_end, 50)
    hi = lo + rng.uniform(0, 300, 50)
    obj, visit = s.visits(fields, lo, hi)
    for i in range(50):
        sl = slice(s.field_offsets[fields[i]], s.field_offsets[fields[i] + 1])
        t = s.time_mjd[sl]
        expected = np.flatnonzero((t >= lo[i]) & (t <= hi[i])) + sl.start
        assert np.array_equal(visit[obj == i], expected)
    assert np.all(np.diff(obj) >= 0)


def test_flux_error_is_depth_limited_plus_poisson():
    # a source at the 5-sigma depth, with negligible photon noise, has S/N = 5
    f5 = 10 ** (-0.4 * (21.0 - 27.5))
    err = S.flux_error(np.array([f5]), np.array([21.0]), np.array([60.0]))
    assert f5 / err[0] == pytest.approx(5.0, rel=1e-6)
    bright = S.flux_error(np.array([1e6]), np.array([21.0]), np.array([30.0]))
    assert bright[0] > f5 / 5  # photon noise of a bright source adds


def test_pointing_log_columns_bands_and_fields():
    log = pd.DataFrame({"mjd": [3.0, 1.0, 2.0, 1.5], "band": ["lsstr", "g", "lsst::i", "r"],
                        "m5": [24.0, 24.5, 23.5, 24.1], "fieldID": [7, 7, 9, 9]})
    s = S.survey_from_pointings(log, "lsst")
    assert s.bands == ("lsst::g", "lsst::r", "lsst::i")
    assert s.n_fields == 2 and s.time_mjd.tolist() == [1.0, 3.0, 1.5, 2.0]
    assert [s.bands[b] for b in s.band_idx] == ["lsst::g", "lsst::r", "lsst::r", "lsst::i"]


@pytest.mark.parametrize("log, match", [
    (pd.DataFrame({"mjd": [1.0], "band": ["g"]}), "five_sigma_depth"),
    (pd.DataFrame({"band": ["g"], "m5": [20.0]}), "time_mjd"),
    (pd.DataFrame({"mjd": [1.0], "band": ["q"], "m5": [20.0]}), "band 'q'"),
    (pd.DataFrame({"mjd": [1.0, np.nan], "band": ["g", "r"], "m5": [20.0, 20.0]}), "row 1 has a non-finite time"),
    (pd.DataFrame({"mjd": [], "band": [], "m5": []}), "empty"),
])
def test_bad_pointing_logs_raise(log, match):
    with pytest.raises(ValueError, match=match):
        S.survey_from_pointings(log, "ztf")


def _real_ztf_log(data_home: str) -> pd.DataFrame:
    path = os.path.join(data_home, "sim_blocks", "cadence", "ztf_pointings_2018-2022.csv.gz")
    return pd.read_csv(path)


@pytest.mark.needs_data("sim_blocks")
def test_default_depths_and_cadence_match_the_real_ztf_log(data_home):
    log = _real_ztf_log(data_home)
    for band, name in (("ztfg", "ztf::g"), ("ztfr", "ztf::r")):
        q = np.quantile(log.loc[log["filter"] == band, "fiveSigmaDepth"], S.DEPTH_QUANTILE_LEVELS)
        assert np.allclose(q, S.DEPTH_QUANTILES[name], atol=0.02)
    # cadence at one position: visits within 3.4 deg of the most-visited pointing centre
    ra0, dec0 = log[["_ra", "_dec"]].round(2).value_counts().index[0]
    d = np.arccos(np.clip(np.sin(log["_dec"]) * np.sin(dec0)
                          + np.cos(log["_dec"]) * np.cos(dec0) * np.cos(log["_ra"] - ra0), -1, 1))
    one = log[(np.degrees(d) < 3.4) & log["filter"].isin(["ztfg", "ztfr"])]
    real_gap, _ = _field_stats(one["expMJD"].to_numpy())
    synth = S.ztf_survey()
    synth_gap = np.median([_field_stats(synth.time_mjd[synth.field_offsets[f]:synth.field_offsets[f + 1]])[0]
                           for f in range(40)])
    # the default is the public 3-night survey; the full log (partnership + public) is denser
    assert 1.0 < synth_gap / real_gap < 3.5
    # a survey driven by this slice of the real log works end to end
    lcs = simulate("ztf", classes={"SN Ia": 8, "SN II": 4}, seed=0, cadence=one)
    assert len(lcs) == 12 and np.isin(lcs.time_mjd, one["expMJD"].to_numpy()).all()


@pytest.mark.needs_data("sim_blocks")
def test_default_depths_match_the_rubin_baseline(data_home):
    path = os.path.join(data_home, "sim_blocks", "cadence", "rubin_baseline_v3.0_10yrs.csv.gz")
    log = pd.read_csv(path, usecols=["filter", "fiveSigmaDepth"])
    for b in "ugrizy":
        q = np.quantile(log.loc[log["filter"] == f"lsst{b}", "fiveSigmaDepth"], S.DEPTH_QUANTILE_LEVELS)
        assert np.allclose(q, S.DEPTH_QUANTILES[f"lsst::{b}"], atol=0.02)
