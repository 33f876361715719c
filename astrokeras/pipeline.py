"""tf.data pipeline: tokens of ragged light curves -> right-padded ``{"values", "mask"}`` batches.

This is the one library module that imports TensorFlow (apart from per-backend train steps);
``import astrokeras`` does not import it until :func:`make_dataset` is first used.

Each element is ``(inputs, labels)`` with

* ``inputs["values"]``: float32 ``(B, T, F)`` tokens (see :mod:`astrokeras.tokens`), right-padded
  with zeros;
* ``inputs["mask"]``: bool ``(B, T)``, ``True`` on real tokens, derived from the curve lengths and
  never from the values (a real zero flux stays unmasked; models must not use ``Masking(0.)``);
* ``labels``: a dict of per-object arrays (``"class"``, ``"domain"``, ``"redshift"``, ... whatever
  the caller passes), or no labels at all for ``predict``.

How it works (and why): the tokens stay one flat ``(n_tokens, F)`` array with per-object
``(start, length)``. Once per epoch a small vectorised *plan* shuffles the object indices (seeded),
groups them by length bucket and cuts each bucket into batches of ``batch_size``, then shuffles
the batch order; each batch is then built with one ``tf.gather``. Nothing runs per object in
tf.data, which makes the pipeline several times faster than per-object ``map`` +
``bucket_by_sequence_length`` (``benchmarks/pipeline_throughput.py``, numbers in BENCHMARKS.md),
and avoids ``from_tensor_slices(RaggedTensor)``, whose elements ``padded_batch`` rejects. The
tokens are held in memory as one tensor (~12 bytes per observation with 3 channels).

Bucketed or shuffled datasets do not keep the input order: pass ``include_index=True`` to get
each object's position back (e.g. to put ``model.predict`` outputs in input order).

Bucketing follows ``tf.data``'s ``bucket_by_sequence_length`` conventions: ``bucket_boundaries``
are exclusive upper bounds on the length, and with ``pad_to_bucket_boundary=True`` a batch of
bucket ``[b_{i-1}, b_i)`` is padded to ``T = b_i - 1``. The defaults
:data:`DEFAULT_BUCKET_BOUNDARIES` give ``T`` in ``{64, 96, 128, 160, 192, 224, 256}``: seven shapes
only, which matters once ``jit_compile`` is on, and 256 is the tokenizer's default
``max_length``.

Example:
    >>> import numpy as np
    >>> from astrokeras.tokens import TokenizedLightCurves
    >>> from astrokeras.pipeline import make_dataset
    >>> tok = TokenizedLightCurves(values=np.ones((5, 3), np.float32), offsets=np.array([0, 2, 5]),
    ...                            object_ids=np.array(["a", "b"], dtype=object))
    >>> x, y = next(iter(make_dataset(tok, {"class": np.array([0, 1])}, batch_size=2)))
    >>> x["values"].shape, x["mask"].numpy().sum(axis=1).tolist(), y["class"].numpy().tolist()
    (TensorShape([2, 64, 3]), [2, 3], [0, 1])
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf

from astrokeras.photometry import LightCurves
from astrokeras.tokens import TokenizedLightCurves, Tokenizer
from astrokeras.weights import class_weights

__all__ = [
    "DEFAULT_BUCKET_BOUNDARIES",
    "make_dataset",
    "make_paired_dataset",
    "dataset_from_light_curves",
    "class_weights",
    "padding_fraction",
]

DEFAULT_BUCKET_BOUNDARIES: tuple[int, ...] = (65, 97, 129, 161, 193, 225, 257)
"""Exclusive upper bounds on curve length; padded lengths are ``b - 1`` = 64, 96, ..., 256."""


def make_dataset(
    tokens: TokenizedLightCurves,
    labels: Mapping[str, np.ndarray] | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int | None = None,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
    pad_to_bucket_boundary: bool = True,
    max_length: int | None = None,
    sample_weight: np.ndarray | None = None,
    include_index: bool = False,
    drop_remainder: bool = False,
    repeat: bool = False,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of right-padded batches ``({"values", "mask"}, labels)``.

    Args:
        tokens: tokenized light curves (:meth:`astrokeras.tokens.Tokenizer.tokenize`).
        labels: per-object label arrays ``{name: array (n_objects, ...)}``, e.g.
            ``{"class": int codes, "domain": int codes, "redshift": floats}``; ``None`` for a
            predict-style dataset yielding only the inputs dict. int64 becomes int32 and float64
            becomes float32; strings are refused (encode them first, see
            :func:`dataset_from_light_curves`).
        batch_size: objects per batch.
        shuffle: shuffle the objects (and the batch order); a new order every epoch (every new
            iterator, as Keras makes one per epoch).
        seed: shuffle seed. The order of pass ``e`` is a function of ``(seed, e)`` only: the
            returned dataset's ``shuffle_epoch`` variable counts passes and can be set (Keras
            training in :mod:`astrokeras.training` sets it to the epoch, so resumed runs replay
            the same orders). With ``seed=None`` the base seed comes from NumPy's global RNG.
        bucket_boundaries: increasing exclusive upper bounds on the length: batches hold curves
            of one bucket only. ``None`` disables bucketing: every batch is padded to
            ``max_length`` (to its own longest curve with ``pad_to_bucket_boundary=False``).
        pad_to_bucket_boundary: pad a bucket's batches to ``boundary - 1`` (few distinct shapes;
            the longest curve must then be ``< bucket_boundaries[-1]``); if ``False``, pad each
            batch to its longest curve (longer curves than the last boundary go to an extra bucket).
        max_length: padded length without bucketing (default: the longest curve in ``tokens``).
            Only with ``bucket_boundaries=None``.
        sample_weight: per-object weights ``(n_objects,)``, e.g. ``class_weights(c, K)[c]``;
            elements become ``(inputs, labels, weights)``. Needs ``labels``.
        include_index: add ``"index"`` (int64 position of each object in ``tokens``) to the labels
            dict (with ``labels=None``, elements become ``(inputs, {"index": ...})``, which
            ``model.predict`` accepts): the way to put bucketed/shuffled predictions back in input
            order. Not for ``fit`` of a model whose outputs lack an ``"index"`` key.
        drop_remainder: drop the incomplete last batch of each bucket (static batch dimension).
        repeat: repeat forever (a new order each pass when shuffling); use with
            ``steps_per_epoch``. Otherwise the dataset has a known cardinality (Keras shows it).
        deterministic: keep element order independent of thread timing (``tf.data``'s
            ``deterministic`` option). ``False`` lets the parallel batch builder return batches
            out of order.

    Returns:
        The dataset. Without bucketing ``T`` is static; with bucketing it is one of
        ``boundary - 1``. Unshuffled, bucketed datasets yield objects grouped by bucket (stable
        within a bucket); without bucketing and shuffling, in input order.

    Raises:
        ValueError: empty ``tokens``, an object without tokens, a curve longer than the last
            bucket (or ``max_length``), labels of the wrong length (naming the key), bad options.

    Example:
        >>> import numpy as np
        >>> from astrokeras.tokens import TokenizedLightCurves
        >>> tok = TokenizedLightCurves(values=np.arange(12, dtype=np.float32).reshape(4, 3),
        ...                            offsets=np.array([0, 1, 4]), object_ids=np.array(["a", "b"]))
        >>> x = next(iter(make_dataset(tok, bucket_boundaries=None)))
        >>> x["values"].shape, x["mask"].numpy().tolist()
        (TensorShape([2, 3, 3]), [[True, False, False], [True, True, True]])
    """
    lengths, starts = _check_tokens(tokens)
    n = lengths.size
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    bucket_ids, pad_lengths = _assign_buckets(lengths, bucket_boundaries, pad_to_bucket_boundary,
                                              max_length)
    label_arrays = _check_labels(labels, n, include_index)
    if sample_weight is not None:
        if labels is None:
            raise ValueError("sample_weight needs labels (Keras reads a 2-tuple as (x, y))")
        sample_weight = np.asarray(sample_weight, dtype=np.float32)
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight has shape {sample_weight.shape}, expected ({n},)")
        if not (np.isfinite(sample_weight).all() and (sample_weight >= 0).all()):
            raise ValueError("sample_weight must be finite and >= 0")

    n_buckets = len(pad_lengths)
    counts = np.bincount(bucket_ids, minlength=n_buckets)
    per_bucket = counts // batch_size if drop_remainder else -(-counts // batch_size)
    n_batches = int(per_bucket.sum())
    if n_batches == 0:
        raise ValueError(f"drop_remainder=True with {n} objects and batch_size={batch_size} "
                         "leaves no complete batch")

    flat_t = tf.constant(tokens.values, dtype=tf.float32)
    starts_t = tf.constant(starts, dtype=tf.int64)
    lengths_t = tf.constant(lengths, dtype=tf.int64)
    bucket_t = tf.constant(bucket_ids, dtype=tf.int64)
    pad_t = tf.constant(pad_lengths, dtype=tf.int64)
    labels_t = {k: tf.constant(v) for k, v in label_arrays.items()}
    weight_t = None if sample_weight is None else tf.constant(sample_weight)
    n_features = tokens.values.shape[1]
    fixed = bucket_boundaries is None and pad_to_bucket_boundary
    fixed_t = int(pad_lengths[0]) if fixed else None
    static_b = batch_size if drop_remainder else None

    @tf.autograph.experimental.do_not_convert
    def plan(epoch):
        """One epoch: (n_batches, batch_size) object indices, -1 padded (no ragged ops: they
        make every new iterator, i.e. every Keras epoch, ~10x slower to start)."""
        idx = tf.range(n, dtype=tf.int64)
        if shuffle:
            idx = tf.random.experimental.stateless_shuffle(idx, seed=tf.stack([base_seed, 2 * epoch]))
        b = tf.gather(bucket_t, idx)
        order = tf.argsort(b, stable=True)
        idx, b = tf.gather(idx, order), tf.gather(b, order)
        counts_e = tf.math.bincount(tf.cast(b, tf.int32), minlength=n_buckets, dtype=tf.int64)
        pos = tf.range(n, dtype=tf.int64) - tf.gather(tf.cumsum(counts_e, exclusive=True), b)
        if drop_remainder:
            keep = pos < tf.gather((counts_e // batch_size) * batch_size, b)
            idx, b, pos = (tf.boolean_mask(a, keep) for a in (idx, b, pos))
            nb = counts_e // batch_size
        else:
            nb = (counts_e + batch_size - 1) // batch_size
        batch_id = tf.gather(tf.cumsum(nb, exclusive=True), b) + pos // batch_size
        total = tf.reduce_sum(nb)
        mat = tf.tensor_scatter_nd_update(
            tf.fill(tf.stack([total, batch_size]), tf.constant(-1, tf.int64)),
            tf.stack([batch_id, pos % batch_size], axis=1), idx)
        if shuffle:
            mat = tf.gather(mat, tf.random.experimental.stateless_shuffle(
                tf.range(total), seed=tf.stack([base_seed, 2 * epoch + 1])))
        return mat

    @tf.autograph.experimental.do_not_convert
    def assemble(row):
        idx = tf.boolean_mask(row, row >= 0)
        start = tf.gather(starts_t, idx)
        length = tf.gather(lengths_t, idx)
        if pad_to_bucket_boundary:
            T = tf.gather(pad_t, tf.gather(bucket_t, idx[0]))
        else:
            T = tf.reduce_max(length)
        t = tf.range(T, dtype=tf.int64)
        mask = t[None, :] < length[:, None]
        rows = tf.where(mask, start[:, None] + t[None, :], tf.zeros([], tf.int64))
        values = tf.where(mask[..., None], tf.gather(flat_t, rows), tf.zeros([], tf.float32))
        values = tf.ensure_shape(values, [static_b, fixed_t, n_features])
        mask = tf.ensure_shape(mask, [static_b, fixed_t])
        inputs = {"values": values, "mask": mask}
        if labels is None and not include_index:
            return inputs
        y = {k: tf.gather(v, idx) for k, v in labels_t.items()}
        if include_index:
            y["index"] = idx
        if weight_t is None:
            return inputs, y
        return inputs, y, tf.gather(weight_t, idx)

    epoch_counter = None
    base_seed = tf.constant(0, tf.int64)
    if shuffle:
        # The order of a pass depends only on (seed, epoch). Each new iterator (Keras makes one per
        # epoch) takes the counter's value and advances it; ``astrokeras.training`` sets the counter
        # to Keras' epoch before each epoch (``ShuffleEpoch``), so a resumed run replays the orders.
        base_seed = tf.constant(int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed), tf.int64)
        epoch_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="shuffle_epoch")
        seeds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).map(
            lambda _: epoch_counter.assign_add(1) - 1)
    else:
        seeds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
    ds = seeds.map(plan).unbatch()
    if repeat:
        ds = ds.repeat()
    ds = ds.map(assemble, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    ds = ds.apply(tf.data.experimental.assert_cardinality(
        tf.data.INFINITE_CARDINALITY if repeat else n_batches))
    options = tf.data.Options()
    options.deterministic = bool(deterministic)
    ds = ds.with_options(options).prefetch(tf.data.AUTOTUNE)
    ds.shuffle_epoch = epoch_counter  # None unless shuffled (see ``astrokeras.training.ShuffleEpoch``)
    return ds


def dataset_from_light_curves(
    light_curves: LightCurves,
    tokenizer: Tokenizer | None = None,
    label_columns: Mapping[str, str] | Sequence[str] | None = None,
    class_names: Mapping[str, Sequence[str]] | None = None,
    **dataset_kwargs,
) -> tf.data.Dataset:
    """Tokenize light curves and build :func:`make_dataset` with labels from their metadata.

    Args:
        light_curves: the light curves (validate them first on untrusted data).
        tokenizer: default ``Tokenizer()``.
        label_columns: ``{label_name: metadata_column}`` (e.g. ``{"class": "label",
            "domain": "survey", "redshift": "redshift"}``) or a list of columns (label name =
            column name). ``None``: a predict-style dataset.
        class_names: ``{label_name: [name_0, name_1, ...]}`` for string columns: each value
            becomes its position in the list (the same list on every dataset keeps codes stable).
        **dataset_kwargs: passed to :func:`make_dataset` (``batch_size``, ``shuffle``, ``seed``...).

    Returns:
        The dataset (objects in ``light_curves`` order before bucketing/shuffling).

    Raises:
        KeyError: a missing metadata column (the message lists the columns).
        ValueError: a missing value, a name not in ``class_names`` or a string column without a
            class list, naming the object.

    Example:
        >>> from astrokeras.photometry import LightCurves
        >>> lcs = LightCurves(["a", "b", "b"], [0.0, 0.0, 3.0], ["ztf::g"] * 3, [5.0, 1.0, 2.0],
        ...                   [1.0] * 3,
        ...                   metadata={"object_id": ["a", "b"], "label": ["SN Ia", "SN II"]})
        >>> ds = dataset_from_light_curves(lcs, label_columns={"class": "label"},
        ...                                class_names={"class": ["SN Ia", "SN II"]})
        >>> sorted(next(iter(ds))[1]["class"].numpy().tolist())
        [0, 1]
    """
    tokenizer = tokenizer if tokenizer is not None else Tokenizer()
    tokens = tokenizer.tokenize(light_curves)
    labels = None
    if label_columns is not None:
        if isinstance(label_columns, str):
            label_columns = [label_columns]
        mapping = dict(label_columns) if isinstance(label_columns, Mapping) else {
            c: c for c in label_columns}
        class_names = dict(class_names or {})
        unknown = set(class_names) - set(mapping)
        if unknown:
            raise ValueError(f"class_names given for {sorted(unknown)}, which are not label names "
                             f"({sorted(mapping)})")
        labels = {key: _encode_column(light_curves.labels(column), key, column,
                                      class_names.get(key), light_curves.object_ids)
                  for key, column in mapping.items()}
    return make_dataset(tokens, labels, **dataset_kwargs)


def padding_fraction(tokens: TokenizedLightCurves, dataset: tf.data.Dataset) -> float:
    """Padded cells / real cells over one pass of ``dataset`` (0 = no padding).

    Args:
        tokens: the tokens the dataset was built from (for the count of real cells).
        dataset: a finite dataset from :func:`make_dataset`.

    Returns:
        ``(sum of B*T over batches - n_tokens) / n_tokens``.
    """
    cells = 0
    for element in dataset:
        x = element[0] if isinstance(element, tuple) else element
        cells += int(x["mask"].shape[0]) * int(x["mask"].shape[1])
    real = int(tokens.lengths.sum())
    return (cells - real) / real


# ---------------------------------------------------------------------------- helpers
def _check_tokens(tokens: TokenizedLightCurves) -> tuple[np.ndarray, np.ndarray]:
    if not hasattr(tokens, "values") or not hasattr(tokens, "offsets"):
        raise TypeError(f"tokens must be TokenizedLightCurves (Tokenizer().tokenize(lcs)), got "
                        f"{type(tokens).__name__}")
    offsets = np.asarray(tokens.offsets, dtype=np.int64)
    values = np.asarray(tokens.values)
    if offsets.ndim != 1 or offsets.size < 2:
        raise ValueError("tokens is empty (no light curves): nothing to build a dataset from")
    if values.ndim != 2:
        raise ValueError(f"tokens.values must be 2-D (n_tokens, n_features), got shape "
                         f"{values.shape}")
    if offsets[0] != 0 or offsets[-1] != values.shape[0] or (np.diff(offsets) < 0).any():
        raise ValueError(f"tokens.offsets are inconsistent with {values.shape[0]} token rows")
    lengths = np.diff(offsets)
    if (lengths == 0).any():
        i = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(f"object {_object_name(tokens, i)} has no tokens "
                         f"({int((lengths == 0).sum())} such objects); remove empty curves first "
                         "(LightCurves.validate())")
    return lengths, offsets[:-1]


def _assign_buckets(lengths, boundaries, pad_to_bucket_boundary, max_length):
    longest = int(lengths.max())
    if boundaries is None:
        T = longest if max_length is None else int(max_length)
        if longest > T:
            raise ValueError(f"max_length={T} is shorter than the longest curve ({longest} "
                             "tokens); tokenize with Tokenizer(max_length=...) to cut long curves")
        return np.zeros(lengths.size, np.int64), np.array([T], np.int64)
    if max_length is not None:
        raise ValueError("max_length applies only without bucketing (bucket_boundaries=None); "
                         "with bucketing the last boundary sets the longest padded length")
    bounds = np.asarray(boundaries, dtype=np.int64)
    if bounds.ndim != 1 or bounds.size == 0 or bounds[0] < 2 or (np.diff(bounds) <= 0).any():
        raise ValueError(f"bucket_boundaries must be strictly increasing integers >= 2, got "
                         f"{tuple(boundaries)}")
    bucket_ids = np.searchsorted(bounds, lengths, side="right").astype(np.int64)
    if pad_to_bucket_boundary:
        if longest >= bounds[-1]:
            raise ValueError(f"a curve has {longest} tokens but the last bucket boundary "
                             f"{int(bounds[-1])} holds at most {int(bounds[-1]) - 1}: raise the "
                             "last boundary or tokenize with a smaller Tokenizer(max_length=...)")
        return bucket_ids, bounds - 1
    # one extra (overflow) bucket; its padded length is the batch maximum
    return bucket_ids, np.r_[bounds - 1, longest].astype(np.int64)


def _check_labels(labels, n, include_index) -> dict[str, np.ndarray]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a dict {{name: per-object array}}, got "
                        f"{type(labels).__name__}; e.g. labels={{'class': codes}}")
    if include_index and "index" in labels:
        raise ValueError("labels already has a key 'index'; it is reserved by include_index=True")
    out = {}
    for key, value in labels.items():
        arr = np.asarray(value)
        if arr.ndim == 0 or arr.shape[0] != n:
            raise ValueError(f"label {key!r} has shape {arr.shape}, expected {n} values "
                             "(one per object, in tokens order)")
        if arr.dtype.kind in "OUS":
            raise ValueError(f"label {key!r} holds strings/objects (dtype {arr.dtype}); encode "
                             "them as integer codes (dataset_from_light_curves(class_names=...) "
                             "does this)")
        if arr.dtype == np.int64 or arr.dtype == np.uint64 or arr.dtype == np.uint32:
            arr = arr.astype(np.int32)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        out[str(key)] = arr
    return out


