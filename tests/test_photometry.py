import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from astrokeras.photometry import (
    LightCurveError,
    LightCurves,
    canonical_columns,
    flux_to_mag,
    mag_to_flux,
)


def _table(**overrides):
    data = {"snid": ["a", "a", "a", "b"], "mjd": [3.0, 1.0, 2.0, 5.0],
            "filter": ["ztfg", "ztfr", "ztfg", "lsstu"], "fluxcal": [10.0, 20.0, 30.0, 5.0],
            "fluxcalerr": [1.0, 2.0, 3.0, 0.5]}
    data.update(overrides)
    return pd.DataFrame(data)


def test_mag_flux_round_trip_and_zero_point():
    mag = np.array([15.0, 20.0, 27.5])
    flux, err = mag_to_flux(mag, np.array([0.01, 0.1, 1.0]))
    assert flux[2] == pytest.approx(1.0)
    back, back_err = flux_to_mag(flux, err)
    np.testing.assert_allclose(back, mag)
    np.testing.assert_allclose(back_err, [0.01, 0.1, 1.0])
    assert np.isnan(flux_to_mag(-5.0))  # no magnitude for negative flux


def test_same_object_same_flux_in_every_survey():
    # One physical scale: an 18th-magnitude source has the same flux in ZTF and LSST tables.
    ztf = LightCurves.from_table({"id": ["x"], "mjd": [1.0], "band": ["ztfg"], "mag": [18.0], "magerr": [0.1]})
    lsst = LightCurves.from_table({"id": ["x"], "mjd": [1.0], "band": ["lsstg"], "mag": [18.0], "magerr": [0.1]})
    assert ztf.flux[0] == pytest.approx(lsst.flux[0])


