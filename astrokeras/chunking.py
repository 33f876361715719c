"""Photometry too big for memory -> a stream of :class:`LightCurves` chunks, no object split.

:func:`iter_light_curve_chunks` reads any of

* a :class:`LightCurves` set or a pandas DataFrame (one chunk per ``chunk_size`` objects),
* an iterable of :class:`LightCurves` and/or DataFrames (e.g. ``pd.read_csv(..., chunksize=)``),
* a Parquet file, a folder of Parquet files or a list of them (read ``rows_per_read`` rows at a
  time with ``pyarrow``'s ``iter_batches``; ``*.meta.parquet`` companions are skipped),
* a simulation folder written by ``python -m astrofm simulate`` (its ``manifest.json`` is
  checked: missing/truncated shards are a :class:`~astrokeras.simulation.shards.SimulationFolderError`),
* a CSV file (``.csv``/``.csv.gz``, read in chunks; object ids kept as text),

and yields chunks of about ``chunk_size`` whole objects. Tables go through
:meth:`LightCurves.from_table` (column aliases, magnitudes -> flux) chunk by chunk.

**Grouping.** An object must never be split across two chunks, or it would be embedded twice
from partial curves. Two modes:

* ``grouped=True`` (default): the rows of each object are contiguous in the input (any order of
  objects; times need not be sorted). The reader holds back the object at the end of each read
  until the next read shows a new id, so files can be read in any row-batch size. An object seen
  again after its chunk was emitted raises :class:`UngroupedInputError` (ids are remembered as
  sorted 64-bit hashes, 8 bytes per object) instead of giving it two latents.
* ``grouped=False``: rows in any order. A first pass hash-partitions the rows on ``object_id``
  into ``n_partitions`` temporary Parquet files (in ``tmp_dir``, removed afterwards); each
  partition is then read whole. Output order is then partition by partition (objects in order of
  first appearance within a partition), not the input order: join on ``object_id``.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"id": ["a", "a", "b", "c", "c"], "mjd": [1.0, 2.0, 1.0, 1.0, 3.0],
    ...                       "band": ["ztfg"] * 5, "flux": [5.0, 6.0, 7.0, 8.0, 9.0],
    ...                       "flux_err": [1.0] * 5})
    >>> [c.object_ids.tolist() for c in iter_light_curve_chunks(table, chunk_size=2)]
    [['a', 'b'], ['c']]
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurveError, LightCurves, canonical_columns

__all__ = ["UngroupedInputError", "iter_light_curve_chunks", "count_rows"]


class UngroupedInputError(LightCurveError):
    """An object's rows are not contiguous in a stream read with ``grouped=True``."""


# ------------------------------------------------------------------------------ raw sources
def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


def _parquet_files(path: str) -> list[str]:
    if os.path.isdir(path):
        files = sorted(f for f in glob.glob(os.path.join(path, "*.parquet")) if not f.endswith(".meta.parquet"))
        if not files:
            raise LightCurveError(f"{path}: folder holds no .parquet file")
        return files
    return [path]


def count_rows(source) -> int | None:
    """Observation rows in a file source (Parquet metadata; ``None`` when unknown without reading)."""
    import pyarrow.parquet as pq

    if isinstance(source, (list, tuple)) and source and all(_is_path(s) for s in source):
        counts = [count_rows(s) for s in source]
        return None if any(c is None for c in counts) else int(sum(counts))
    if isinstance(source, LightCurves):
        return source.n_observations
    if isinstance(source, pd.DataFrame):
        return len(source)
    if not _is_path(source):
        return None
    path = os.fspath(source)
    if os.path.isdir(path) and os.path.exists(os.path.join(path, "manifest.json")):
        from astrokeras.simulation.shards import read_manifest

        return int(sum(e.get("n_observations", 0) for e in read_manifest(path)["shards"]))
    if path.endswith(".parquet") or os.path.isdir(path):
        return int(sum(pq.ParquetFile(f).metadata.num_rows for f in _parquet_files(path)))
    return None