def _encode_column(raw: np.ndarray, key: str, column: str, names, object_ids) -> np.ndarray:
    raw = np.asarray(raw)
    missing = pd.isna(raw) if raw.dtype.kind in "fOUS" else np.zeros(raw.shape, bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"label {key!r} (metadata column {column!r}): object {object_ids[i]!r} "
                         f"has no value ({int(missing.sum())} objects); drop them with "
                         "LightCurves.subset(...) first")
    if names is not None:
        code = {name: c for c, name in enumerate(names)}
        if len(code) != len(names):
            raise ValueError(f"class_names[{key!r}] has duplicates")
        out = np.array([code.get(v, -1) for v in raw.tolist()], dtype=np.int32)
        if (out < 0).any():
            i = int(np.flatnonzero(out < 0)[0])
            raise ValueError(f"label {key!r}: object {object_ids[i]!r} has {raw[i]!r}, not in "
                             f"class_names[{key!r}] = {list(names)} "
                             f"({int((out < 0).sum())} objects)")
        return out
    if raw.dtype.kind in "biuf":
        return raw
    try:
        return raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"label {key!r} (metadata column {column!r}) holds strings such as "
                         f"{raw[0]!r}; pass class_names={{{key!r}: [...]}} to map them to "
                         "integer codes") from None


