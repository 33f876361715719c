"""Tests for astrokeras.datasets.eros (EROS-1 variable stars, RAMP kit).

Expected numbers come from the raw files read here with csv/gzip/pandas, not from the loader.
"""

import csv
import gzip
import os

import numpy as np
import pandas as pd
import pytest

from astrokeras.datasets import DatasetNotFoundError, load_eros

NAMES = {"1": "binary", "2": "cepheid", "3": "RR Lyrae", "4": "Mira"}


def _raw(home, split):
    folder = os.path.join(home, "eros1_ramp", "data")
    with open(os.path.join(folder, f"{split}.csv"), newline="") as fh:
        table = {row[""] if "" in row else row["Unnamed: 0"]: row for row in csv.DictReader(fh)}
    curves = {}
    with gzip.open(os.path.join(folder, f"{split}_varlength_features.csv.gz"), "rt", newline="") as fh:
        csv.field_size_limit(1 << 26)
        for row in csv.DictReader(fh):
            curves[row[""]] = {k: [float(v) for v in row[k].strip("[]").split(",") if v.strip()]
                               for k in row if k.endswith(("_b", "_r")) and k.split("_")[0] in
                               ("time", "light", "error")}
    return table, curves


@pytest.fixture(scope="module")
def raw():
    home = os.environ.get("ASTROKERAS_DATA")
    if not home or not os.path.isdir(os.path.join(home, "eros1_ramp")):
        return None
    return {split: _raw(home, split) for split in ("train", "test")}


@pytest.mark.needs_data("eros1_ramp")
@pytest.mark.parametrize("split, n_expected", [("train", 2912), ("test", 729)])
def test_counts_and_classes(data_home, raw, split, n_expected):
    table, _ = raw[split]
    assert len(table) == n_expected
    lcs = load_eros(split, data_home)
    assert len(lcs) == n_expected
    want = pd.Series({k: NAMES[str(int(float(r["type"])))] for k, r in table.items()})
    got = lcs.metadata["label"]
    assert got.value_counts().to_dict() == want.value_counts().to_dict()
    assert (got.sort_index() == want.sort_index()).all()
    assert (lcs.metadata["split"] == split).all() and (lcs.metadata["survey"] == "eros").all()
    assert set(lcs.band) == {"eros::B", "eros::R"}


@pytest.mark.needs_data("eros1_ramp")
def test_all_and_repairs(data_home, raw):
    lcs, report = load_eros("all", data_home, return_report=True)
    assert len(lcs) == 2912 + 729
    assert lcs.metadata["split"].value_counts().to_dict() == {"train": 2912, "test": 729}
    n_points = n_ceiling = 0
    for split in ("train", "test"):
        for curve in raw[split][1].values():
            for band in "br":
                mags = np.array(curve[f"light_points_{band}"])
                n_points += mags.size
                n_ceiling += int((mags == 25.0).sum())
    assert n_ceiling > 0
    assert sum(v for k, v in report.repairs.items() if "25.0" in k) == n_ceiling
    assert lcs.n_observations == n_points - n_ceiling - report.validation.n_duplicates_merged


@pytest.mark.needs_data("eros1_ramp")
def test_one_star_matches_the_file(data_home, raw):
    table, curves = raw["test"]
    oid = next(iter(table))
    lcs = load_eros("test", data_home, time_offset_mjd=0.0)
    got = lcs[oid]
    curve = curves[oid]
    b = got[got["band"] == "eros::B"]
    keep = np.array(curve["light_points_b"]) != 25.0
    np.testing.assert_allclose(b["time_mjd"], np.array(curve["time_points_b"])[keep])
    mag = np.array(curve["light_points_b"])[keep]
    np.testing.assert_allclose(b["flux"], 10 ** (-0.4 * (mag - 27.5)))
    np.testing.assert_allclose(b["flux_err"], b["flux"] * np.log(10) / 2.5 * np.array(curve["error_points_b"])[keep])
    assert lcs.metadata.loc[oid, "period_days"] == pytest.approx(float(table[oid]["period"]))
    shifted = load_eros("test", data_home)[oid]
    assert shifted["time_mjd"].iloc[0] - got["time_mjd"].iloc[0] == pytest.approx(47892.0)


def _mini(home, light_r="[18.0, 99.0, 25.0]", err_r="[0.1, 0.1, 0.1]"):
    folder = home / "eros1_ramp" / "data"
    folder.mkdir(parents=True)
    header = ",patch_id,period,type\n"
    for split in ("train", "test"):
        (folder / f"{split}.csv").write_text(header + f"1_{split},1.0,2.5,2.0\n")
        body = (",time_points_b,time_points_r,light_points_b,light_points_r,error_points_b,error_points_r\n"
                f'1_{split},"[1.0, 2.0]","[1.0, 2.0, 3.0]","[17.0, 17.1]","{light_r}","[0.05, 0.0]","{err_r}"\n')
        with gzip.open(folder / f"{split}_varlength_features.csv.gz", "wt") as fh:
            fh.write(body)


def test_bad_values_are_repaired_with_counts(tmp_path):
    _mini(tmp_path)
    lcs, report = load_eros("train", tmp_path, return_report=True)
    assert report.repairs == {"train: dropped magnitude == 25.0 (the files' clipping ceiling)": 1,
                              "train: dropped magnitude outside (-2.0, 40.0)": 1,
                              "train: dropped magnitude error <= 0": 1}
    got = lcs["1_train"]
    assert got["band"].tolist() == ["eros::B", "eros::R"]
    assert lcs.metadata.loc["1_train", "label"] == "cepheid"


def test_mismatched_lists_raise_naming_the_star(tmp_path):
    _mini(tmp_path, err_r="[0.1, 0.1]")
    with pytest.raises(ValueError, match="1_train"):
        load_eros("train", tmp_path)


def test_bad_subset_and_missing_data(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        load_eros("validation", tmp_path)
    with pytest.raises(DatasetNotFoundError) as info:
        load_eros("train", tmp_path)
    assert str(tmp_path) in str(info.value) and "download_if_missing=True" in str(info.value)
