"""Tests for astrokeras.datasets.plasticc: CSV files in the PLAsTiCC Kaggle/unblinded layouts."""

import gzip

import numpy as np
import pytest

from astrokeras.datasets import PLASTICC_CLASSES, read_plasticc
from astrokeras.photometry import LightCurveError, flux_to_mag

LC = """object_id,mjd,passband,flux,flux_err,detected
615,59750.4229,2,-544.810303,3.622952,1
615,59750.4306,1,-816.434326,5.553370,1
615,59750.4383,3,-471.385529,3.801213,1
713,59825.2600,0,5.0,1.0,0
713,59826.2600,5,12.5,2.0,1
713,59827.2600,4,20.0,2.0,1
"""
META = """object_id,ra,decl,ddf,hostgal_specz,hostgal_photoz,mwebv,target
615,349.046051,-61.943836,1,0.0000,0.0000,0.017,92
713,53.085938,-27.784405,1,1.8181,1.6267,0.007,88
"""


def test_light_curves_and_metadata(tmp_path):
    (tmp_path / "lc.csv").write_text(LC)
    (tmp_path / "meta.csv").write_text(META)
    lcs = read_plasticc(tmp_path / "lc.csv", tmp_path / "meta.csv")
    assert list(lcs.object_ids) == ["615", "713"]
    assert lcs["615"]["band"].tolist() == ["lsst::r", "lsst::g", "lsst::i"]
    assert lcs["713"]["band"].tolist() == ["lsst::u", "lsst::y", "lsst::z"]
    np.testing.assert_allclose(lcs["713"]["flux"], [5.0, 12.5, 20.0])  # FLUXCAL, no conversion
    assert lcs.metadata.loc["615", "label"] == "RR Lyrae" and lcs.metadata.loc["713", "label"] == "AGN"
    assert lcs.metadata.loc["713", "redshift"] == pytest.approx(1.8181)
    assert lcs.metadata.loc["713", "mwebv"] == pytest.approx(0.007)
    assert (lcs.metadata["survey"] == "lsst").all()
    # zero point 27.5: flux 20 in z is m_AB = 27.5 - 2.5 log10(20)
    assert float(flux_to_mag(20.0)) == pytest.approx(27.5 - 2.5 * np.log10(20.0))


def test_detected_only_gz_and_unblinded_columns(tmp_path):
    with gzip.open(tmp_path / "lc.csv.gz", "wt") as fh:
        fh.write(LC)
    (tmp_path / "meta.csv").write_text("object_id,true_target,true_z,hostgal_specz\n615,992,0.3,-9\n713,90,0.5,0.51\n")
    lcs = read_plasticc(tmp_path / "lc.csv.gz", tmp_path / "meta.csv", detected_only=True)
    assert len(lcs["713"]) == 2
    assert lcs.metadata.loc["615", "label"] == "ILOT"
    assert lcs.metadata.loc["713", "label"] == "SN Ia"
    assert lcs.metadata.loc["713", "redshift"] == pytest.approx(0.5)  # true_z preferred


def test_class_names_cover_the_paper_classes():
    for code, name in {90: "SN Ia", 67: "SN Ia-91bg", 52: "SN Iax", 62: "SN Ib/c", 42: "SN II", 15: "TDE",
                       95: "SLSN-I", 88: "AGN"}.items():
        assert PLASTICC_CLASSES[code] == name


def test_bad_inputs_name_the_object(tmp_path):
    (tmp_path / "lc.csv").write_text(LC.replace("713,59827.2600,4", "713,59827.2600,7"))
    with pytest.raises(LightCurveError, match="'713'.*passband 7"):
        read_plasticc(tmp_path / "lc.csv")
    (tmp_path / "lc2.csv").write_text(LC)
    (tmp_path / "meta2.csv").write_text("object_id,target\n615,92\n")
    with pytest.raises(LightCurveError, match="'713'.*no metadata"):
        read_plasticc(tmp_path / "lc2.csv", tmp_path / "meta2.csv")
    (tmp_path / "lc3.csv").write_text("object_id,mjd,flux,flux_err\n1,2,3,4\n")
    with pytest.raises(LightCurveError, match="passband"):
        read_plasticc(tmp_path / "lc3.csv")


def test_unknown_redshift_is_nan(tmp_path):
    (tmp_path / "lc.csv").write_text(LC)
    (tmp_path / "meta.csv").write_text("object_id,hostgal_specz,target\n615,-9,92\n713,,88\n")
    meta = read_plasticc(tmp_path / "lc.csv", tmp_path / "meta.csv").metadata
    assert meta["redshift"].isna().all()