def _object_name(tokens, i: int) -> str:
    ids = getattr(tokens, "object_ids", None)
    if ids is not None and len(ids) > i:
        return repr(ids[i])
    return f"at position {i}"


# ------------------------------------------------------------------------- paired views
class _EpochCounter:
    """The ``shuffle_epoch`` of a paired dataset: a plain integer with the two methods that
    :class:`astrokeras.training.ShuffleEpoch` and the generator use."""

    def __init__(self):
        self.value = 0

    def assign(self, value) -> None:
        self.value = int(value)

    def next(self) -> int:
        self.value += 1
        return self.value - 1


def make_paired_dataset(
    tokens: TokenizedLightCurves,
    object_codes: np.ndarray,
    labels: Mapping[str, np.ndarray] | None = None,
    *,
    objects_per_batch: int = 64,
    views_per_object: int = 2,
    shuffle: bool = False,
    seed: int = 0,
    sort_chunk: int = 16,
    bucket_boundaries: Sequence[int] = DEFAULT_BUCKET_BOUNDARIES,
) -> tf.data.Dataset:
    """Batches holding ``views_per_object`` views of each of ``objects_per_batch`` objects.

    The input of view-invariance training (:class:`~astrokeras.models.InvariantClassifier`): the
    curves of ``tokens`` are views (surveys, band subsets, thinned cadences) of objects identified
    by ``object_codes``; every batch holds, for each of its objects, ``views_per_object`` of that
    object's views (all of them when it has fewer; objects with a single view are left out). The
    labels gain ``"object"``: the object code of each curve, which the model's view losses pair on.

    Each pass draws the objects' order and which views represent them from ``(seed, epoch)`` only
    (``shuffle=False``: the draw of epoch 0, every pass), so :class:`~astrokeras.training.ShuffleEpoch`
    makes resumed runs replay the same batches. To limit padding, the shuffled objects are cut
    into chunks of ``sort_chunk`` batches, sorted by their longest view within a chunk, and the
    batch order is shuffled again; each batch is padded to the next ``bucket_boundaries - 1``
    length (few shapes, as :func:`make_dataset`).

    Args:
        tokens: tokens of all views (e.g. of :func:`astrokeras.paired.stack_views`).
        object_codes: ``(n_curves,)`` integer object code of each curve.
        labels: per-curve label arrays (``{"class": codes, "survey": codes}``); must not hold ``"object"``.
        objects_per_batch: objects per batch (a batch holds up to ``objects_per_batch * views_per_object`` curves).
        views_per_object: views drawn per object per pass (>= 2).
        shuffle: draw a new order and new views every pass.
        seed: seed of the draws.
        sort_chunk: batches per length-sorted chunk (1: no sorting).
        bucket_boundaries: exclusive upper bounds of the padded lengths (curves longer than the
            last boundary are padded to the batch's longest curve).

    Returns:
        A ``tf.data.Dataset`` of ``({"values", "mask"}, labels)`` with a known cardinality and a
        ``shuffle_epoch`` attribute.

    Raises:
        ValueError: codes or labels of the wrong length, fewer than 2 views per object requested,
            no object with two views.

    Example:
        >>> import numpy as np
        >>> from astrokeras.tokens import TokenizedLightCurves
        >>> tok = TokenizedLightCurves(values=np.ones((8, 3), np.float32), offsets=np.arange(0, 9, 2),
        ...                            object_ids=np.array(["a|ztf", "a|lsst", "b|ztf", "b|lsst"]))
        >>> ds = make_paired_dataset(tok, np.array([0, 0, 1, 1]), {"class": np.array([1, 1, 0, 0])})
        >>> x, y = next(iter(ds))
        >>> y["object"].numpy().tolist(), x["values"].shape
        ([0, 0, 1, 1], TensorShape([4, 64, 3]))
    """
    lengths, starts = _check_tokens(tokens)
    n = lengths.size
    codes = np.asarray(object_codes).reshape(-1)
    if codes.shape[0] != n or codes.dtype.kind not in "iu":
        raise ValueError(f"object_codes must be {n} integers (one per curve), got {codes.shape} {codes.dtype}")
    label_arrays = _check_labels(labels, n, include_index=False)
    if "object" in label_arrays:
        raise ValueError("labels already has a key 'object'; it is set from object_codes")
    label_arrays["object"] = codes.astype(np.int32)
    if int(views_per_object) < 2 or int(objects_per_batch) < 1 or int(sort_chunk) < 1:
        raise ValueError(f"need views_per_object >= 2, objects_per_batch >= 1 and sort_chunk >= 1, got "
                         f"{views_per_object}, {objects_per_batch}, {sort_chunk}")
    k, per_batch = int(views_per_object), int(objects_per_batch)
    order = np.argsort(codes, kind="stable")
    unique, first, counts = np.unique(codes[order], return_index=True, return_counts=True)
    groups = [order[f:f + c] for f, c in zip(first, counts) if c >= 2]
    if not groups:
        raise ValueError("make_paired_dataset: no object has two views (check object_codes)")
    n_batches = -(-len(groups) // per_batch)
    bounds = np.asarray(bucket_boundaries, dtype=np.int64) - 1
    values_all = np.asarray(tokens.values, np.float32)
    n_features = values_all.shape[1]
    counter = _EpochCounter()

    def plan(epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([int(seed), int(epoch)])
        picks = [g if len(g) <= k else rng.choice(g, size=k, replace=False)
                 for g in (groups[i] for i in rng.permutation(len(groups)))]
        longest = np.array([lengths[p].max() for p in picks])
        batches = []
        for c0 in range(0, len(picks), per_batch * int(sort_chunk)):
            chunk = np.arange(c0, min(c0 + per_batch * int(sort_chunk), len(picks)))
            chunk = chunk[np.argsort(longest[chunk], kind="stable")]
            batches += [np.concatenate([picks[i] for i in chunk[b:b + per_batch]])
                        for b in range(0, len(chunk), per_batch)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def generate():
        epoch = counter.next() if shuffle else 0
        for rows in plan(epoch):
            length = lengths[rows]
            longest = int(length.max())
            fits = bounds[bounds >= longest]
            T = int(fits[0]) if fits.size else longest
            t = np.arange(T)
            mask = t[None, :] < length[:, None]
            gather = np.where(mask, starts[rows][:, None] + t[None, :], 0)
            values = np.where(mask[..., None], values_all[gather], np.float32(0.0))
            yield {"values": values, "mask": mask}, {key: v[rows] for key, v in label_arrays.items()}

    signature = ({"values": tf.TensorSpec((None, None, n_features), tf.float32),
                  "mask": tf.TensorSpec((None, None), tf.bool)},
                 {key: tf.TensorSpec((None,) + v.shape[1:], tf.as_dtype(v.dtype)) for key, v in label_arrays.items()})
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)
    ds.shuffle_epoch = counter
    return ds
