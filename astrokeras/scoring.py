"""Bounded-memory scoring: embed (and classify) millions of light curves chunk by chunk.

:func:`embed_stream` reads a source chunk by chunk (:func:`astrokeras.chunking.iter_light_curve_chunks`:
LightCurves, DataFrames, Parquet files/folders, a ``python -m astrofm simulate`` folder, CSV),
validates and tokenizes each chunk, runs the encoder (and an optional head giving class
probabilities) and yields one DataFrame per chunk; :func:`score_to_parquet` writes those frames
incrementally with ``pyarrow.parquet.ParquetWriter`` into a temporary file renamed into place at
the end (an interrupted run never leaves a truncated file under the output name). Memory holds
one chunk (plus one being prepared), whatever the number of objects.

Output columns: ``object_id``, ``z_0`` ... ``z_{d-1}`` (float32 latent) and, with a head,
one probability column per class name and ``predicted_class``. Rows follow the input order of
the objects (first appearance), exactly as :func:`astrokeras.downstream.embed` on the whole set
would give, for ``grouped=True`` input; ``grouped=False`` (rows in any order) goes partition by
partition instead (see :mod:`astrokeras.chunking`).

Speed (numbers in BENCHMARKS.md, section ``survey_scale``, ``benchmarks/survey_scale.py``):

* within a chunk, objects are sorted by length and cut into batches of ``batch_size``, each padded
  to its longest curve rounded up to ``length_step`` tokens: little padding, few shapes;
* the model runs as one compiled function per shape (``jax.jit`` of ``stateless_call`` under JAX,
  ``tf.function(jit_compile=True)`` under TensorFlow, ``predict_on_batch`` under torch), or, with
  ``engine="onnx"``, in onnxruntime on a cached ONNX export (:mod:`astrokeras.engines`);
* a background thread reads, validates, tokenizes and pads the next chunk while the model runs.

Example:
    >>> import astrokeras as ak
    >>> from astrokeras.scoring import embed_stream
    >>> lcs = ak.simulate("ztf", n=30, classes=["SN Ia"], seed=0, sed="analytic")  # doctest: +SKIP
    >>> encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    >>> frames = list(embed_stream(encoder, lcs, chunk_size=16))                   # doctest: +SKIP
    >>> sum(len(f) for f in frames), list(frames[0].columns)[:3]                   # doctest: +SKIP
    (30, ['object_id', 'z_0', 'z_1'])
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from astrokeras.chunking import count_rows, iter_light_curve_chunks
from astrokeras.photometry import LightCurves
from astrokeras.tokens import TokenizedLightCurves, Tokenizer

__all__ = ["ScoringSummary", "embed_stream", "load_scoring_model", "load_head", "cached_scoring_model",
           "score_to_parquet", "score_table", "InferenceFunction", "embed_tokens", "main"]


# ------------------------------------------------------------------------------- models
def _sidecar(path: str) -> dict:
    side = path[: -len(".keras")] + ".json" if path.endswith(".keras") else path + ".json"
    if os.path.exists(side):
        with open(side, encoding="utf-8") as fh:
            info = json.load(fh)
        return info if isinstance(info, dict) else {}
    return {}


def load_scoring_model(encoder, tokenizer: Tokenizer | Mapping | None = None):
    """``(model, tokenizer)`` from a model, a released encoder name or a ``.keras`` path.

    The tokenizer is, in order: ``tokenizer``; the model's own (``preset_tokenizer`` of a
    released encoder, ``tokenizer`` of a task model); the ``tokenizer`` block of a JSON sidecar
    next to a ``.keras`` file; ``Tokenizer()``.

    Raises:
        KeyError: a name that is neither a released encoder nor an existing file.
    """
    import keras

    import astrokeras  # noqa: F401  registers the model classes

    if isinstance(encoder, (str, os.PathLike)):
        path = os.fspath(encoder)
        if os.path.exists(path):
            model = keras.models.load_model(path, compile=False)
            config = _sidecar(path).get("tokenizer")
            if config and getattr(model, "preset_tokenizer", None) is None:
                model.preset_tokenizer = Tokenizer(**config)
        else:
            from astrokeras.downstream import tokenizer_for
            from astrokeras.presets import list_encoders, load_encoder

            if path not in list_encoders():
                raise KeyError(f"encoder {path!r} is neither a file nor a released encoder; released: "
                               f"{list_encoders()}")
            model = load_encoder(path)
            model.preset_tokenizer = tokenizer_for(path)
    else:
        model = encoder
    if isinstance(tokenizer, Mapping):
        tokenizer = Tokenizer(**tokenizer)
    tokenizer = (tokenizer or getattr(model, "preset_tokenizer", None) or getattr(model, "tokenizer", None)
                 or Tokenizer())
    return model, tokenizer


def load_head(head, class_names: Sequence[str] | None = None):
    """``(head_model, class_names)`` from a model over latents or a ``.keras`` path.

    Class names come from ``class_names``, else the ``class_names`` of a JSON sidecar next to the
    file (``HEAD.json``), else ``class_0``, ``class_1``, ...
    """
    import keras

    import astrokeras  # noqa: F401

    if isinstance(head, (str, os.PathLike)):
        path = os.fspath(head)
        if not os.path.exists(path):
            raise FileNotFoundError(f"head file {path!r} does not exist")
        class_names = class_names or _sidecar(path).get("class_names")
        head = keras.models.load_model(path, compile=False)
    if isinstance(getattr(head, "input", None), Mapping):
        raise ValueError(f"head {head.name!r} reads token batches (it is a task model); pass a head over "
                         "latents (astrokeras.downstream.fit_head / build_head)")
    width = int(head.output_shape[-1])
    names = list(class_names) if class_names is not None else [f"class_{i}" for i in range(width)]
    if len(names) != width:
        raise ValueError(f"{len(names)} class names for a head with {width} outputs: {names}")
    return head, names


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def cached_scoring_model(encoder: str, tokenizer=None, head: str | None = None, class_names=None,
                         engine: str = "keras"):
    """:func:`load_scoring_model` (+ :func:`load_head`) once per process, keyed by name/path.

    Dask workers and Spark executors call this inside each task: the model is loaded on the
    first task of a process and reused afterwards (a file's modification time is part of the
    key, so a replaced file is reloaded). ``engine``: see :mod:`astrokeras.engines`.

    Returns:
        ``(model, tokenizer, forward pass, (head, class names) or None)``.
    """
    def stamp(p):
        return os.path.getmtime(p) if isinstance(p, str) and os.path.exists(p) else None

    from astrokeras.engines import inference_function

    key = (encoder, stamp(encoder), json.dumps(tokenizer, sort_keys=True, default=str), head, stamp(head),
           tuple(class_names or ()), engine)
    with _CACHE_LOCK:
        if key not in _CACHE:
            model, tok = load_scoring_model(encoder, tokenizer)
            loaded_head = load_head(head, class_names) if head is not None else None
            fn = inference_function(model, engine, source=encoder, tokenizer=tok)
            _CACHE[key] = (model, tok, fn, loaded_head)
        return _CACHE[key]


class InferenceFunction:
    """A compiled forward pass of ``model`` on padded numpy batches (one compile per shape).

    JAX: ``jax.jit`` of ``model.stateless_call`` with the weights at construction time;
    TensorFlow: ``tf.function(jit_compile=True)``; torch: ``predict_on_batch``. Rebuild it
    after changing the model's weights.
    """

    def __init__(self, model):
        import keras

        self.model = model
        self.backend = keras.backend.backend()
        if self.backend == "jax":
            import jax

            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]

            @jax.jit
            def forward(tv, ntv, x):
                return model.stateless_call(tv, ntv, x, training=False)[0]

            self._fn = lambda x: forward(trainable, non_trainable, x)
        elif self.backend == "tensorflow":
            import tensorflow as tf

            self._fn = tf.function(lambda x: model(x, training=False), jit_compile=True)
        else:
            self._fn = model.predict_on_batch

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        out = self._fn(dict(batch))
        return np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=np.float32)


# ---------------------------------------------------------------------------- batching
#: ``(batch_size, length_step)`` per engine when not given: Keras compiles one XLA program per
#: batch shape (few, wide shapes); onnxruntime has no per-shape cost, so smaller, tighter batches
#: (1.2 instead of 1.6 padded cells per token on BTS-like alert curves) cost ~25% less model time.
BATCH_DEFAULTS = {"keras": (1024, 16), "onnx": (256, 4)}


def _batching(engine: str, batch_size: int | None, length_step: int | None) -> tuple[int, int]:
    default = BATCH_DEFAULTS.get(engine, BATCH_DEFAULTS["keras"])
    return (int(batch_size) if batch_size else default[0]), (int(length_step) if length_step else default[1])


def _padded_length(longest: int, length_step: int) -> int:
    """``longest`` rounded up to a multiple of ``length_step`` up to 4 steps, then of 2 steps: ~10 shapes
    for curves up to 256 tokens (each shape is one compilation), little padding for short curves."""
    step = length_step if longest <= 4 * length_step else 2 * length_step
    return int(-(-max(longest, 1) // step) * step)


def _pad_batches(tokens: TokenizedLightCurves, batch_size: int, length_step: int):
    """``[(positions, {"values", "mask"})]``: length-sorted batches, padded to few shapes.

    Every batch has ``batch_size`` rows (the last one of a chunk is padded with one-token rows),
    unless the whole chunk is smaller: then a power of two; lengths come from :func:`_padded_length`.
    """
    lengths = tokens.lengths
    order = np.argsort(lengths, kind="stable")
    starts = tokens.offsets[:-1]
    out = []
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        n = len(idx)
        b = batch_size if len(order) > batch_size // 2 else max(16, 1 << int(np.ceil(np.log2(max(n, 1)))))
        L = lengths[idx]
        T = _padded_length(int(L.max()), length_step)
        values = np.zeros((b, T, tokens.n_features), np.float32)
        mask = np.zeros((b, T), bool)
        mask[:n] = np.arange(T)[None, :] < L[:, None]
        mask[n:, 0] = True  # batch padding: one zero token, so no row is empty (cuDNN needs that)
        within = np.arange(int(L.sum())) - np.repeat(np.cumsum(L) - L, L)
        values[:n][mask[:n]] = tokens.values[np.repeat(starts[idx], L) + within]
        out.append((idx, {"values": values, "mask": mask}))
    return out


def embed_tokens(fn, tokens: TokenizedLightCurves, batch_size: int = 1024, length_step: int = 16,
                 batches=None, threads: int = 1) -> np.ndarray:
    """Outputs ``(n_objects, ...)`` of ``fn`` (e.g. :class:`InferenceFunction`) in token order.

    ``threads > 1`` runs that many batches at once (the compiled GRU loop keeps about one core
    busy; the backends release the GIL while they compute).
    """
    batches = _pad_batches(tokens, batch_size, length_step) if batches is None else batches
    if threads > 1 and len(batches) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(int(threads)) as pool:
            outputs = list(pool.map(lambda b: fn(b[1]), batches))
    else:
        outputs = [fn(x) for _, x in batches]
    result = None
    for (idx, _), y in zip(batches, outputs):
        if result is None:
            result = np.empty((len(tokens),) + y.shape[1:], np.float32)
        result[idx] = y[: len(idx)]
    return result


# ------------------------------------------------------------------------------ stream
def _output_frame(ids, z: np.ndarray, head_model=None, names=None) -> pd.DataFrame:
    frame = pd.DataFrame(z, columns=[f"z_{i}" for i in range(z.shape[1])])
    frame.insert(0, "object_id", pd.Series(np.asarray(ids, dtype=object), dtype=str))  # pandas' default string dtype
    if head_model is not None:
        p = np.asarray(head_model.predict_on_batch(z), dtype=np.float32) if len(z) else np.zeros((0, len(names)),
                                                                                                np.float32)
        probs = pd.DataFrame(p, columns=names)
        probs["predicted_class"] = np.asarray(names, dtype=object)[np.argmax(p, axis=1)] if len(p) else \
            np.zeros(0, dtype=object)
        frame = pd.concat([frame, probs], axis=1)
    return frame


def score_table(table, encoder: str, *, head: str | None = None, class_names: Sequence[str] | None = None,
                tokenizer: Mapping | None = None, aliases: Mapping[str, str] | None = None,
                survey: str | None = None, validate: bool = True, batch_size: int | None = None,
                engine: str = "keras") -> pd.DataFrame:
    """Score one in-memory table of whole light curves with a per-process cached model.

    The building block of the Dask and Spark paths (:mod:`astrokeras.dask_scoring`,
    :mod:`astrokeras.spark`): ``encoder`` and ``head`` are names/paths, loaded once per process
    (:func:`cached_scoring_model`). Every object's rows must be in ``table``. ``engine``:
    ``"keras"`` or ``"onnx"`` (:mod:`astrokeras.engines`).

    Returns:
        The :func:`embed_stream` columns, one row per object (objects without a valid
        observation are dropped by the validation).
    """
    model, tok, fn, loaded_head = cached_scoring_model(encoder, tokenizer, head, class_names, engine)
    head_model, names = loaded_head if loaded_head is not None else (None, None)
    lcs = table if isinstance(table, LightCurves) else LightCurves.from_table(table, aliases=aliases, survey=survey)
    if validate:
        lcs, _ = lcs.validate("repair")
    if not len(lcs):
        width = int(model.output_shape[-1])
        return _output_frame(np.zeros(0, object), np.zeros((0, width), np.float32), head_model, names)
    tokens = tok.tokenize(lcs)
    batch_size, length_step = _batching(engine, batch_size, None)
    return _output_frame(tokens.object_ids, embed_tokens(fn, tokens, batch_size, length_step), head_model, names)


@dataclasses.dataclass
class ScoringSummary:
    """Counts and timings of one scoring run (``score_to_parquet`` returns it)."""

    n_objects: int = 0
    n_observations: int = 0
    n_chunks: int = 0
    n_truncated: int = 0
    n_dropped_objects: int = 0
    n_repaired_observations: int = 0
    seconds: float = 0.0
    seconds_model: float = 0.0
    seconds_prepare: float = 0.0

    @property
    def curves_per_s(self) -> float:
        return self.n_objects / self.seconds if self.seconds > 0 else float("nan")

    def __str__(self) -> str:
        return (f"{self.n_objects:,} objects ({self.n_observations:,} observations) in {self.n_chunks} chunks, "
                f"{self.seconds:.1f} s ({self.curves_per_s:,.0f} curves/s; model {self.seconds_model:.1f} s, "
                f"read+validate+tokenize {self.seconds_prepare:.1f} s in a background thread); "
                f"{self.n_dropped_objects} objects without a valid observation dropped, "
                f"{self.n_repaired_observations} observations repaired, {self.n_truncated} curves windowed")


def _prepared(chunks: Iterator[LightCurves], tokenizer: Tokenizer, validate: bool, batch_size: int,
              length_step: int, summary: ScoringSummary):
    for lcs in chunks:
        t0 = time.perf_counter()
        if validate:
            lcs, report = lcs.validate("repair")
            summary.n_dropped_objects += len(report.dropped_objects)
            summary.n_repaired_observations += report.n_repaired
        tokens = tokenizer.tokenize(lcs) if len(lcs) else None
        batches = _pad_batches(tokens, batch_size, length_step) if tokens is not None else None
        summary.seconds_prepare += time.perf_counter() - t0
        yield lcs, tokens, batches


def _background(iterator: Iterator, depth: int = 1) -> Iterator:
    """Run ``iterator`` in a thread, ``depth`` items ahead; its exceptions re-raise here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            for item in iterator:
                if stop.is_set():
                    return
                q.put(("item", item))
            q.put(("end", done))
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            q.put(("error", err))

    thread = threading.Thread(target=work, daemon=True, name="astrokeras-scoring-prefetch")
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


