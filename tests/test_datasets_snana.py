"""Tests for astrokeras.datasets.snana: files written here in the SNANA FITS and text formats."""

import gzip
import shutil

import numpy as np
import pytest
from astropy.io import fits

from astrokeras.datasets import read_snana_fits, read_snana_text
from astrokeras.photometry import LightCurveError

OBJECTS = {  # snid -> (redshift, sntype, [(mjd, band, fluxcal, fluxcalerr), ...])
    "1001": (0.12, 101, [(60000.1, "g", 100.0, 5.0), (60000.2, "r", 150.0, 6.0), (60003.0, "i", 90.0, 7.0)]),
    "1002": (0.45, 120, [(60010.0, "u", -3.0, 8.0), (60011.0, "y", 40.0, 9.0)]),
    "1003": (-9.0, 101, [(60020.0, "z", 20.0, 2.0)]),
}


def _write_fits(folder, band_column="BAND", int_snid=False, gz=False, redshift_column="REDSHIFT_FINAL"):
    """HEAD/PHOT pair as SNANA writes it: pointers are 1-based and inclusive, and a row with
    MJD = -777 follows every light curve in PHOT."""
    mjd, band, flux, err, ptr_min, ptr_max = [], [], [], [], [], []
    for _, (_, _, obs) in OBJECTS.items():
        ptr_min.append(len(mjd) + 1)
        for t, b, f, e in obs:
            mjd.append(t), band.append(b), flux.append(f), err.append(e)
        ptr_max.append(len(mjd))
        mjd.append(-777.0), band.append("-"), flux.append(0.0), err.append(0.0)  # separator row
    snid = [int(s) for s in OBJECTS] if int_snid else list(OBJECTS)
    head = fits.BinTableHDU.from_columns([
        fits.Column(name="SNID", format="J" if int_snid else "16A", array=np.array(snid)),
        fits.Column(name="RA", format="D", array=np.array([10.0, 20.0, 30.0])),
        fits.Column(name=redshift_column, format="E", array=np.array([v[0] for v in OBJECTS.values()])),
        fits.Column(name="SNTYPE", format="I", array=np.array([v[1] for v in OBJECTS.values()])),
        fits.Column(name="PTROBS_MIN", format="J", array=np.array(ptr_min)),
        fits.Column(name="PTROBS_MAX", format="J", array=np.array(ptr_max)),
    ])
    phot = fits.BinTableHDU.from_columns([
        fits.Column(name="MJD", format="D", array=np.array(mjd)),
        fits.Column(name=band_column, format="2A", array=np.array(band)),
        fits.Column(name="FIELD", format="12A", array=np.array(["WFD"] * len(mjd))),
        fits.Column(name="FLUXCAL", format="E", array=np.array(flux)),
        fits.Column(name="FLUXCALERR", format="E", array=np.array(err)),
    ])
    head_path, phot_path = folder / "TEST_HEAD.FITS", folder / "TEST_PHOT.FITS"
    fits.HDUList([fits.PrimaryHDU(), head]).writeto(head_path)
    fits.HDUList([fits.PrimaryHDU(), phot]).writeto(phot_path)
    if gz:
        for path in (head_path, phot_path):
            with open(path, "rb") as src, gzip.open(str(path) + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
        head_path, phot_path = str(head_path) + ".gz", str(phot_path) + ".gz"
    return head_path, phot_path


def _check(lcs, survey="lsst"):
    assert list(lcs.object_ids) == list(OBJECTS)
    for snid, (z, sntype, obs) in OBJECTS.items():
        got = lcs[snid]
        assert len(got) == len(obs)  # separator rows dropped
        np.testing.assert_allclose(got["time_mjd"], [o[0] for o in obs])
        assert got["band"].tolist() == [f"{survey}::{o[1]}" for o in obs]
        np.testing.assert_allclose(got["flux"], [o[2] for o in obs], rtol=1e-6)  # FLUXCAL taken as is
        np.testing.assert_allclose(got["flux_err"], [o[3] for o in obs], rtol=1e-6)
        if z >= 0:
            assert lcs.metadata.loc[snid, "redshift"] == pytest.approx(z, rel=1e-6)
        else:
            assert np.isnan(lcs.metadata.loc[snid, "redshift"])  # SNANA's -9 = unknown


@pytest.mark.parametrize("band_column, int_snid, gz", [("BAND", False, False), ("FLT", True, False),
                                                       ("BAND", False, True)])
def test_fits_pair(tmp_path, band_column, int_snid, gz):
    head, phot = _write_fits(tmp_path, band_column, int_snid, gz)
    lcs = read_snana_fits(head, phot, survey="lsst", type_names={101: "SN Ia", 120: "SN II"})
    _check(lcs)
    assert lcs.metadata["label"].tolist() == ["SN Ia", "SN II", "SN Ia"]
    assert lcs.metadata.loc["1002", "RA"] == 20.0  # HEAD columns kept
    assert (lcs.metadata["survey"] == "lsst").all()


def test_fits_simulation_columns_and_default_labels(tmp_path):
    head, phot = _write_fits(tmp_path, redshift_column="SIM_REDSHIFT_CMB")
    lcs = read_snana_fits(head, phot, survey="lsst")
    _check(lcs)
    assert lcs.metadata["label"].tolist() == ["101", "120", "101"]


def test_fits_bad_pointer_names_the_object(tmp_path):
    head, phot = _write_fits(tmp_path)
    with fits.open(head, mode="update") as hdul:
        hdul[1].data["PTROBS_MAX"][1] = 999
    with pytest.raises(LightCurveError, match="'1002'.*PTROBS"):
        read_snana_fits(head, phot, survey="lsst")


def test_fits_single_letter_bands_need_a_survey(tmp_path):
    head, phot = _write_fits(tmp_path)
    with pytest.raises(Exception, match="1001"):
        read_snana_fits(head, phot)


TEXT = """# a SNANA light-curve file
SURVEY: LSST
SNID: {snid}
IAUC: UNKNOWN
RA: 10.0 deg
REDSHIFT_FINAL: {z} +- 0.001 (CMB)
SNTYPE: {sntype}
DOCUMENTATION:
  NOTE: ignored block
  OBS: 1 2 3
DOCUMENTATION_END:

NOBS: {nobs}
NVAR: 7
VARLIST: MJD FLT FIELD FLUXCAL FLUXCALERR MAG MAGERR
{rows}
END:
"""


def _text(snid):
    z, sntype, obs = OBJECTS[snid]
    rows = "\n".join(f"OBS: {t:.3f} {b} WFD {f:.3f} {e:.3f} 99 99" for t, b, f, e in obs)
    return TEXT.format(snid=snid, z=z, sntype=sntype, nobs=len(obs), rows=rows)


def test_text_files_one_per_object_and_gz(tmp_path):
    paths = []
    for i, snid in enumerate(OBJECTS):
        path = tmp_path / f"SN{snid}.DAT" if i else tmp_path / f"SN{snid}.DAT.gz"
        if i:
            path.write_text(_text(snid))
        else:
            with gzip.open(path, "wt") as fh:
                fh.write(_text(snid))
        paths.append(path)
    lcs = read_snana_text(paths)  # survey taken from SURVEY: LSST
    _check(lcs)
    assert lcs.metadata.loc["1001", "label"] == "101"
    assert lcs.metadata.loc["1001", "IAUC"] == "UNKNOWN"


def test_text_several_objects_in_one_file(tmp_path):
    path = tmp_path / "all.dat"
    path.write_text("".join(_text(s) for s in OBJECTS))
    lcs = read_snana_text(path, survey="lsst", type_names={101: "SN Ia", 120: "SN II"})
    _check(lcs)
    assert lcs.metadata["label"].tolist() == ["SN Ia", "SN II", "SN Ia"]


def test_text_errors_name_file_line_and_object(tmp_path):
    bad = tmp_path / "bad.dat"
    bad.write_text("SNID: x1\nOBS: 1 g 2 3\n")
    with pytest.raises(LightCurveError, match="bad.dat:2.*'x1'.*VARLIST"):
        read_snana_text(bad, survey="lsst")
    short = tmp_path / "short.dat"
    short.write_text("SNID: x2\nVARLIST: MJD BAND FLUXCAL FLUXCALERR\nOBS: 1 g 2\n")
    with pytest.raises(LightCurveError, match="short.dat:3.*'x2'"):
        read_snana_text(short, survey="lsst")
    nocol = tmp_path / "nocol.dat"
    nocol.write_text("SNID: x3\nVARLIST: MJD BAND MAG MAGERR\n")
    with pytest.raises(LightCurveError, match="FLUXCAL"):
        read_snana_text(nocol, survey="lsst")


def test_fits_separator_rows_inside_pointers_are_dropped(tmp_path):
    head, phot = _write_fits(tmp_path)
    with fits.open(head, mode="update") as hdul:
        hdul[1].data["PTROBS_MAX"][0] += 1  # now points at the MJD = -777 row
    _check(read_snana_fits(head, phot, survey="lsst"))
