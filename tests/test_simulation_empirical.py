"""astrokeras.simulation.empirical: simulated objects observed at real detection-time patterns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from astrokeras.simulation import empirical as E


def _patterns() -> pd.DataFrame:
    return pd.DataFrame({"pattern": ["a"] * 4 + ["b"] * 3, "label": ["SN Ia"] * 4 + ["SN II"] * 3,
                         "dt_days": [-6.0, 0.0, 0.02, 15.0, -3.0, 0.0, 9.0],
                         "band": ["ztf::r", "ztf::g", "ztf::g", "ztf::r", "ztf::g", "ztf::r", "ztf::r"]})


def test_detection_patterns_are_anchored_on_the_brightest_detection():
    meta = pd.DataFrame({"label": ["SN Ia", "SN II"]}, index=pd.Index(["x", "y"], name="object_id"))
    lcs = ak.LightCurves(["x"] * 4 + ["y"], [10.0, 12.0, 12.5, 20.0, 5.0],
                         ["ztf::g", "ztf::r", "ztf::g", "ztf::r", "ztf::g"], [100.0, 500.0, 20.0, 300.0, 400.0],
                         [10.0] * 5, metadata=meta)
    pat = E.detection_patterns(lcs)
    # x at 12.5 has S/N 2 (not a detection); y has a single detection (no pattern)
    assert pat["pattern"].unique().tolist() == ["x"] and (pat["label"] == "SN Ia").all()
    assert pat["dt_days"].tolist() == [-2.0, 0.0, 8.0] and pat["band"].tolist() == ["ztf::g", "ztf::r", "ztf::r"]


def test_objects_are_observed_at_the_times_of_a_pattern_of_their_class():
    pat = _patterns()
    counts = {"SN Ia": 5, "SN II": 4}
    a = E.simulate_empirical("ztf", counts, pat, seed=3)
    b = E.simulate_empirical("ztf", counts, pat, seed=3)
    assert np.array_equal(a.flux, b.flux) and np.array_equal(a.time_mjd, b.time_mjd) and a.metadata.equals(b.metadata)
    assert len(a) >= 4 and np.all(a.flux >= 5.0 * a.flux_err)  # alert photometry
    meta = a.metadata
    assert ((meta["label"] == "SN Ia") == (meta["pattern"] == "a")).all()  # class-matched patterns
    for oid in a.object_ids:
        lc = a[oid]
        p = pat[pat["pattern"] == meta.loc[oid, "pattern"]]
        # one anchor maps every kept point onto a pattern point of the same band
        anchors = lc["time_mjd"].iloc[0] - p["dt_days"].to_numpy()
        fits = [all(np.any((np.abs(t - A - p["dt_days"]) < 1e-6) & (p["band"] == bnd))
                    for t, bnd in zip(lc["time_mjd"], lc["band"])) for A in anchors]
        assert any(fits), oid
        same_night_g = lc[lc["band"] == "ztf::g"]
        if len(same_night_g) == 2 and np.ptp(same_night_g["time_mjd"]) < 0.1:
            assert same_night_g["flux"].iloc[0] != same_night_g["flux"].iloc[1]  # distinct visits, not a copy


def test_bad_patterns_are_rejected():
    forced = ak.simulate("ztf", classes={"SN Ia": 2}, seed=0)
    with pytest.raises(ValueError, match="dt_days"):
        E.resample_patterns(forced, pd.DataFrame({"pattern": ["a"], "label": ["SN Ia"], "band": ["ztf::g"]}))


@pytest.mark.needs_data("ztf_bts_antares")
def test_bts_patterns_come_from_the_training_split_only(data_home, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_DATA", data_home)
    from astrokeras.tasks import bts_split

    bts = ak.datasets.load_bts()
    split = bts_split(bts, seed=0)
    pat = E.bts_train_patterns()
    ids = set(pat["pattern"])
    train = set(bts.object_ids[split.cls.train].astype(str))
    held = set(bts.object_ids[np.r_[split.cls.dev, split.cls.test]].astype(str))
    assert ids <= train and not ids & held and len(ids) > 0.9 * len(train)
    assert set(pat["label"]) == {"SN Ia", "SN II", "SN Ib/c"}
