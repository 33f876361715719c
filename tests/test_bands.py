import numpy as np
import pytest

from astrokeras import bands


def test_cached_wavelengths_match_filter_curves():
    # The cache in astrokeras/data/bands.json must equal a fresh computation from pyphot/speclite.
    fresh = bands.compute_band_table()
    for name, row in fresh.items():
        assert bands.get_band(name).wavelength_um == pytest.approx(row["wavelength_um"], abs=1e-6), name
        assert bands.get_band(name).source == row["source"]


def test_wavelength_order_and_physical_values():
    w = {n: bands.get_band(n).wavelength_um for n in bands.known_bands()}
    lsst = [w[f"lsst::{b}"] for b in "ugrizy"]
    assert lsst == sorted(lsst)
    assert w["ztf::g"] < w["ztf::r"] < w["ztf::i"]  # the swapped-g/r pitfall
    assert 0.45 < w["ztf::g"] < 0.50 and 0.60 < w["ztf::r"] < 0.67
    assert 0.35 < w["lsst::u"] < 0.39 and 0.95 < w["lsst::y"] < 1.0


@pytest.mark.parametrize(
    "alias,survey,expected",
    [("ztfg", None, "ztf::g"), ("R", "ztf", "ztf::r"), ("r", "ztf", "ztf::r"), ("lsstu", None, "lsst::u"),
     ("g", "lsst", "lsst::g"), ("ztf::g", None, "ztf::g"), ("B", "eros", "eros::B"), ("keplerkp", None, "kepler::Kp"),
     ("ps1_z", None, "ps1::z"), ("bessellb", None, "bessell::B"), ("atlasc", None, "atlas::c")],
)
def test_aliases(alias, survey, expected):
    assert bands.resolve_band(alias, survey) == expected


def test_unknown_band_lists_known_ones():
    with pytest.raises(bands.UnknownBandError) as info:
        bands.resolve_band("ztf::q")
    message = str(info.value)
    assert "ztf::q" in message and "lsst::u" in message and "register_band" in message


def test_register_band_and_codes_are_stable():
    before = bands.known_bands()
    band = bands.register_band("testsurvey::L", 0.55, source="test", aliases=["testl"])
    assert bands.resolve_band("testl") == "testsurvey::L"
    assert bands.known_bands()[: len(before)] == before
    code = bands.band_index(["testsurvey::L"])[0]
    assert bands.band_wavelengths_um()[code] == pytest.approx(band.wavelength_um)
    with pytest.raises(ValueError, match="already registered"):
        bands.register_band("testsurvey::L", 0.60)
    with pytest.raises(ValueError, match="survey"):
        bands.register_band("nocolons", 0.5)
    with pytest.raises(ValueError, match="outside"):
        bands.register_band("x::y", 100.0)


def test_pivot_wavelength_tophat():
    w = np.linspace(5000.0, 6000.0, 10001)
    # analytic pivot of a top hat: sqrt((b^2 - a^2) / 2 / ln(b/a))
    expected = np.sqrt((6000.0**2 - 5000.0**2) / 2 / np.log(6000.0 / 5000.0)) / 1e4
    assert bands.pivot_wavelength_um(w, np.ones_like(w)) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        bands.pivot_wavelength_um(w, np.zeros_like(w))


@pytest.mark.parametrize("name,expected", [("ZTF::g", "ztf::g"), ("LSST::r", "lsst::r"), ("lsst::R", "lsst::r"),
                                           ("ztf::G", "ztf::g"), ("Ztf::R", "ztf::r"), ("EROS::r", "eros::R"),
                                           ("KEPLER::kp", "kepler::Kp"), ("ZTFg", "ztf::g"), (" lsst::Y ", "lsst::y")])
def test_survey_prefixes_and_band_names_are_case_insensitive(name, expected):
    assert bands.resolve_band(name) == expected
    assert bands.resolve_bands([name, name]).tolist() == [expected, expected]


def test_bare_band_without_survey_says_which_survey_to_pass():
    with pytest.raises(bands.UnknownBandError, match=r"'g' exists in ztf, lsst, .*ps1.*; pass survey='ztf'"):
        bands.resolve_band("g")
    with pytest.raises(bands.UnknownBandError, match=r"'R' exists in ztf, .*pass survey='ztf'"):
        bands.resolve_band("R")
    assert bands.resolve_band("g", survey="ZTF") == "ztf::g"
    with pytest.raises(bands.UnknownBandError, match=r"'u' exists in lsst.*not in survey 'ztf'"):
        bands.resolve_band("u", survey="ztf")


def test_bare_band_in_a_table_error_names_object_and_survey_fix():
    import pandas as pd

    from astrokeras.photometry import LightCurves

    table = pd.DataFrame({"id": ["a"], "mjd": [1.0], "band": ["g"], "flux": [1.0], "flux_err": [1.0]})
    with pytest.raises(bands.UnknownBandError, match=r"object 'a': unknown band 'g'.*pass survey='ztf'"):
        LightCurves.from_table(table)
    assert LightCurves.from_table(table, survey="ztf").band.tolist() == ["ztf::g"]


def test_band_families_are_shared_across_surveys():
    assert {bands.band_family(f"{s}::g") for s in ("ztf", "lsst", "ps1", "des", "sdss")} == {"g"}
    assert bands.band_family("des::Y") == bands.band_family("lsst::y") == "y"
    assert [bands.band_family(b) for b in ("atlas::c", "atlas::o", "eros::B", "eros::R", "bessell::R", "kepler::Kp")] \
        == ["c", "o", "B_eros", "R_eros", "R", "Kp"]
    assert bands.band_family("ztfr") == "r"  # aliases resolve
    # every shipped band has a family in the default vocabulary
    assert all(bands.band_family(b) in bands.BAND_FAMILIES for b in bands.known_bands()
               if b.split("::")[0] in ("ztf", "lsst", "ps1", "des", "sdss", "atlas", "eros", "bessell", "kepler"))


def test_registered_band_family_defaults_to_none_and_is_kept_on_re_registration():
    bands.register_band("testfam::w", 0.61, source="test")
    assert bands.band_family("testfam::w") is None
    bands.register_band("testfam::v", 0.55, source="test", family="V")
    bands.register_band("testfam::v", 0.55, aliases=["testfamv"])
    assert bands.band_family("testfamv") == "V"
