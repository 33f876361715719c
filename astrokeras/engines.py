"""Inference engines of the scoring paths: a compiled Keras forward pass, or ONNX Runtime.

:func:`inference_function` turns a model into a callable on padded batches
``{"values": (B, T, F) float32, "mask": (B, T) bool} -> (B, d) float32``:

* ``engine="keras"`` (default): :class:`astrokeras.scoring.InferenceFunction` (``jax.jit``, or
  ``tf.function(jit_compile=True)``: one XLA compilation per batch shape, ~0.5 s each);
* ``engine="onnx"``: :class:`OnnxInference`, onnxruntime on the model's ONNX export, taken from
  the cache folder (:func:`astrokeras.export.cached_onnx`: exported once per model, keyed by the
  sha256 of its ``.keras`` file) or exported there on first use. No per-shape compilation; one
  intra-op thread per call (run several calls at once with ``inference_threads``).

Both give the same outputs to float32 round-off (tested to 1e-4 on real BTS light curves). Needs
the ``onnx`` extra for ``engine="onnx"``: ``pip install 'astrokeras[onnx]'``.

Example:
    >>> import numpy as np, astrokeras as ak
    >>> enc = ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2)
    >>> fn = inference_function(enc, "keras")
    >>> fn({"values": np.zeros((2, 3, 3), "float32"), "mask": np.ones((2, 3), bool)}).shape
    (2, 2)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

__all__ = ["ENGINES", "OnnxInference", "inference_function", "model_file"]

#: the engines :func:`inference_function` knows
ENGINES = ("keras", "onnx")


def model_file(encoder) -> str | None:
    """The ``.keras`` file behind ``encoder`` (a path, or a released encoder's name), else ``None``."""
    if not isinstance(encoder, (str, os.PathLike)):
        return None
    path = os.fspath(encoder)
    if os.path.exists(path):
        return path
    from astrokeras.presets import _model_path, encoder_info, models_dir

    try:
        return _model_path(path, encoder_info(path), models_dir())
    except (KeyError, FileNotFoundError):
        return None


class OnnxInference:
    """onnxruntime on an exported model, called like :class:`astrokeras.scoring.InferenceFunction`.

    Args:
        path: an ``.onnx`` file from :func:`astrokeras.export.export_onnx`.
        threads: intra-op threads per call (1: run calls side by side instead).
    """

    engine = "onnx"

    def __init__(self, path: str | os.PathLike, threads: int = 1):
        from astrokeras.export import OnnxModel

        self.path = os.fspath(path)
        self.model = OnnxModel(self.path, threads=threads)

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.model.predict(batch), dtype=np.float32)


def inference_function(model, engine: str = "keras", *, source=None, tokenizer=None,
                       cache_dir: str | os.PathLike | None = None, threads: int = 1):
    """A callable forward pass of ``model`` on padded batches, run by ``engine``.

    Args:
        model: a Keras model over ``{"values", "mask"}``.
        engine: ``"keras"`` or ``"onnx"`` (see the module docstring).
        source: what ``model`` was loaded from (a ``.keras`` path or a released encoder name):
            the ONNX cache is then keyed by that file's sha256 (else by the weights).
        tokenizer: tokenizer settings stored in the ONNX file's metadata.
        cache_dir: ONNX cache folder (default :func:`astrokeras.export.onnx_cache_dir`).
        threads: ONNX Runtime intra-op threads per call.

    Raises:
        ValueError: an unknown engine.
        ImportError: ``engine="onnx"`` without onnxruntime/tf2onnx (says what to install).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "keras":
        from astrokeras.scoring import InferenceFunction

        return InferenceFunction(model)
    from astrokeras.export import cached_onnx

    path = cached_onnx(model, path=model_file(source), tokenizer=tokenizer, cache_dir=cache_dir)
    return OnnxInference(path, threads=threads)
