"""Tests of astrokeras.models.GRUEncoder: Keras checks and masking semantics."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks

from astrokeras.models import GRUEncoder

TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


def _encode(encoder, values, mask):
    return keras.ops.convert_to_numpy(encoder({"values": values, "mask": mask}, training=False))


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_features=3, **TINY),
     dict(n_features=4, gru_units=4, n_gru_layers=2, dense_units=(8, 4), latent_dim=5,
          dropout=0.1, latent_activation="tanh")],
)
def test_encoder_keras_checks(kwargs, tmp_path):
    inputs = make_sequence_inputs(batch=2, length=9, n_features=kwargs["n_features"])
    model, reloaded = run_keras_model_checks(
        lambda: GRUEncoder(**kwargs), inputs, tmp_path,
        expected_output_shape=(kwargs["latent_dim"],),
    )
    assert reloaded.n_gru_layers == model.n_gru_layers


def test_get_config_is_exactly_the_constructor_arguments():
    encoder = GRUEncoder(n_features=4, **TINY)
    config = encoder.get_config()
    parameters = set(inspect.signature(GRUEncoder.__init__).parameters) - {"self", "kwargs"}
    # without a band embedding its three arguments are left out (the configuration of every
    # existing encoder is unchanged); test_band_encoder_layers_config_and_sizes checks them
    assert set(config) == parameters - {"n_band_codes", "band_embedding_dim", "band_dropout"}
    assert config["n_features"] == 4 and config["dense_units"] == [8]
    assert GRUEncoder.from_config(config).get_config() == config


def test_paper_defaults_and_stable_layer_names():
    encoder = GRUEncoder()
    names = [layer.name for layer in encoder.layers]
    assert names == ["values", "mask", "gru", "dense_0", "latent"]
    assert encoder.get_layer("gru").units == 100
    assert encoder.output_shape == (None, 128)
    # GRU(100) on 3 inputs + Dense(100->128) + Dense(128->128)
    assert encoder.count_params() == 3 * (100 * (3 + 100) + 2 * 100) + 100 * 128 + 128 + 128 * 129
    assert not any(isinstance(layer, keras.layers.Masking) for layer in encoder.layers)


def test_padding_does_not_change_the_output():
    encoder = GRUEncoder(**TINY)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(1, 5, 3)).astype("float32")
    unpadded = _encode(encoder, values, np.ones((1, 5), bool))
    for pad in (1, 11):
        junk = rng.normal(size=(1, pad, 3)).astype("float32") * 100  # padded values are garbage
        padded_values = np.concatenate([values, junk], axis=1)
        padded_mask = np.concatenate([np.ones((1, 5), bool), np.zeros((1, pad), bool)], axis=1)
        padded = _encode(encoder, padded_values, padded_mask)
        np.testing.assert_allclose(padded, unpadded, atol=1e-6)


def test_rows_are_independent_of_batch_padding():
    encoder = GRUEncoder(**TINY)
    inputs = make_sequence_inputs(batch=3, length=8, seed=5)
    batched = _encode(encoder, inputs["values"], inputs["mask"])
    for row in range(3):
        n = int(inputs["mask"][row].sum())
        alone = _encode(encoder, inputs["values"][row:row + 1, :n], inputs["mask"][row:row + 1, :n])
        np.testing.assert_allclose(batched[row:row + 1], alone, atol=1e-6)


def test_real_zero_token_is_not_masked():
    encoder = GRUEncoder(**TINY)
    values = np.random.default_rng(1).normal(size=(1, 4, 3)).astype("float32")
    with_zero = values.copy()
    with_zero[0, 2] = 0.0  # a real observation whose three channels are all zero
    mask = np.ones((1, 4), bool)
    dropped = np.delete(with_zero, 2, axis=1)
    out_zero = _encode(encoder, with_zero, mask)
    assert not np.allclose(out_zero, _encode(encoder, dropped, np.ones((1, 3), bool)), atol=1e-6)
    masked = mask.copy()
    masked[0, 2] = False  # masking the zero token (not trailing) equals dropping it
    np.testing.assert_allclose(_encode(encoder, with_zero, masked),
                               _encode(encoder, dropped, np.ones((1, 3), bool)), atol=1e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="n_features"):
        GRUEncoder(n_features=0)
    with pytest.raises(ValueError, match="n_gru_layers"):
        GRUEncoder(n_gru_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        GRUEncoder(dropout=1.0)


# ------------------------------------------------------------------------ band-code channel
def _with_codes(inputs, codes):
    values = inputs["values"].copy()
    values[..., -1] = codes
    return {"values": values, "mask": inputs["mask"]}


def test_band_encoder_keras_checks(tmp_path):
    inputs = make_sequence_inputs(batch=2, length=9, n_features=5)
    inputs["values"][..., -1] = np.random.default_rng(0).integers(0, 17, size=(2, 9))
    model, reloaded = run_keras_model_checks(
        lambda: GRUEncoder(n_features=5, n_band_codes=17, band_embedding_dim=3, band_dropout=0.1, **TINY),
        inputs, tmp_path, expected_output_shape=(TINY["latent_dim"],))
    assert reloaded.get_layer("band_embedding").n_codes == 17
    np.testing.assert_array_equal(reloaded.get_layer("band_embedding").get_weights()[0],
                                  model.get_layer("band_embedding").get_weights()[0])


def test_band_encoder_layers_config_and_sizes():
    encoder = GRUEncoder(n_features=4, n_band_codes=5, band_embedding_dim=2, **TINY)
    assert [layer.name for layer in encoder.layers] == ["values", "band_embedding", "mask", "gru", "dense_0",
                                                        "latent"]
    assert encoder.get_layer("gru").get_weights()[0].shape[0] == 4 - 1 + 2  # GRU reads 3 channels + the band vector
    config = encoder.get_config()
    parameters = set(inspect.signature(GRUEncoder.__init__).parameters) - {"self", "kwargs"}
    assert set(config) == parameters
    assert GRUEncoder.from_config(config).get_config() == config


def test_band_code_changes_the_latent_and_unknown_code_reads_the_wavelength():
    keras.utils.set_random_seed(0)
    encoder = GRUEncoder(n_features=4, n_band_codes=5, band_embedding_dim=2, **TINY)
    inputs = make_sequence_inputs(batch=1, length=6, n_features=4, seed=3)
    mask = inputs["mask"]
    out = {c: _encode(encoder, **_with_codes(inputs, c)) for c in (0, 1, 2, 9)}
    assert not np.allclose(out[1], out[2], atol=1e-6)  # different bands, different latents
    np.testing.assert_allclose(out[9], out[0], atol=1e-7)  # out-of-range code = unknown
    moved = _with_codes(inputs, 0)
    moved["values"][..., 0] += 0.2  # with an unknown band, the wavelength still matters
    assert not np.allclose(_encode(encoder, moved["values"], mask), out[0], atol=1e-6)


def test_band_arguments_raise():
    with pytest.raises(ValueError, match="n_codes"):
        GRUEncoder(n_features=4, n_band_codes=1)
    with pytest.raises(ValueError, match="n_band_codes"):
        GRUEncoder(n_features=1, n_band_codes=5)
