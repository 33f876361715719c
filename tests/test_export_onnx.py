"""ONNX export (astrokeras.export): onnxruntime == Keras to 1e-4 on real BTS light curves."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'astrokeras[onnx]')")
pytest.importorskip("tf2onnx", reason="tf2onnx is not installed (pip install 'astrokeras[onnx]')")
if keras.backend.backend() != "tensorflow":
    pytest.skip("ONNX export is tested under the TensorFlow backend", allow_module_level=True)

import astrokeras as ak  # noqa: E402
from astrokeras.downstream import attach_head, build_head, embed, predict_in_order  # noqa: E402
from astrokeras.export import OnnxModel, export_onnx  # noqa: E402


@pytest.fixture(scope="module")
def bts():
    lcs = ak.datasets.load_bts()
    rng = np.random.default_rng(0)
    longest = lcs.object_ids[np.argsort(-lcs.lengths)[:2]]
    rest = rng.choice(np.setdiff1d(lcs.object_ids, longest), 150, replace=False)
    return lcs.subset(np.concatenate([longest, rest]))


@pytest.fixture(scope="module")
def released():
    return ak.GRUEncoder.from_preset("classifier_ztf_lsst_full")


def test_released_encoder_onnx_matches_keras_on_bts(bts, released, tmp_path):
    path = export_onnx(released, tmp_path / "encoder.onnx")
    assert os.listdir(tmp_path) == ["encoder.onnx"]  # written under a temporary name, then renamed
    onnx_model = OnnxModel(path)
    assert onnx_model.tokenizer == released.preset_tokenizer
    assert onnx_model.metadata["astrokeras.model_class"] == "GRUEncoder"
    z_onnx = onnx_model.predict_light_curves(bts, batch_size=64)
    z_keras = embed(released, bts, released.preset_tokenizer)
    assert z_onnx.shape == z_keras.shape == (len(bts), 128)
    np.testing.assert_allclose(z_onnx, z_keras, atol=1e-4, rtol=1e-4)
    # one padded batch with a fully masked tail: same as Keras on the same batch
    x = released.preset_tokenizer.tokenize(bts.subset(bts.object_ids[:8])).padded(300)
    np.testing.assert_allclose(onnx_model.predict(x), released.predict_on_batch(x), atol=1e-4, rtol=1e-4)


def test_attached_classifier_onnx_matches_keras_on_bts(bts, released, tmp_path):
    keras.utils.set_random_seed(0)
    head = build_head(128, "classification", n_classes=4, hidden_units=(64,))
    model = attach_head(released, head, class_names=["SN Ia", "SN II", "SN Ib/c", "other"])
    onnx_model = OnnxModel(export_onnx(model, tmp_path / "classifier.onnx"))
    assert onnx_model.class_names == ["SN Ia", "SN II", "SN Ib/c", "other"]
    p_onnx = onnx_model.predict_light_curves(bts)
    p_keras = predict_in_order(model, bts, model.tokenizer)
    np.testing.assert_allclose(p_onnx, p_keras, atol=1e-4)
    np.testing.assert_allclose(p_onnx.sum(axis=1), 1.0, atol=1e-5)


def test_export_errors(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="must read"):
        export_onnx(model, tmp_path / "m.onnx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_onnx(ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2), tmp_path / "no" / "m.onnx")