def _read_parquet_batches(path: str, rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    for file in _parquet_files(path):
        try:
            pf = pq.ParquetFile(file)
        except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a bad file
            raise LightCurveError(f"{file}: not a readable Parquet file ({type(err).__name__}: {err})") from None
        for batch in pf.iter_batches(batch_size=rows):
            yield batch.to_pandas()


def _read_csv_batches(path: str, rows: int, aliases, read_csv_kwargs) -> Iterator[pd.DataFrame]:
    header = pd.read_csv(path, nrows=0, **read_csv_kwargs).columns
    id_cols = [c for c, canon in canonical_columns(header, aliases).items() if canon == "object_id"]
    dtype = {c: str for c in id_cols}  # ids exactly as written ("00101"); numbers parsed by pandas
    yield from pd.read_csv(path, chunksize=rows, dtype=dtype, **read_csv_kwargs)


def _simulation_shards(folder: str, verify: bool) -> Iterator[LightCurves]:
    from astrokeras.presets import sha256_file
    from astrokeras.simulation.shards import MANIFEST, SimulationFolderError, read_manifest

    for entry in read_manifest(folder)["shards"]:
        path = os.path.join(folder, os.path.basename(str(entry.get("path", ""))))
        for name, info in (entry.get("files") or {}).items():
            file_path = os.path.join(folder, os.path.basename(name))
            if not os.path.exists(file_path):
                raise SimulationFolderError(f"{file_path}: listed in {MANIFEST} but missing; rerun the simulation")
            if "bytes" in info and os.path.getsize(file_path) != info["bytes"]:
                raise SimulationFolderError(f"{file_path} has {os.path.getsize(file_path)} bytes but {MANIFEST} "
                                            f"records {info['bytes']}: truncated or replaced")
            if verify and "sha256" in info and sha256_file(file_path) != info["sha256"]:
                raise SimulationFolderError(f"{file_path} does not match the sha256 in {MANIFEST}")
        yield LightCurves.read_parquet(path)


def _raw_items(source, rows: int, aliases, verify: bool, read_csv_kwargs) -> Iterator:
    """Items that are LightCurves (whole objects) or DataFrames (rows, maybe split objects)."""
    if isinstance(source, (LightCurves, pd.DataFrame)):
        yield source
        return
    if _is_path(source):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise LightCurveError(f"{path}: no such file or folder")
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "manifest.json")):
            yield from _simulation_shards(path, verify)
        elif path.endswith(".parquet") or os.path.isdir(path):
            yield from _read_parquet_batches(path, rows)
        elif path.endswith((".csv", ".csv.gz")):
            yield from _read_csv_batches(path, rows, aliases, read_csv_kwargs)
        else:
            raise LightCurveError(f"{path}: reads .parquet, .csv, .csv.gz files, folders of Parquet files or "
                                  "simulation folders (manifest.json)")
        return
    if isinstance(source, Iterable) and not isinstance(source, (bytes, Mapping)):
        for item in source:
            if _is_path(item):
                yield from _raw_items(item, rows, aliases, verify, read_csv_kwargs)
            elif isinstance(item, (LightCurves, pd.DataFrame)):
                yield item
            else:
                raise LightCurveError(f"chunk of type {type(item).__name__}: expected LightCurves, a pandas "
                                      "DataFrame or a file path")
        return
    raise LightCurveError(f"cannot read light curves from a {type(source).__name__}; pass LightCurves, a "
                          "DataFrame, an iterable of them, or a .parquet/.csv path or simulation folder")


# ---------------------------------------------------------------------------- grouping
def _id_column(frame: pd.DataFrame, aliases) -> str:
    for col, canon in canonical_columns(frame.columns, aliases).items():
        if canon == "object_id":
            return col
    raise LightCurveError(f"the table has no object id column; columns are {list(frame.columns)}; pass "
                          "aliases={'your_column': 'object_id'}")


def _hashes(ids) -> np.ndarray:
    return pd.util.hash_array(np.asarray(pd.Series(ids).astype(str), dtype=object))


class _Grouper:
    """Turns raw items into LightCurves chunks of ~chunk_size whole objects (grouped input)."""

    def __init__(self, chunk_size: int, aliases, survey, check_grouping: bool):
        self.chunk_size = chunk_size
        self.aliases, self.survey = aliases, survey
        self.check = check_grouping
        self.seen = np.zeros(0, np.uint64)  # sorted hashes of the ids already emitted: 8 bytes per object
        self.parts: list[LightCurves] = []
        self.n_pending = 0
        self.tail: pd.DataFrame | None = None

    def _table(self, frame: pd.DataFrame) -> LightCurves:
        return LightCurves.from_table(frame, aliases=self.aliases, survey=self.survey)

    def _add(self, lcs: LightCurves) -> Iterator[LightCurves]:
        if not len(lcs):
            return
        if self.check:
            h = np.sort(_hashes(lcs.object_ids))
            pos = np.minimum(np.searchsorted(self.seen, h), max(len(self.seen) - 1, 0))
            if len(self.seen) and (self.seen[pos] == h).any():
                again = lcs.object_ids[np.isin(_hashes(lcs.object_ids), self.seen)][0]
                raise UngroupedInputError(
                    f"object {again!r} appears again after its rows were read (its light curve is not contiguous "
                    "in the input); sort the input by object id, or pass grouped=False (--unsorted) to "
                    "hash-partition it first")
            merged = np.concatenate([self.seen, h])
            merged.sort(kind="mergesort")  # two sorted runs: linear
            self.seen = merged
        self.parts.append(lcs)
        self.n_pending += len(lcs)
        while self.n_pending >= self.chunk_size:
            yield self._emit(self.chunk_size)

    def _emit(self, n: int) -> LightCurves:
        whole = self.parts[0] if len(self.parts) == 1 else LightCurves.concat(self.parts)
        out = whole if n >= len(whole) else whole.subset(np.arange(n))
        rest = None if n >= len(whole) else whole.subset(np.arange(n, len(whole)))
        self.parts = [rest] if rest is not None else []
        self.n_pending = len(rest) if rest is not None else 0
        return out

    def feed(self, item) -> Iterator[LightCurves]:
        if isinstance(item, LightCurves):
            yield from self.flush_tail()
            yield from self._add(item)
            return
        frame = item if self.tail is None else pd.concat([self.tail, item], ignore_index=True)
        self.tail = None
        if not len(frame):
            return
        ids = frame[_id_column(frame, self.aliases)].to_numpy()
        last = ids[-1]
        tail_start = len(ids)
        while tail_start > 0 and ids[tail_start - 1] == last:
            tail_start -= 1
        self.tail = frame.iloc[tail_start:]
        if tail_start:
            yield from self._add(self._table(frame.iloc[:tail_start]))

    def flush_tail(self) -> Iterator[LightCurves]:
        if self.tail is not None and len(self.tail):
            tail, self.tail = self.tail, None
            yield from self._add(self._table(tail))

    def close(self) -> Iterator[LightCurves]:
        yield from self.flush_tail()
        while self.n_pending:
            yield self._emit(self.chunk_size)


