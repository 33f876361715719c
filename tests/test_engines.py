"""Inference engines (astrokeras.engines): ONNX == Keras on real BTS curves, the export cache, --engine."""

from __future__ import annotations

import os

import keras
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'astrokeras[onnx]')")
pytest.importorskip("tf2onnx", reason="tf2onnx is not installed (pip install 'astrokeras[onnx]')")
if keras.backend.backend() != "tensorflow":
    pytest.skip("ONNX export is tested under the TensorFlow backend", allow_module_level=True)

import astrokeras as ak  # noqa: E402
from astrokeras import export  # noqa: E402
from astrokeras.engines import OnnxInference, inference_function, model_file  # noqa: E402
from astrokeras.presets import sha256_file  # noqa: E402
from astrokeras.scoring import embed_stream, score_table  # noqa: E402

ENCODER = "contrastive_ztf_lsst"


@pytest.fixture(scope="module")
def bts():
    lcs = ak.datasets.load_bts()
    rng = np.random.default_rng(1)
    longest = lcs.object_ids[np.argsort(-lcs.lengths)[:2]]  # windowed to 256 tokens: a full-length batch
    rest = rng.choice(np.setdiff1d(lcs.object_ids, longest), 120, replace=False)
    return lcs.subset(np.concatenate([longest, rest]))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """``$ASTROKERAS_CACHE/onnx`` for the module: the released encoder is exported once."""
    folder = tmp_path_factory.mktemp("akcache") / "onnx"
    folder.mkdir()
    return str(folder)


def _frame_latents(frames):
    frame = pd.concat(list(frames), ignore_index=True)
    return frame["object_id"].tolist(), frame[[c for c in frame.columns if c.startswith("z_")]].to_numpy()


def test_onnx_engine_matches_keras_on_real_bts_curves(bts, cache):
    ids_k, z_k = _frame_latents(embed_stream(ENCODER, bts, chunk_size=50, batch_size=32))
    ids_o, z_o = _frame_latents(embed_stream(ENCODER, bts, chunk_size=50, batch_size=32, engine="onnx",
                                             onnx_cache_dir=cache, inference_threads=2))
    assert ids_o == ids_k == bts.object_ids.tolist()
    assert z_o.shape == (len(bts), 128)
    np.testing.assert_allclose(z_o, z_k, atol=1e-4, rtol=0)
    assert np.abs(z_k).max() > 0.1  # real latents, not zeros
    # the cache file is named by the sha256 of the released .keras file
    (name,) = os.listdir(cache)
    assert sha256_file(model_file(ENCODER))[:16] in name and name.endswith(".onnx")


def test_cache_is_reused_and_keyed_by_weights(cache, monkeypatch):
    encoder = ak.load_encoder(ENCODER)
    first = export.cached_onnx(encoder, path=model_file(ENCODER), cache_dir=cache)
    stamp = os.stat(first).st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("export_onnx called although the cache holds the file")

    monkeypatch.setattr(export, "export_onnx", no_export)
    fn = inference_function(encoder, "onnx", source=ENCODER, cache_dir=cache)  # another call: same file
    assert isinstance(fn, OnnxInference) and fn.path == first and os.stat(first).st_mtime_ns == stamp
    monkeypatch.undo()
    # an in-memory model is keyed by its weights: other weights, other file
    small = ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2, name="tiny")
    a = export.cached_onnx(small, cache_dir=cache)
    small.set_weights([w + 0.5 for w in small.get_weights()])
    b = export.cached_onnx(small, cache_dir=cache)
    assert a != b and os.path.exists(a) and os.path.exists(b)
    x = {"values": np.random.default_rng(0).normal(size=(3, 5, 3)).astype("float32"), "mask": np.ones((3, 5), bool)}
    np.testing.assert_allclose(OnnxInference(b)(x), small.predict_on_batch(x), atol=1e-5)


def test_cache_writes_are_atomic_and_corrupt_files_rebuilt(tmp_path, monkeypatch):
    model = ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2, name="tiny")
    model.predict_on_batch({"values": np.zeros((1, 2, 3), "float32"), "mask": np.ones((1, 2), bool)})
    real_export = keras.Model.export

    def dies_half_way(self, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise RuntimeError("killed while exporting")

    monkeypatch.setattr(keras.Model, "export", dies_half_way)
    with pytest.raises(RuntimeError, match="killed"):
        export.cached_onnx(model, cache_dir=tmp_path)
    assert os.listdir(tmp_path) == []  # nothing under the final name, no temporary file left
    monkeypatch.setattr(keras.Model, "export", real_export)
    path = export.cached_onnx(model, cache_dir=tmp_path)
    assert os.listdir(tmp_path) == [os.path.basename(path)]
    with open(path, "wb") as fh:  # a truncated/corrupt cached file
        fh.write(b"not an onnx file")
    messages = []
    again = export.cached_onnx(model, cache_dir=tmp_path, log=messages.append)
    assert again == path and "unreadable" in messages[0]
    x = {"values": np.ones((2, 4, 3), "float32"), "mask": np.ones((2, 4), bool)}
    np.testing.assert_allclose(OnnxInference(path)(x), model.predict_on_batch(x), atol=1e-5)


def test_unknown_engine_is_a_clear_error(bts):
    with pytest.raises(ValueError, match="engine must be one of"):
        list(embed_stream(ENCODER, bts, engine="tensorrt"))
    with pytest.raises(ValueError, match="engine must be one of"):
        score_table(bts, ENCODER, engine="tvm")


def test_cli_engine_onnx(bts, cache, tmp_path, monkeypatch, capsys):
    from astrokeras.scoring import build_parser, main

    small = bts.subset(bts.object_ids[:30])
    path = tmp_path / "photometry.parquet"
    small.photometry.to_parquet(path)
    out = tmp_path / "latents.parquet"
    monkeypatch.setenv("ASTROKERAS_CACHE", os.path.dirname(cache))
    before = sorted(os.listdir(cache))
    assert main(["--encoder", ENCODER, "--input", str(path), "--output", str(out), "--engine", "onnx",
                 "--no-progress"]) == 0
    assert "30 objects" in capsys.readouterr().out
    after = sorted(os.listdir(cache))  # $ASTROKERAS_CACHE/onnx: the released encoder's file (found or exported)
    assert [f for f in after if sha256_file(model_file(ENCODER))[:16] in f] and set(before) <= set(after)
    assert len(after) <= len(before) + 1
    ids, z = _frame_latents([pd.read_parquet(out)])
    ids_k, z_k = _frame_latents(embed_stream(ENCODER, small))
    assert ids == ids_k
    np.testing.assert_allclose(z, z_k, atol=1e-4, rtol=0)
    assert build_parser().parse_args(["--encoder", "e", "--input", "i", "--output", "o"]).engine == "keras"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--encoder", "e", "--input", "i", "--output", "o", "--engine", "tensorrt"])
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err