def embed_stream(encoder, source, *, head=None, class_names: Sequence[str] | None = None,
                 tokenizer: Tokenizer | Mapping | None = None, chunk_size: int = 20_000, batch_size: int | None = None,
                 length_step: int | None = None, grouped: bool = True, validate: bool = True, prefetch: bool = True,
                 aliases: Mapping[str, str] | None = None, survey: str | None = None,
                 summary: ScoringSummary | None = None, inference_threads: int = 1, engine: str = "keras",
                 onnx_cache_dir: str | None = None, **chunk_kwargs) -> Iterator[pd.DataFrame]:
    """Latents (and class probabilities) of every object of ``source``, one DataFrame per chunk.

    Args:
        encoder: a Keras model over ``{"values", "mask"}``, a released encoder name or a ``.keras`` path.
        source: anything :func:`astrokeras.chunking.iter_light_curve_chunks` reads.
        head: optional model over latents giving class probabilities (or a ``.keras`` path,
            see :func:`load_head`); adds one column per class and ``predicted_class``.
        class_names: names of the head's outputs.
        tokenizer: default: the encoder's own (see :func:`load_scoring_model`).
        chunk_size: objects per chunk (memory scales with it, not with the input).
        batch_size: objects per model call (default: 1024 for Keras, 256 for ONNX; :data:`BATCH_DEFAULTS`).
        length_step: padded lengths are multiples of this (fewer compiled shapes vs less padding;
            default 16 for Keras, 4 for ONNX).
        grouped: rows of an object are contiguous (see :mod:`astrokeras.chunking`).
        validate: run :meth:`LightCurves.validate` (``"repair"``) on each chunk, counted in ``summary``.
        prefetch: prepare the next chunk in a background thread.
        aliases, survey: column aliases and survey of bare band names (tables).
        summary: a :class:`ScoringSummary` to fill in (counts, timings).
        inference_threads: model calls run at once (2 on a free 2-core machine; same outputs).
        engine: ``"keras"`` (XLA-compiled forward pass) or ``"onnx"`` (onnxruntime on the
            encoder's ONNX export, made once and cached under ``onnx_cache_dir``, default
            ``$ASTROKERAS_CACHE/onnx``): see :mod:`astrokeras.engines`. Same outputs to 1e-4.
        chunk_kwargs: more arguments of :func:`~astrokeras.chunking.iter_light_curve_chunks`.

    Yields:
        DataFrames with ``object_id``, ``z_0`` ... (float32) and the head's columns.

    Example:
        >>> import astrokeras as ak
        >>> lcs = ak.LightCurves(["a", "a", "b"], [0.0, 1.0, 0.0], ["ztf::g"] * 3, [5.0, 6.0, 7.0], [1.0] * 3)
        >>> enc = ak.GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=2)
        >>> [list(f.columns) for f in embed_stream(enc, lcs)]
        [['object_id', 'z_0', 'z_1']]
    """
    from astrokeras.tokens import TruncationWarning

    from astrokeras.engines import inference_function

    model, tokenizer = load_scoring_model(encoder, tokenizer)
    fn = inference_function(model, engine, source=encoder, tokenizer=tokenizer, cache_dir=onnx_cache_dir)
    head_model, names = load_head(head, class_names) if head is not None else (None, None)
    summary = summary if summary is not None else ScoringSummary()
    chunks = iter_light_curve_chunks(source, chunk_size, grouped=grouped, aliases=aliases, survey=survey,
                                     **chunk_kwargs)
    batch_size, length_step = _batching(engine, batch_size, length_step)
    items = _prepared(chunks, tokenizer, validate, batch_size, length_step, summary)
    if prefetch:
        items = _background(items)
    t_start = time.perf_counter()
    try:
        for lcs, tokens, batches in items:
            if tokens is None:
                continue
            t0 = time.perf_counter()
            z = embed_tokens(fn, tokens, batches=batches, threads=inference_threads)
            if not np.isfinite(z).all():
                bad = np.flatnonzero(~np.isfinite(z).all(axis=1))
                raise ValueError(f"encoder gave non-finite latents for {len(bad)} objects, e.g. "
                                 f"{list(tokens.object_ids[bad[:3]])}")
            frame = _output_frame(tokens.object_ids, z, head_model, names)
            summary.seconds_model += time.perf_counter() - t0
            summary.n_objects += len(tokens)
            summary.n_observations += lcs.n_observations
            summary.n_truncated += int(tokens.n_truncated)
            summary.n_chunks += 1
            summary.seconds = time.perf_counter() - t_start
            yield frame
    finally:
        summary.seconds = time.perf_counter() - t_start
    if summary.n_truncated:
        warnings.warn(f"{summary.n_truncated} of {summary.n_objects} light curves are longer than "
                      f"max_length={tokenizer.max_length} tokens; kept the window={tokenizer.window!r} "
                      "observations.", TruncationWarning, stacklevel=2)


