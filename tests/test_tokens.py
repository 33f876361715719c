import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astrokeras import bands
from astrokeras.photometry import LightCurveError, LightCurves
from astrokeras.tokens import Tokenizer


def _lcs(n=5, length=20, seed=0, **kw):
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"o{i}" for i in range(n)], length)
    t = rng.uniform(59000, 59100, n * length)
    band = rng.choice(["ztf::g", "ztf::r"], n * length)
    flux = rng.normal(100, 50, n * length)
    return LightCurves(ids, t, band, flux, np.full(n * length, 5.0), **kw)


def test_token_channels():
    lcs = LightCurves(["a"] * 3, [59010.0, 59000.0, 59020.0], ["ztf::r", "ztf::g", "lsst::y"],
                      [100.0, 0.0, -30.0], [10.0, 5.0, 10.0])
    tok = Tokenizer(include_flux_err=True).tokenize(lcs)
    v = tok.values
    assert v.shape == (3, 4) and v.dtype == np.float32
    np.testing.assert_allclose(v[:, 0], [bands.get_band(b).wavelength_um for b in ("ztf::g", "ztf::r", "lsst::y")],
                               rtol=1e-6)
    np.testing.assert_allclose(v[:, 1], [0.0, 0.1, 0.2], rtol=1e-6)  # days since first / 100
    np.testing.assert_allclose(v[:, 2], np.arcsinh(np.array([0.0, 100.0, -30.0]) / 10.0), rtol=1e-6)
    np.testing.assert_allclose(v[:, 3], np.array([5.0, 10.0, 10.0]) / np.sqrt(100 + np.array([0.0, 1e4, 900.0])),
                               rtol=1e-6)
    assert v[0, 2] == 0.0  # a real zero flux is a value, not padding


def test_time_is_never_divided_by_redshift():
    meta = pd.DataFrame({"redshift": [0.0, 1.0]}, index=["near", "far"])
    lcs = LightCurves(["near", "near", "far", "far"], [0.0, 10.0, 0.0, 10.0], ["ztf::g"] * 4,
                      [1.0] * 4, [1.0] * 4, metadata=meta)
    v = Tokenizer().tokenize(lcs).values
    assert v[1, 1] == v[3, 1] == pytest.approx(0.1)


def test_absolute_keeps_brightness_per_object_does_not():
    lcs = LightCurves(["bright", "faint"], [0.0, 0.0], ["ztf::g"] * 2, [1e4, 1e2], [1.0, 1.0])
    absolute = Tokenizer().tokenize(lcs).values[:, 2]
    per_object = Tokenizer(normalization="per_object").tokenize(lcs).values[:, 2]
    assert absolute[0] > absolute[1]
    np.testing.assert_allclose(per_object, [1.0, 1.0])


@pytest.mark.parametrize("window", ["peak", "first", "last"])
def test_max_length_window(window):
    n = 10_000  # a curve of 10,000+ points
    t = np.arange(n, dtype=float)
    flux = np.exp(-0.5 * ((t - 7000) / 50) ** 2) * 1e4
    lcs = LightCurves(["long"] * n + ["short"] * 3, np.r_[t, 0.0, 1.0, 2.0], ["ztf::g"] * (n + 3),
                      np.r_[flux, 1.0, 2.0, 3.0], np.ones(n + 3))
    tok = Tokenizer(max_length=256, window=window).tokenize(lcs)
    assert tok.lengths.tolist() == [256, 3] and tok.n_truncated == 1
    kept_peak = np.argmax(tok.values[:256, 2])
    if window == "peak":
        assert abs(kept_peak - 128) <= 1
    elif window == "first":
        assert tok.values[255, 2] < 1e-3  # t=255 is far from the peak
    else:
        np.testing.assert_allclose(tok.values[255, 1], 255 / 100.0)  # time restarts at the window


def test_padded_matches_lengths():
    tok = Tokenizer().tokenize(_lcs(n=3, length=4))
    out = tok.padded(max_length=6)
    assert out["values"].shape == (3, 6, 3) and out["mask"].sum() == 12
    assert np.all(out["values"][:, 4:] == 0)
    with pytest.raises(ValueError, match="shorter"):
        tok.padded(max_length=2)


