"""Template SEDs (SALT3/SALT2/Hsiao/SNANA), the BTS-like selection, alert view, new surveys and views."""

from __future__ import annotations

import numpy as np
import pytest

import astrokeras as ak
from astrokeras.simulation import templates as T
from astrokeras.simulation import template_models as TM
from astrokeras.simulation.surveys import SURVEYS, default_survey
from astrokeras.simulation.views import parse_view, simulate_views

pytestmark = pytest.mark.needs_data("sim_blocks")


@pytest.fixture(autouse=True)
def _data(data_home, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_DATA", data_home)


def test_salt_colour_law_is_normalised_at_b_and_v():
    s = T.load_salt("salt3")
    cl = s["colorlaw"](np.array([T.SALT_B_WAVELENGTH, T.SALT_V_WAVELENGTH]))
    assert cl == pytest.approx([0.0, -1.0], abs=1e-9)


def test_salt3_tables_recover_stretch_and_colour_relations():
    t = T.template_tables().salt("salt3", ["bessell::B", "bessell::V"])
    i0 = int(np.flatnonzero(T.PHASE_GRID == 0)[0])
    # colour: d(B-V)/dc = 1 at maximum (the colour law's normalisation, through the band integral)
    assert t["K"][0, 0, i0] - t["K"][1, 0, i0] == pytest.approx(1.0, abs=0.1)
    # stretch: Delta m15(B) falls with x1 (Phillips relation; SALT x1 = 0 ~ 1.1 mag)
    dm15 = []
    for x1 in (-2.0, 0.0, 2.0):
        m = -2.5 * np.log10(np.clip(t["M0"][0, 0] + x1 * t["M1"][0, 0], 1e-30, None))
        k = int(np.argmin(m))
        dm15.append(m[k + 15] - m[k])
    assert dm15[0] > dm15[1] > dm15[2]
    assert 0.9 < dm15[1] < 1.3


def test_cc_templates_have_their_subtypes_and_a_late_tail():
    temps = T.load_cc_templates()
    kinds = [t["subtype"] for t in temps]
    assert len(temps) == 28 and kinds.count("IIP") == 17 and kinds.count("IIn") == 2
    f = T.template_tables().cc(["bessell::R"])
    m = -2.5 * np.log10(np.clip(f[:, 0], 1e-30, None))  # (templates, phases)
    late = np.flatnonzero(T.PHASE_GRID == 300)[0]
    assert np.all(m[:, late] - m.min(axis=1) > 2.0)  # every template has faded a year later


def test_simulated_sn_ia_follow_the_tripp_relation():
    lcs = ak.simulate("ztf", classes={"SN Ia": 300}, seed=3, redshift_range=(0.01, 0.08))
    m = lcs.metadata
    x1, c, mb = m["x1"].to_numpy(), m["color_c"].to_numpy(), m["peak_abs_mag"].to_numpy()
    design = np.c_[np.ones_like(x1), x1, c]
    coef, *_ = np.linalg.lstsq(design, mb, rcond=None)
    assert coef[0] == pytest.approx(TM.SN_IA["M_B"], abs=0.05)
    assert coef[1] == pytest.approx(-TM.SN_IA["alpha"], abs=0.03)
    assert coef[2] == pytest.approx(TM.SN_IA["beta"], abs=0.3)
    # bluer (low c) SNe are observed bluer: g - r near peak correlates with c
    snr = lcs.flux / lcs.flux_err
    gr = []
    for oid, row in m.iterrows():
        lc = lcs[oid]
        near = np.abs(lc.time_mjd - row["peak_mjd"]) < 4
        g = lc.flux[near & (lc.band == "ztf::g")]
        r = lc.flux[near & (lc.band == "ztf::r")]
        gr.append(-2.5 * np.log10(np.median(g) / np.median(r)) if g.size and r.size and np.median(g) > 0
                  and np.median(r) > 0 else np.nan)
    gr = np.array(gr)
    ok = np.isfinite(gr)
    assert np.corrcoef(c[ok], gr[ok])[0, 1] > 0.4
    del snr


def test_core_collapse_subtypes_and_whole_light_curves():
    lcs = ak.simulate("ztf", classes={"SN II": 150, "SN Ib/c": 60}, seed=5)
    m = lcs.metadata
    assert set(m.loc[m["label"] == "SN II", "subtype"]) <= {"IIP", "IIL", "IIn", "IIb"}
    assert set(m.loc[m["label"] == "SN Ib/c", "subtype"]) <= {"Ib", "Ic"}
    span = np.array([lcs[o].time_mjd.max() - lcs[o].time_mjd.min() for o in m.index])
    assert np.median(span) > 200  # a year after the trigger (seasons cut some)
    first = np.array([lcs[o].time_mjd.min() for o in m.index])
    assert np.mean(first < m["t_explosion_mjd"].to_numpy()) > 0.5  # pre-explosion points


def test_bts_like_selection_and_alert_view():
    lcs = ak.simulate("ztf", classes={"SN Ia": 60, "SN II": 40}, seed=2, peak_mag_max=18.5, photometry="alert")
    assert np.all(lcs.flux / lcs.flux_err >= 5.0)
    brightest = np.array([27.5 - 2.5 * np.log10(lcs[o].flux.max()) for o in lcs.object_ids])
    assert np.all(brightest < 18.5)
    assert lcs.metadata["redshift"].median() < 0.12


def test_template_simulation_is_bitwise_deterministic():
    a = ak.simulate("lsst", classes={"SN Ia": 20, "SN II": 20}, seed=11, ia_model="hsiao")
    b = ak.simulate("lsst", classes={"SN Ia": 20, "SN II": 20}, seed=11, ia_model="hsiao")
    assert np.array_equal(a.flux, b.flux) and np.array_equal(a.time_mjd, b.time_mjd)
    c = ak.simulate("lsst", classes={"SN Ia": 20, "SN II": 20}, seed=11)  # salt3
    assert not np.array_equal(a.flux, c.flux)


@pytest.mark.parametrize("name,bands", [("ps1", ("ps1::g", "ps1::r", "ps1::i", "ps1::z")),
                                        ("atlas", ("atlas::c", "atlas::o")),
                                        ("des", ("des::g", "des::r", "des::i", "des::z")),
                                        ("sdss", ("sdss::u", "sdss::g", "sdss::r", "sdss::i", "sdss::z")),
                                        ("ztf_gri", ("ztf::g", "ztf::r", "ztf::i"))])
def test_new_surveys_have_their_band_sets(name, bands):
    assert name in SURVEYS
    s = default_survey(name)
    assert s.bands == bands
    assert set(np.unique(s.band_idx)) == set(range(len(bands)))
    lcs = ak.simulate(name, classes={"SN Ia": 5}, seed=1)
    assert len(lcs) == 5 and set(lcs.band) <= set(bands)


def test_atlas_takes_four_visits_a_night_in_one_band():
    s = default_survey("atlas")
    f0 = slice(s.field_offsets[0], s.field_offsets[1])
    nights, counts = np.unique(np.floor(s.time_mjd[f0]), return_counts=True)
    assert np.all(counts == 4)
    assert np.all(np.diff(nights) >= 2)


def test_views_share_objects_and_parameters():
    out = simulate_views(["ztf", "lsst", "ztf:g", "ztf@0.5"], classes={"SN Ia": 8, "SN II": 6}, seed=4)
    keys = {v: set(lcs.metadata["object_key"]) for v, lcs in out.items()}
    assert keys["ztf"] == {*out["ztf"].object_ids}
    for v in ("lsst", "ztf:g", "ztf@0.5"):
        assert keys[v] <= keys["ztf"]
    common = sorted(keys["lsst"] & keys["ztf"])
    assert len(common) >= 10
    for col in ("redshift", "x1", "t_explosion_mjd"):
        a = out["ztf"].metadata.loc[common, col].to_numpy()
        b = out["lsst"].metadata.loc[common, col].to_numpy()
        assert np.array_equal(a, b, equal_nan=True)
    assert set(out["lsst"].band) <= {f"lsst::{b}" for b in "ugrizy"}
    assert set(out["ztf:g"].band) == {"ztf::g"}
    assert out["ztf@0.5"].n_observations < 0.7 * out["ztf"].n_observations
    # the band-subset view is an exact subset of the primary's photometry
    o = common[0]
    g = out["ztf"][o]
    assert np.array_equal(out["ztf:g"][o].flux, g.flux[g.band == "ztf::g"])
    again = simulate_views(["ztf", "lsst"], classes={"SN Ia": 8, "SN II": 6}, seed=4)
    assert np.array_equal(again["lsst"].flux, out["lsst"].flux)


def test_view_strings_are_validated():
    assert parse_view("lsst:gr@0.5") == ("lsst", ("g", "r"), 0.5)
    for bad, match in (("hst", "unknown survey"), ("ztf@2", "fraction"), ("ztf:", "empty band")):
        with pytest.raises(ValueError, match=match):
            parse_view(bad)
    with pytest.raises(ValueError, match="not in"):
        simulate_views(["ztf", "ztf:u"], classes={"SN Ia": 2})
    with pytest.raises(ValueError, match="AGN"):
        simulate_views(["ztf", "lsst"], classes={"AGN": 2})


def test_bts_preset_is_alert_photometry_below_18_5():
    from astrokeras.simulation.presets import get_preset, preset_counts

    assert sum(preset_counts("ztf_bts").values()) == 10000 and get_preset("ztf_bts").peak_mag_max == 18.5
    lcs = ak.simulate_preset("ztf_bts", scale=0.003)
    assert len(lcs) == sum(preset_counts("ztf_bts", 0.003).values())
    assert np.all(lcs.flux / lcs.flux_err >= 5.0)