def score_to_parquet(encoder, source, output: str, *, progress: bool = False, compression: str = "zstd",
                     **kwargs) -> ScoringSummary:
    """Write :func:`embed_stream` frames to one Parquet file, incrementally and atomically.

    Rows go to ``.<name>.<pid>.tmp`` next to ``output`` (one row group per chunk) and the file is
    renamed to ``output`` only when every chunk is written; on an error the temporary file is
    removed and any earlier ``output`` is left untouched.

    Args:
        encoder, source: as in :func:`embed_stream`.
        output: the ``.parquet`` file to write.
        progress: show a progress bar (tqdm; observations, against the total when the source's
            row count is known from Parquet metadata or a simulation manifest).
        compression: Parquet compression codec.
        kwargs: passed to :func:`embed_stream`.

    Returns:
        :class:`ScoringSummary`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    output = os.fspath(output)
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(output)}.{os.getpid()}.tmp")
    summary = kwargs.pop("summary", None) or ScoringSummary()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=count_rows(source), unit="obs", unit_scale=True, desc="embed", smoothing=0.1)
    writer = None
    try:
        for frame in embed_stream(encoder, source, summary=summary, **kwargs):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression=compression)
            writer.write_table(table)
            if bar is not None:
                bar.update(summary.n_observations - bar.n)
                bar.set_postfix(curves=f"{summary.n_objects:,}", per_s=f"{summary.curves_per_s:,.0f}")
        if writer is None:  # no object at all: an empty file with the id column
            writer = pq.ParquetWriter(tmp, pa.schema([("object_id", pa.string())]), compression=compression)
        writer.close()
        writer = None
        os.replace(tmp, output)
    finally:
        if writer is not None:
            writer.close()
        if bar is not None:
            bar.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    return summary


# --------------------------------------------------------------------------------- CLI
def build_parser():
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m astrofm embed",
        description="Latents (and class probabilities) of every light curve of a file, folder or simulation, "
                    "streamed chunk by chunk into one Parquet file.")
    ap.add_argument("--encoder", required=True, help="released encoder name (see astrokeras.list_encoders()) "
                    "or a .keras file")
    ap.add_argument("--input", required=True, nargs="+", help="a .parquet/.csv/.csv.gz file, a folder of "
                    "Parquet files or a `python -m astrofm simulate` folder (several allowed)")
    ap.add_argument("--output", required=True, help="output .parquet file (written atomically)")
    ap.add_argument("--head", help="optional head over latents (.keras, e.g. a saved fit_head model); "
                    "class names from HEAD.json {'class_names': [...]} or --class-names")
    ap.add_argument("--class-names", nargs="+", help="names of the head's outputs")
    ap.add_argument("--chunk-size", type=int, default=20_000, help="objects per chunk (default 20000)")
    ap.add_argument("--batch-size", type=int, help="objects per model call (default 1024 for keras, 256 for onnx)")
    ap.add_argument("--inference-threads", type=int, default=1, help="model calls at once (default 1; 2 suits a "
                    "free 2-core machine)")
    ap.add_argument("--engine", choices=("keras", "onnx"), default="keras", help="inference engine: keras "
                    "(XLA-compiled, default) or onnx (onnxruntime on an ONNX export of the encoder, cached in "
                    "$ASTROKERAS_CACHE/onnx; needs the onnx extra)")
    ap.add_argument("--unsorted", action="store_true", help="rows of an object are not contiguous: "
                    "hash-partition the input first (output then goes partition by partition)")
    ap.add_argument("--survey", help="survey of bare band names such as 'g'")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    """``python -m astrofm embed``: see :func:`build_parser`."""
    args = build_parser().parse_args(argv)
    source = args.input[0] if len(args.input) == 1 else list(args.input)
    summary = score_to_parquet(args.encoder, source, args.output, head=args.head, class_names=args.class_names,
                               chunk_size=args.chunk_size, batch_size=args.batch_size, grouped=not args.unsorted,
                               survey=args.survey, progress=not args.no_progress,
                               inference_threads=args.inference_threads, engine=args.engine)
    print(f"wrote {args.output}: {summary}")
    return 0
