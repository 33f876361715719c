"""Spark, the way Fink runs science modules: a ``pandas_udf`` over per-object array columns.

A broker's alert table has one row per object (or alert) and the light curve as array columns,
e.g. Fink's ``cjd``, ``cfid``, ``cmagpsf``, ``csigmapsf``. :func:`make_pandas_udf` returns a
``pyspark.sql.functions.pandas_udf`` taking four array columns - time (MJD, or JD with
``time="jd"``), band (names such as ``"ztf::g"``/``"g"`` with ``survey=``, or ZTF ``fid`` codes
1/2/3), flux and flux error (FLUXCAL; or magnitudes with ``magnitudes=True``) - and returning a
struct per row:

* ``latent``: ``array<float>`` (the encoder's latent);
* ``probabilities``: ``array<float>`` in the order of the head's class names, and
  ``predicted_class``: ``string`` (only with a head).

Rows whose light curve has no valid point (after :meth:`LightCurves.validate`, which drops NaN
magnitudes such as Fink's upper limits) get nulls. The encoder and head are named by
name/path and loaded once per Python worker (:func:`astrokeras.scoring.cached_scoring_model`);
Spark's ``spark.python.worker.reuse`` (default true) keeps that worker between batches.
:func:`score_arrays` is the same computation on pandas Series, without Spark.

Example:
    >>> from astrokeras.spark import make_pandas_udf                                    # doctest: +SKIP
    >>> classify = make_pandas_udf("contrastive_ztf_lsst", head="head.keras", magnitudes=True,
    ...                            time="jd")                                            # doctest: +SKIP
    >>> df = df.withColumn("astrokeras", classify("cjd", "cfid", "cmagpsf", "csigmapsf"))  # doctest: +SKIP
    >>> df.select("objectId", "astrokeras.predicted_class", "astrokeras.probabilities")    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import ZTF_FID, LightCurves, mag_to_flux

__all__ = ["make_pandas_udf", "return_schema", "score_arrays"]

_JD_MJD = 2400000.5


def _bands(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iuf":
        codes = values.astype(float)
        ok = np.isin(codes, list(ZTF_FID))
        if not ok.all():
            raise ValueError(f"band codes {sorted(set(codes[~ok].tolist()))[:5]} are not ZTF fid codes (1 = g, "
                             "2 = r, 3 = i); pass band names instead")
        return np.array([ZTF_FID[int(c)] for c in codes], dtype=object)
    return values.astype(object)


def score_arrays(time: pd.Series, band: pd.Series, flux: pd.Series, flux_err: pd.Series, *, encoder: str,
                 head: str | None = None, class_names: Sequence[str] | None = None,
                 tokenizer: Mapping | None = None, survey: str | None = None, magnitudes: bool = False,
                 time_format: str = "mjd", batch_size: int = 1024) -> pd.DataFrame:
    """Per-row outputs for light curves given as array columns (see the module docstring).

    Returns:
        A DataFrame aligned with the input rows: ``latent`` (and ``probabilities``,
        ``predicted_class`` with a head); ``None`` where a row has no valid point.
    """
    from astrokeras.scoring import score_table

    if time_format not in ("mjd", "jd"):
        raise ValueError(f"time must be 'mjd' or 'jd', got {time_format!r}")
    n = len(time)
    arrays = [[np.asarray(v if v is not None else [], dtype=dt) for v in col]
              for col, dt in ((time, float), (flux, float), (flux_err, float))]
    bands = [np.asarray(v if v is not None else []) for v in band]
    lengths = np.array([len(t) for t in arrays[0]], dtype=np.int64)
    for name, col in (("band", bands), ("flux", arrays[1]), ("flux_err", arrays[2])):
        other = np.array([len(v) for v in col], dtype=np.int64)
        if (other != lengths).any():
            i = int(np.flatnonzero(other != lengths)[0])
            raise ValueError(f"row {i}: {name} has {other[i]} values but time has {lengths[i]}")
    columns = ["latent"] + (["probabilities", "predicted_class"] if head is not None else [])
    result = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in columns})
    if not lengths.sum():
        return result
    t, f, e = (np.concatenate(col) for col in arrays)
    if time_format == "jd":
        t = t - _JD_MJD
    if magnitudes:
        with np.errstate(over="ignore", invalid="ignore"):
            f, e = mag_to_flux(f, e)
    b = _bands(np.concatenate(bands))
    ids = np.repeat(np.arange(n).astype(str).astype(object), lengths)
    lcs = LightCurves(ids, t, b, f, e, survey=survey)
    scored = score_table(lcs, encoder, head=head, class_names=class_names, tokenizer=tokenizer,
                         batch_size=batch_size)
    rows = scored["object_id"].astype(int).to_numpy()
    z = scored[[c for c in scored.columns if c.startswith("z_")]].to_numpy(np.float32)
    result.loc[rows, "latent"] = pd.Series(list(z), index=rows, dtype=object)
    if head is not None:
        names = [c for c in scored.columns if not c.startswith("z_") and c not in ("object_id", "predicted_class")]
        p = scored[names].to_numpy(np.float32)
        result.loc[rows, "probabilities"] = pd.Series(list(p), index=rows, dtype=object)
        result.loc[rows, "predicted_class"] = scored["predicted_class"].to_numpy(dtype=object)
    return result


def return_schema(with_head: bool):
    """The UDF's Spark return type: ``struct<latent: array<float>[, probabilities, predicted_class]>``."""
    from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType

    fields = [StructField("latent", ArrayType(FloatType()), True)]
    if with_head:
        fields += [StructField("probabilities", ArrayType(FloatType()), True),
                   StructField("predicted_class", StringType(), True)]
    return StructType(fields)


