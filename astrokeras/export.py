"""Export an encoder or a task model (encoder + head) to ONNX, and score with onnxruntime.

:func:`export_onnx` writes one ``.onnx`` file through Keras' own exporter
(``model.export(format="onnx")``: tf2onnx under the TensorFlow backend, jax2tf + tf2onnx under
JAX), with the batch and time axes dynamic. The graph reads the same right-padded inputs as the
Keras model, ``values`` ``(B, T, F)`` float32 and ``mask`` ``(B, T)`` bool, and the file carries
what a broker needs to use it without astrokeras' Python objects, in its ONNX metadata
(``metadata_props``): ``astrokeras.tokenizer`` (the tokenizer settings, JSON),
``astrokeras.class_names`` (JSON list, classifiers), ``astrokeras.model_class`` and
``astrokeras.version``. The file is written to a temporary name and renamed (atomic).

:class:`OnnxModel` runs such a file with onnxruntime, on token batches or on light curves
(tokenized with the stored settings, batched by length, outputs in input order).

:func:`cached_onnx` exports a model once and keeps the file in a cache folder
(``$ASTROKERAS_CACHE/onnx``), named by the sha256 of the model's ``.keras`` file (or of its
configuration and weights) and of the exporter's versions; later calls, in any process, reuse it.
The scoring paths use it for ``engine="onnx"`` (:mod:`astrokeras.engines`).

Needs the ``onnx`` extra: ``pip install astrokeras[onnx]`` (onnx, onnxruntime, tf2onnx). The
torch backend's exporter needs fixed input shapes, so export under TensorFlow (the default) or JAX.

Example:
    >>> import astrokeras as ak
    >>> from astrokeras.export import OnnxModel, export_onnx
    >>> enc = ak.GRUEncoder.from_preset("classifier_ztf_lsst_full")   # doctest: +SKIP
    >>> export_onnx(enc, "encoder.onnx")                               # doctest: +SKIP
    >>> OnnxModel("encoder.onnx").predict_light_curves(ak.datasets.load_bts()).shape  # doctest: +SKIP
    (2710, 128)
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Mapping

import keras
import numpy as np

from astrokeras.photometry import LightCurves
from astrokeras.tokens import TokenizedLightCurves, Tokenizer

__all__ = ["OnnxModel", "export_onnx", "cached_onnx", "onnx_cache_dir", "model_sha256"]

#: bump when export_onnx changes the graphs it writes (part of the cache key of :func:`cached_onnx`)
EXPORT_VERSION = 1

_INSTALL = "pip install 'astrokeras[onnx]' (onnx, onnxruntime, tf2onnx)"


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{module} is needed for ONNX export/scoring: {_INSTALL}") from err


def _metadata(model: keras.Model, tokenizer: Tokenizer | None, class_names) -> dict[str, str]:
    import astrokeras

    tokenizer = tokenizer or getattr(model, "tokenizer", None) or getattr(model, "preset_tokenizer", None)
    class_names = class_names if class_names is not None else getattr(model, "class_names", None)
    meta = {"astrokeras.version": astrokeras.__version__, "astrokeras.model_class": type(model).__name__,
            "astrokeras.model_name": model.name}
    if tokenizer is not None:
        meta["astrokeras.tokenizer"] = json.dumps(tokenizer.get_config(), sort_keys=True)
    if class_names is not None:
        meta["astrokeras.class_names"] = json.dumps(list(class_names))
    return meta


def export_onnx(model: keras.Model, path: str | os.PathLike, *, tokenizer: Tokenizer | None = None,
                class_names=None, opset: int | None = None) -> str:
    """Write ``model`` (an encoder or task model over ``{"values", "mask"}``) as an ONNX file.

    Args:
        model: a :class:`~astrokeras.models.GRUEncoder`, a task model (e.g. from
            :func:`~astrokeras.downstream.attach_head`), or any Keras model over ``{"values", "mask"}``.
        path: the ``.onnx`` file to write (its folder must exist).
        tokenizer: the tokenizer settings to store (default: the model's or its preset's).
        class_names: class names to store (default: the model's).
        opset: ONNX opset (default: the exporter's).

    Returns:
        The path written.

    Raises:
        ImportError: onnx / tf2onnx missing (says what to install).
        ValueError: a model that does not read ``{"values", "mask"}``, or the torch backend.
    """
    onnx = _require("onnx")
    _require("tf2onnx")
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(f"export_onnx: Keras' {backend} exporter needs fixed input shapes; export under "
                         "KERAS_BACKEND=tensorflow (the default) or jax (the weights are the same)")
    inputs = getattr(model, "input", None)
    if not (isinstance(inputs, Mapping) and {"values", "mask"} <= set(inputs)):
        raise ValueError(f"export_onnx: {model.name!r} must read {{'values', 'mask'}} token batches")
    n_features = int(inputs["values"].shape[-1])
    if not getattr(model, "_called", False):  # Keras exports only a model that was called once
        model.predict_on_batch({"values": np.zeros((1, 2, n_features), np.float32), "mask": np.ones((1, 2), bool)})
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"export_onnx: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".onnx", dir=folder)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            # tf2onnx's numpy-2 shims and TensorFlow's graph conversion warn about their own internals
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            model.export(tmp, format="onnx", verbose=False, opset_version=opset)
        proto = onnx.load(tmp)
        for key, value in _metadata(model, tokenizer, class_names).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


class OnnxModel:
    """An exported model run with onnxruntime.

    Args:
        path: the ``.onnx`` file from :func:`export_onnx`.
        threads: intra-op threads of the session (``None``: onnxruntime's default).

    Attributes:
        tokenizer: the stored :class:`~astrokeras.tokens.Tokenizer` (``None`` if none was stored).
        class_names: the stored class names, or ``None``.
        metadata: every ``metadata_props`` entry.
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        tok = self.metadata.get("astrokeras.tokenizer")
        self.tokenizer = Tokenizer(**json.loads(tok)) if tok else None
        names = self.metadata.get("astrokeras.class_names")
        self.class_names = json.loads(names) if names else None
        self._inputs = {i.name for i in self.session.get_inputs()}
        if self._inputs != {"values", "mask"}:
            raise ValueError(f"{path}: expected inputs 'values' and 'mask', got {sorted(self._inputs)}")

    def predict(self, x: Mapping[str, np.ndarray]) -> np.ndarray:
        """Outputs for one right-padded batch ``{"values": (B, T, F), "mask": (B, T)}``."""
        feed = {"values": np.asarray(x["values"], np.float32), "mask": np.asarray(x["mask"], bool)}
        return self.session.run(None, feed)[0]

    def predict_light_curves(self, data: LightCurves | TokenizedLightCurves, batch_size: int = 512) -> np.ndarray:
        """Outputs for every object in input order (light curves use the stored tokenizer)."""
        if isinstance(data, LightCurves):
            if self.tokenizer is None:
                raise ValueError("this ONNX file stores no tokenizer settings: pass TokenizedLightCurves")
            data = self.tokenizer.tokenize(data)
        lengths = data.lengths
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch: little padding
        out = None
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            sub = TokenizedLightCurves(
                np.concatenate([data.values[data.offsets[i]:data.offsets[i + 1]] for i in idx]),
                np.r_[0, np.cumsum(lengths[idx])].astype(np.int64), np.asarray(data.object_ids)[idx])
            y = self.predict(sub.padded())
            if out is None:
                out = np.empty((len(order),) + y.shape[1:], np.float32)
            out[idx] = y
        return out if out is not None else np.zeros((0,), np.float32)


# ---------------------------------------------------------------------------------- cache
def onnx_cache_dir() -> str:
    """``$ASTROKERAS_CACHE/onnx`` (default ``~/.cache/astrokeras/onnx``; not created)."""
    from astrokeras.datasets.bts import cache_dir

    return os.path.join(cache_dir(), "onnx")


def model_sha256(model: keras.Model | None = None, path: str | os.PathLike | None = None) -> str:
    """sha256 of a model: of its ``.keras`` file when ``path`` is given, else of its class,
    configuration and weights (so an in-memory model with other weights gets another key).

    Example:
        >>> import astrokeras as ak
        >>> a = ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2)
        >>> model_sha256(a) == model_sha256(a), len(model_sha256(a))
        (True, 64)
    """
    import hashlib

    if path is not None:
        from astrokeras.presets import sha256_file

        return sha256_file(path)
    if model is None:
        raise ValueError("model_sha256: pass a model or the path of its .keras file")
    digest = hashlib.sha256(type(model).__name__.encode())
    digest.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for w in model.get_weights():
        w = np.ascontiguousarray(w)
        digest.update(str((w.dtype.str, w.shape)).encode())
        digest.update(w.tobytes())
    return digest.hexdigest()


def _export_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"export_version": EXPORT_VERSION, "keras": keras.__version__, "backend": keras.backend.backend()}
    for package in ("onnx", "tf2onnx", "tensorflow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def cached_onnx(model: keras.Model, *, path: str | os.PathLike | None = None, tokenizer: Tokenizer | None = None,
                class_names=None, cache_dir: str | os.PathLike | None = None, log=None) -> str:
    """The ONNX export of ``model`` from the cache folder, exported (atomically) on first use.

    The file is ``<cache_dir>/<model name>-<sha256 of the model, 16 hex>-<settings key, 8 hex>.onnx``:
    the model's sha256 is that of its ``.keras`` file ``path`` when given (a released encoder, a
    file passed to the CLI), else of its configuration and weights (:func:`model_sha256`); the
    settings key covers the stored tokenizer and class names and the versions of the exporter
    (keras, tensorflow, tf2onnx, onnx, :data:`EXPORT_VERSION`). :func:`export_onnx` writes a
    temporary file and renames it, so readers (other processes included) see no file or a whole
    one; a cached file that onnxruntime cannot open is reported through ``log`` (default: stderr),
    removed and exported again.

    Args:
        model: the Keras model (as in :func:`export_onnx`).
        path: its ``.keras`` file, if it came from one (the cache key is then the file's sha256).
        tokenizer, class_names: stored in the file's metadata (default: the model's).
        cache_dir: default :func:`onnx_cache_dir`.
        log: callable for messages (default: print to stderr).

    Returns:
        The path of the ``.onnx`` file.

    Example:
        >>> import astrokeras as ak
        >>> enc = ak.GRUEncoder.from_preset("contrastive_ztf_lsst")  # doctest: +SKIP
        >>> cached_onnx(enc) == cached_onnx(enc)                      # doctest: +SKIP
        True
    """
    import re
    import sys

    from astrokeras.caching import cache_key

    cache_dir = os.fspath(cache_dir) if cache_dir is not None else onnx_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    digest = model_sha256(model, path)
    meta = _metadata(model, tokenizer, class_names)
    settings = {k: v for k, v in meta.items() if k not in ("astrokeras.version",)}
    key = cache_key("onnx", {"metadata": settings, "versions": _export_versions()}, EXPORT_VERSION)
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", model.name)[:40] or "model"
    target = os.path.join(cache_dir, f"{name}-{digest[:16]}-{key[:8]}.onnx")
    if os.path.exists(target):
        try:
            _require("onnxruntime").InferenceSession(target, providers=["CPUExecutionProvider"])
            return target
        except Exception as err:  # noqa: BLE001 - any failure to open means the file cannot be trusted
            (log or (lambda m: print(m, file=sys.stderr, flush=True)))(
                f"cached ONNX file {target} is unreadable ({type(err).__name__}: {str(err)[:200]}); exporting again")
            os.remove(target)
    return export_onnx(model, target, tokenizer=tokenizer, class_names=class_names)