def test_from_table_sorts_groups_and_aliases():
    lcs = LightCurves.from_table(_table())
    assert list(lcs.object_ids) == ["a", "b"]
    assert lcs.lengths.tolist() == [3, 1]
    np.testing.assert_array_equal(lcs.time_mjd[:3], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(lcs.flux[:3], [20.0, 30.0, 10.0])  # rows moved with their times
    assert list(lcs.band) == ["ztf::r", "ztf::g", "ztf::g", "lsst::u"]
    assert lcs["a"].shape == (3, 4)


@pytest.mark.parametrize("kind", ["pandas", "astropy", "dict", "structured"])
def test_input_types(kind):
    df = _table()
    table = {"pandas": df, "astropy": Table.from_pandas(df), "dict": {c: df[c].to_numpy() for c in df},
             "structured": df.to_records(index=False)}[kind]
    lcs = LightCurves.from_table(table)
    assert len(lcs) == 2 and lcs.n_observations == 4


def test_metadata_survey_resolves_bare_bands_and_is_aligned():
    table = pd.DataFrame({"object_id": ["z1", "z1", "l1"], "mjd": [1.0, 2.0, 1.0], "band": ["g", "R", "y"],
                          "flux": [1.0, 2.0, 3.0], "flux_err": [0.1, 0.1, 0.1]})
    meta = pd.DataFrame({"object_id": ["l1", "z1"], "survey": ["lsst", "ztf"], "redshift": [0.5, 0.1]})
    lcs = LightCurves.from_table(table, metadata=meta)
    assert list(lcs.band) == ["ztf::g", "ztf::r", "lsst::y"]
    assert lcs.metadata.loc["z1", "redshift"] == 0.1
    assert list(lcs.labels("redshift")) == [0.1, 0.5]


def test_clear_errors():
    with pytest.raises(LightCurveError, match="object id"):
        LightCurves.from_table(pd.DataFrame({"mjd": [1.0], "band": ["ztfg"], "flux": [1.0], "flux_err": [1.0]}))
    with pytest.raises(LightCurveError, match="flux/flux_err or mag/mag_err"):
        LightCurves.from_table(pd.DataFrame({"id": ["a"], "mjd": [1.0], "band": ["ztfg"]}))
    # 99 is a "no detection" fill value (a counted repair in validate(), see test_input_fuzz.py);
    # 45 is neither a magnitude nor a known fill value
    with pytest.raises(LightCurveError, match=r"object 'bad'.*magnitude 45"):
        LightCurves.from_table({"id": ["ok", "bad"], "mjd": [1.0, 1.0], "band": ["ztfg"] * 2,
                                "mag": [18.0, 45.0], "magerr": [0.1, 0.1]})
    with pytest.raises(ValueError, match=r"object 'b'.*unknown band 'zz'.*Known bands"):
        LightCurves.from_table(_table(filter=["ztfg", "ztfg", "ztfg", "zz"]))
    with pytest.raises(LightCurveError, match="both mean"):
        canonical_columns(["mjd", "time"])
    with pytest.raises(LightCurveError, match="DataFrame"):
        LightCurves.from_table([1, 2, 3])


def test_single_light_curve_without_id_column():
    lcs = LightCurves.from_table({"mjd": [1.0, 2.0], "band": ["ztfg", "ztfr"], "flux": [1.0, 2.0],
                                  "flux_err": [0.1, 0.1]}, object_id="SN2024abc")
    assert list(lcs.object_ids) == ["SN2024abc"]


def test_validate_repairs_with_counts():
    table = pd.DataFrame({
        "id": ["a"] * 6 + ["b", "c"],
        "mjd": [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 1.0, 1.0],
        "band": ["ztfg"] * 8,
        "flux": [1.0, 2.0, 4.0, np.nan, 5.0, 0.0, np.inf, 7.0],
        "flux_err": [1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
    })
    lcs = LightCurves.from_table(table)
    clean, report = lcs.validate()
    assert report.n_nonfinite == 2 and report.n_bad_error == 1 and report.n_duplicates_merged == 1
    assert report.dropped_objects == ["b"]
    assert list(clean.object_ids) == ["a", "c"]
    a = clean["a"]
    np.testing.assert_allclose(a["time_mjd"], [1.0, 2.0, 5.0])
    np.testing.assert_allclose(a["flux"], [1.0, 3.0, 0.0])  # inverse-variance mean of 2 and 4; zero flux kept
    np.testing.assert_allclose(a["flux_err"], [1.0, 1 / np.sqrt(2), 1.0])
    assert any("b: no valid observation" in p for p in report.problems)
    with pytest.raises(LightCurveError, match="object 'a'"):
        lcs.validate(policy="raise")


def test_validate_rejects_absurd_flux():
    lcs = LightCurves(["huge"], [1.0], ["ztf::g"], [1e20], [1.0])
    with pytest.raises(LightCurveError, match="'huge'.*exceeds"):
        lcs.validate()


def test_subset_concat_and_parquet(tmp_path):
    lcs = LightCurves.from_table(_table(), metadata=pd.DataFrame({"id": ["a", "b"], "label": ["SN Ia", "AGN"]}))
    sub = lcs.subset(["b"])
    assert list(sub.object_ids) == ["b"] and sub.metadata["label"].tolist() == ["AGN"]
    assert lcs.subset(np.array([False, True])).n_observations == 1
    both = LightCurves.concat([lcs.subset([0]), lcs.subset([1])])
    np.testing.assert_array_equal(both.flux, lcs.flux)
    with pytest.raises(LightCurveError, match="more than one part"):
        LightCurves.concat([lcs, lcs])
    path = tmp_path / "set.parquet"
    lcs.to_parquet(str(path))
    back = LightCurves.read_parquet(str(path))
    np.testing.assert_array_equal(back.flux, lcs.flux)
    assert list(back.band) == list(lcs.band)
    assert back.metadata["label"].tolist() == ["SN Ia", "AGN"]


def test_empty_set_is_well_typed():
    empty = LightCurves.empty()
    assert len(empty) == 0 and empty.n_observations == 0 and empty.offsets.tolist() == [0]
    assert "0 objects" in repr(empty)


def test_duplicate_merge_survives_extreme_errors():
    lcs = LightCurves(["x"] * 4, [1.0, 1.0, 2.0, 2.0], ["ztf::g"] * 4, [5.0, 7.0, 1.0, 3.0],
                      [1.34e154, 1.0, 1e-300, 1.0])
    clean, report = lcs.validate()
    assert report.n_duplicates_merged == 2 and np.isfinite(clean.flux).all() and np.isfinite(clean.flux_err).all()
    np.testing.assert_allclose(clean.flux, [7.0, 1.0])  # the precise measurement dominates
    np.testing.assert_allclose(clean.flux_err, [1.0, 1e-300])


def test_detections_is_the_alert_view_of_forced_photometry():
    lcs = LightCurves(["a"] * 4 + ["b"] * 3 + ["c"] * 2,
                      [0, 1, 2, 3, 0, 1, 2, 0, 1], ["ztf::g"] * 9,
                      [1.0, 60.0, -80.0, 50.0, 2.0, 100.0, 3.0, 1.0, 1.0], [1.0] * 9,
                      metadata=pd.DataFrame({"label": ["x", "y", "z"]}, index=["a", "b", "c"]))
    alerts = lcs.detections(snr=5.0)
    # negative fluxes are not detections of a brightening; "c" has none and is dropped
    assert alerts.object_ids.tolist() == ["a", "b"]
    assert alerts.lengths.tolist() == [2, 1]
    assert alerts["a"].flux.tolist() == [60.0, 50.0]
    assert alerts.metadata["label"].tolist() == ["x", "y"]
    assert lcs.detections(snr=5.0, min_detections=2).object_ids.tolist() == ["a"]
    assert len(lcs.detections(snr=1e9)) == 0
    with pytest.raises(ValueError, match="finite"):
        lcs.detections(snr=float("nan"))