def make_pandas_udf(encoder: str, *, head: str | None = None, class_names: Sequence[str] | None = None,
                    tokenizer: Mapping | None = None, survey: str | None = None, magnitudes: bool = False,
                    time: str = "mjd", batch_size: int = 1024):
    """A ``pandas_udf(time, band, flux, flux_err) -> struct`` scoring one light curve per row.

    Args:
        encoder: released encoder name or ``.keras`` path (loaded once per Python worker).
        head: optional head over latents (``.keras``); its class names from ``class_names`` or
            ``HEAD.json`` (see :func:`astrokeras.scoring.load_head`).
        class_names, tokenizer: see :func:`astrokeras.scoring.score_table`.
        survey: survey of bare band names (``"g"``); not needed for ZTF ``fid`` codes.
        magnitudes: flux columns hold AB magnitudes and their errors (converted to FLUXCAL;
            NaN/null magnitudes are dropped).
        time: ``"mjd"`` or ``"jd"`` (ZTF/Fink ``jd``, converted to MJD).
        batch_size: objects per model call.

    Returns:
        The UDF; its class names are in ``udf.class_names`` when a head is given.
    """
    from pyspark.sql.functions import pandas_udf

    if not isinstance(encoder, str) or (head is not None and not isinstance(head, str)):
        raise TypeError("make_pandas_udf loads the encoder (and head) in each Spark worker: pass a released "
                        "encoder name or a .keras path, not a model object")
    if time not in ("mjd", "jd"):
        raise ValueError(f"time must be 'mjd' or 'jd', got {time!r}")
    options = dict(encoder=encoder, head=head, class_names=class_names, tokenizer=tokenizer, survey=survey,
                   magnitudes=magnitudes, time_format=time, batch_size=batch_size)

    def score(t: pd.Series, b: pd.Series, f: pd.Series, e: pd.Series) -> pd.DataFrame:
        return score_arrays(t, b, f, e, **options)

    udf = pandas_udf(score, returnType=return_schema(head is not None))
    if head is not None:
        from astrokeras.scoring import load_head

        udf.class_names = load_head(head, class_names)[1]
    return udf