def test_errors_name_the_object():
    empty = LightCurves(["a"], [np.nan], ["ztf::g"], [1.0], [1.0])
    with pytest.raises(LightCurveError, match="'a'.*non-finite"):
        Tokenizer().tokenize(empty)
    clean, report = empty.validate()
    assert len(clean) == 0 and report.dropped_objects == ["a"]
    with pytest.raises(ValueError, match="normalization"):
        Tokenizer(normalization="zscore")


def test_empty_set_tokenizes_to_empty():
    tok = Tokenizer().tokenize(LightCurves.empty())
    assert len(tok) == 0 and tok.values.shape == (0, 3)


def test_absurd_but_valid_errors_give_finite_capped_error_tokens():
    """Errors spanning 300 decades (found by the fuzz test) no longer overflow float32 and fail the object."""
    from astrokeras.tokens import FLUX_ERR_TOKEN_CAP

    for errors in ([1.0, 1e-300], [1e300, 1.0]):
        lcs = LightCurves(["a", "a"], [0.0, 1.0], ["ztf::g"] * 2, [0.0, 0.0], errors)
        for normalization in ("absolute", "per_object"):
            values = Tokenizer(include_flux_err=True, normalization=normalization).tokenize(lcs).values
            assert np.isfinite(values).all() and values[:, 3].max() <= FLUX_ERR_TOKEN_CAP
    # ordinary errors are untouched: 5 FLUXCAL on a 10-FLUXCAL scale at zero flux
    lcs = LightCurves(["a"], [0.0], ["ztf::g"], [0.0], [5.0])
    assert Tokenizer(include_flux_err=True).tokenize(lcs).values[0, 3] == pytest.approx(0.5)


# ---------------------------------------------------------------- property-based fuzzing
_weird_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([0.0, -0.0, 1e-300, -1.0, np.nan, np.inf, -np.inf]),
)


@st.composite
def random_tables(draw):
    n_objects = draw(st.integers(1, 6))
    rows = []
    for i in range(n_objects):
        n = draw(st.integers(0, 40))
        times = draw(st.lists(st.one_of(st.floats(0, 1e5), st.sampled_from([np.nan, 5.0])), min_size=n, max_size=n))
        for t in times:
            rows.append({
                "id": f"obj{i}",
                "mjd": t,
                "band": draw(st.sampled_from(["ztfg", "ztfr", "lsstu", "lssty", "eros::B"])),
                "flux": draw(_weird_floats),
                "flux_err": draw(_weird_floats),
            })
    return pd.DataFrame(rows, columns=["id", "mjd", "band", "flux", "flux_err"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tables(), st.booleans(), st.sampled_from(["absolute", "per_object"]), st.integers(1, 50))
def test_fuzz_validate_then_tokenize_never_nan(table, with_err, normalization, max_length):
    try:
        lcs = LightCurves.from_table(table)
        clean, report = lcs.validate()
    except LightCurveError as err:  # only the documented unrepairable cases, with the object named
        assert "object" in str(err)
        return
    tok = Tokenizer(include_flux_err=with_err, normalization=normalization, max_length=max_length).tokenize(clean)
    assert np.isfinite(tok.values).all()
    assert len(tok) == len(clean) and (tok.lengths >= 1).all() and (tok.lengths <= max_length).all()
    assert (tok.values[:, 1] >= 0).all()  # time since first kept observation
    # nothing is lost silently: every input row is kept, merged or counted as dropped
    n_in = len(table[table["id"].isin(lcs.object_ids)])
    assert clean.n_observations + report.n_nonfinite + report.n_bad_error + report.n_duplicates_merged == n_in


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-5.0, max_value=45.0), min_size=1, max_size=30))
def test_fuzz_magnitudes_clear_error_or_finite(mags):
    table = {"id": ["m"] * len(mags), "mjd": np.arange(len(mags), dtype=float), "band": ["ztfg"] * len(mags),
             "mag": mags, "magerr": [0.1] * len(mags)}
    try:
        lcs = LightCurves.from_table(table)
    except LightCurveError as err:
        assert "'m'" in str(err) and "magnitude" in str(err)
        assert min(mags) < -2.0 or max(mags) > 40.0
        return
    tok = Tokenizer(include_flux_err=True).tokenize(lcs.validate()[0])
    assert np.isfinite(tok.values).all()


