"""Score a Dask DataFrame of photometry (or an LSDB/HATS catalog) partition by partition.

:func:`score_dask` maps :func:`astrokeras.scoring.score_table` over the partitions: each task
turns its rows into light curves, validates and tokenizes them, and runs the encoder (+ head).
The encoder is named by a released-encoder name or a ``.keras`` path, never passed as an object:
every worker process loads it once, on its first task, and keeps it
(:func:`astrokeras.scoring.cached_scoring_model`), so nothing heavy travels with the tasks.

**Partitioned by object.** Every row of an object must be in one partition, or the object is
scored twice from partial curves (its id then appears twice in the result). Data written per
object (a simulation folder, HATS catalogs where an object's rows share its position) already
are; otherwise call :func:`partition_by_object` first (a Dask shuffle on the id column).

LSDB (the LINCC Frameworks reader of HATS catalogs of ZTF, PS1, ...): an ``lsdb.Catalog`` is
partitioned by sky position (HEALPix pixels), so a flat photometry catalog whose rows carry their
object's ``ra``/``dec`` keeps each object in one partition, and ``score_dask(catalog, ...)`` maps
the same function over its partitions (``Catalog.map_partitions``) and returns a Dask DataFrame.

Example:
    >>> import dask.dataframe as dd                                                   # doctest: +SKIP
    >>> from distributed import Client, LocalCluster                                   # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))              # doctest: +SKIP
    >>> photometry = dd.read_parquet("photometry/")        # partitioned by object     # doctest: +SKIP
    >>> latents = score_dask(photometry, "contrastive_ztf_lsst").compute()            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurveError, canonical_columns
from astrokeras.scoring import _output_frame, cached_scoring_model, score_table

__all__ = ["output_meta", "partition_by_object", "score_dask"]


def output_meta(encoder: str, head: str | None = None, class_names: Sequence[str] | None = None,
                tokenizer: Mapping | None = None) -> pd.DataFrame:
    """An empty frame with the output columns and dtypes (Dask's ``meta``)."""
    model, _, _, loaded_head = cached_scoring_model(encoder, tokenizer, head, class_names)
    head_model, names = loaded_head if loaded_head is not None else (None, None)
    width = int(model.output_shape[-1])
    return _output_frame(np.zeros(0, object), np.zeros((0, width), np.float32), head_model, names)


def _id_column(columns, aliases) -> str:
    for col, canon in canonical_columns(columns, aliases).items():
        if canon == "object_id":
            return col
    raise LightCurveError(f"the table has no object id column; columns are {list(columns)}")


def partition_by_object(ddf, npartitions: int | None = None, aliases: Mapping[str, str] | None = None):
    """Shuffle a Dask DataFrame so that every object's rows are in one partition."""
    return ddf.shuffle(on=_id_column(ddf.columns, aliases), npartitions=npartitions)


def _score_partition(frame: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    return score_table(pd.DataFrame(frame), *args, **kwargs)


def score_dask(data, encoder: str, *, head: str | None = None, class_names: Sequence[str] | None = None,
               tokenizer: Mapping | None = None, aliases: Mapping[str, str] | None = None,
               survey: str | None = None, validate: bool = True, batch_size: int | None = None,
               engine: str = "keras"):
    """Latents (+ class probabilities) of every object of a Dask DataFrame or LSDB catalog.

    Args:
        data: ``dask.dataframe.DataFrame`` of photometry (any column aliases), partitioned by object;
            or an ``lsdb.Catalog`` of such rows.
        encoder: released encoder name or ``.keras`` path (loaded once per worker).
        head: optional head over latents (``.keras`` path), see :func:`astrokeras.scoring.load_head`.
        class_names, tokenizer, aliases, survey, validate, batch_size, engine: see
            :func:`astrokeras.scoring.score_table`.

    Returns:
        A lazy Dask DataFrame: ``object_id``, ``z_*`` and the head's columns; one row per object,
        partition by partition (call ``.compute()`` or ``.to_parquet(...)``).

    Raises:
        TypeError: ``encoder`` is a model object (pass its name or file).
    """
    if not isinstance(encoder, str) or (head is not None and not isinstance(head, str)):
        raise TypeError("score_dask loads the encoder (and head) once per worker: pass a released encoder name "
                        "or a .keras path, not a model object (save it with model.save('encoder.keras'))")
    meta = output_meta(encoder, head, class_names, tokenizer)
    kwargs = dict(encoder=encoder, head=head, class_names=class_names, tokenizer=tokenizer, aliases=aliases,
                  survey=survey, validate=validate, batch_size=batch_size, engine=engine)
    if type(data).__module__.startswith("lsdb"):
        scored = data.map_partitions(_score_partition, meta=meta, **kwargs)
        return scored._ddf if hasattr(scored, "_ddf") else scored
    return data.map_partitions(_score_partition, meta=meta, **kwargs)