def _partitioned(items: Iterator, n_partitions: int, tmp_dir: str | None, aliases) -> Iterator[pd.DataFrame]:
    """Hash-partition rows on object id into temporary Parquet files; yield each partition whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tempfile.mkdtemp(prefix="astrokeras-partitions-", dir=tmp_dir)
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for item in items:
            frame = item.photometry if isinstance(item, LightCurves) else item
            if not len(frame):
                continue
            part = (_hashes(frame[_id_column(frame, aliases)]) % np.uint64(n_partitions)).astype(np.int64)
            order = np.argsort(part, kind="stable")
            table = pa.Table.from_pandas(frame, preserve_index=False).take(pa.array(order))
            counts = np.bincount(part, minlength=n_partitions)
            bounds = np.r_[0, np.cumsum(counts)]
            for p in np.flatnonzero(counts):
                sub = table.slice(int(bounds[p]), int(counts[p]))
                if int(p) not in writers:
                    writers[int(p)] = pq.ParquetWriter(os.path.join(folder, f"part-{int(p):05d}.parquet"), sub.schema)
                try:
                    writers[int(p)].write_table(sub)
                except ValueError as err:  # a later read gave another column type
                    raise LightCurveError(f"the input's column types change between reads ({err}); "
                                          "give the columns one type") from None
        for w in writers.values():
            w.close()
        writers = {}
        for p in sorted(int(f[-13:-8]) for f in os.listdir(folder)):
            yield pd.read_parquet(os.path.join(folder, f"part-{p:05d}.parquet"))
    finally:
        for w in writers.values():
            w.close()
        shutil.rmtree(folder, ignore_errors=True)


def iter_light_curve_chunks(source, chunk_size: int = 20_000, *, grouped: bool = True,
                            rows_per_read: int = 250_000, aliases: Mapping[str, str] | None = None,
                            survey: str | None = None, n_partitions: int = 64, tmp_dir: str | None = None,
                            verify: bool = False, read_csv_kwargs: Mapping | None = None
                            ) -> Iterator[LightCurves]:
    """Chunks of whole light curves from a source too large for memory (see the module docstring).

    Args:
        source: LightCurves, DataFrame, an iterable of them, a ``.parquet``/``.csv``/``.csv.gz`` file,
            a folder of Parquet files, a simulation folder, or a list of paths.
        chunk_size: objects per chunk (the last one may be smaller).
        grouped: the rows of each object are contiguous in the input (see module docstring);
            ``False`` hash-partitions the rows first (any order; output partition by partition).
        rows_per_read: rows per Parquet/CSV read.
        aliases: extra column aliases ``{your_name: canonical_name}``.
        survey: survey of bare band names such as ``"g"``.
        n_partitions: temporary partitions for ``grouped=False`` (each is read whole: choose it so
            that a partition fits in memory, ~``n_rows / n_partitions`` rows).
        tmp_dir: where ``grouped=False`` writes its partitions (default: the system temp folder).
        verify: check the sha256 of each shard of a simulation folder (sizes are always checked).
        read_csv_kwargs: passed to ``pandas.read_csv`` (e.g. ``{"sep": ";"}``).

    Yields:
        :class:`LightCurves` chunks (not validated; run :meth:`LightCurves.validate` on each).

    Raises:
        UngroupedInputError: ``grouped=True`` and an object's rows are not contiguous.
        LightCurveError: an unreadable source or table (naming the file or column).
    """
    if int(chunk_size) < 1 or int(rows_per_read) < 1 or int(n_partitions) < 1:
        raise ValueError(f"chunk_size, rows_per_read and n_partitions must be >= 1, got {chunk_size}, "
                         f"{rows_per_read}, {n_partitions}")
    items = _raw_items(source, int(rows_per_read), aliases, verify, dict(read_csv_kwargs or {}))
    if not grouped:
        items = _partitioned(items, int(n_partitions), tmp_dir, aliases)
    grouper = _Grouper(int(chunk_size), aliases, survey, check_grouping=grouped)
    for item in items:
        if not grouped:  # one partition holds every row of its objects
            yield from grouper._add(grouper._table(item))
        else:
            yield from grouper.feed(item)
    yield from grouper.close()