def test_truncation_is_reported_with_counts():
    lcs = _lcs(n=3, length=20)
    tok = Tokenizer(max_length=8, window="first").tokenize(lcs)
    assert (tok.n_truncated, tok.max_length, tok.window) == (3, 8, "first")
    assert tok.truncation_message().startswith("3 of 3 light curves are longer than max_length=8 tokens; kept the "
                                               "first observations (window='first')")
    assert Tokenizer(max_length=20).tokenize(lcs).truncation_message() is None


# ------------------------------------------------------------------------ band-code channel
def test_band_channel_family_codes_shared_across_surveys():
    lcs = LightCurves(["a"] * 4, [0.0, 1.0, 2.0, 3.0], ["ztf::g", "lsst::g", "lsst::u", "ps1::r"],
                      [10.0, 20.0, 5.0, 7.0], [1.0, 2.0, 1.0, 1.0])
    plain = Tokenizer(include_flux_err=True).tokenize(lcs).values
    tok = Tokenizer(include_flux_err=True, band_channel="family")
    v = tok.tokenize(lcs).values
    assert tok.n_features == 5 and v.shape == (4, 5)
    np.testing.assert_array_equal(v[:, :4], plain)  # the other channels, wavelength first, are unchanged
    vocab = list(bands.BAND_FAMILIES)
    assert v[:, 4].tolist() == [1 + vocab.index("g")] * 2 + [1 + vocab.index("u"), 1 + vocab.index("r")]
    assert tok.n_band_codes == len(vocab) + 1
    assert tok.encoder_kwargs() == {"n_features": 5, "n_band_codes": len(vocab) + 1}


def test_band_channel_wavelength_bins_and_custom_vocabulary():
    tok = Tokenizer(band_channel="wavelength_bins", band_vocabulary=[0.5, 0.7])
    assert tok.band_vocabulary == (0.5, 0.7) and tok.n_band_codes == 4
    assert tok.band_codes(["ztf::g", "lsst::g", "ztf::r", "lsst::z"]).tolist() == [1, 1, 2, 3]
    default = Tokenizer(band_channel="wavelength_bins")
    # the default bins put every survey's g in one bin and r in the next-but-one
    g, r = default.band_codes(["ztf::g", "ps1::g", "des::g", "sdss::g"]), default.band_codes(["ztf::r", "lsst::r"])
    assert len(set(g.tolist())) == 1 and len(set(r.tolist())) == 1 and r[0] > g[0]
    fam = Tokenizer(band_channel="family", band_vocabulary=("g", "r"))
    assert fam.band_codes(["ztf::g", "lsst::r", "lsst::u"]).tolist() == [1, 2, 0]  # u: not in vocabulary -> 0


def test_unseen_band_gets_code_zero_and_keeps_its_wavelength():
    bands.register_band("tokentest::w", 0.61, source="test")  # no family
    lcs = LightCurves(["a", "a"], [0.0, 1.0], ["tokentest::w", "ztf::g"], [1.0, 2.0], [1.0, 1.0])
    v = Tokenizer(band_channel="family").tokenize(lcs).values
    assert v[0, 3] == 0.0 and v[0, 0] == pytest.approx(0.61)


def test_default_config_is_unchanged_and_band_config_round_trips():
    assert set(Tokenizer().get_config()) == {"include_flux_err", "normalization", "flux_scale",
                                             "time_scale_days", "max_length", "window"}
    tok = Tokenizer(band_channel="family", band_vocabulary=["g", "r"])
    config = tok.get_config()
    assert config["band_channel"] == "family" and config["band_vocabulary"] == ["g", "r"]
    assert Tokenizer(**config) == tok and hash(Tokenizer(**config)) == hash(tok)
    resolved = Tokenizer(band_channel="family").get_config()["band_vocabulary"]
    assert resolved == list(bands.BAND_FAMILIES)  # the vocabulary is written out, not implied


@pytest.mark.parametrize("kwargs, match", [
    (dict(band_channel="names"), "band_channel"),
    (dict(band_vocabulary=["g"]), "band_channel is None"),
    (dict(band_channel="family", band_vocabulary=["g", "g"]), "distinct"),
    (dict(band_channel="wavelength_bins", band_vocabulary=[0.7, 0.5]), "increase"),
    (dict(band_channel="wavelength_bins", band_vocabulary=["x"]), "bin edges"),
])
def test_bad_band_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Tokenizer(**kwargs)


def test_module_examples():
    import doctest

    from astrokeras import tokens

    failures, tried = doctest.testmod(tokens, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
