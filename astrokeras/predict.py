"""Predictions from a table of observations: a saved task model -> one call -> a DataFrame.

A task model (:class:`~astrokeras.models.Classifier`, :class:`~astrokeras.models.Regressor`,
:class:`~astrokeras.models.ProbabilisticRegressor`) carries its tokenizer settings and class
names in its config (:func:`astrokeras.downstream.attach_head` stores them), so after
``keras.models.load_model`` a table of photometry (pandas DataFrame, astropy Table, dict of
arrays, a CSV/Parquet path, :class:`~astrokeras.photometry.LightCurves` or tokens) goes in and
a DataFrame comes out, one row per object:

* classifier: ``object_id``, one probability column per class name, ``predicted_class``;
* regressor: ``object_id``, the target (e.g. ``redshift``);
* probabilistic regressor: ``object_id``, ``redshift_mean``, ``redshift_std``,
  ``redshift_median``, ``redshift_lower_68``, ``redshift_upper_68`` (``z`` is log-normal
  around -1, :func:`~astrokeras.models.probabilistic_regressor.normal_log1p_summary`);
* an encoder: ``object_id``, ``z_0`` ... ``z_{d-1}`` (the latent).

The table is read with :meth:`LightCurves.from_table` (column aliases, magnitudes -> flux) and
checked with :meth:`LightCurves.validate` (documented, counted repairs; objects left without a
valid observation get no row). The report is kept in ``frame.attrs["validation_report"]``, the
number of curves cut to the tokenizer's ``max_length`` in ``frame.attrs["n_truncated"]``.

Example:
    >>> import keras, pandas as pd
    >>> import astrokeras                                        # registers the model classes
    >>> model = keras.models.load_model("my_classifier.keras")   # doctest: +SKIP
    >>> model.predict_table(pd.read_csv("photometry.csv"))       # doctest: +SKIP
      object_id     SN Ia     SN II predicted_class
    0       sn1  0.912...  0.087...           SN Ia
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurves
from astrokeras.tokens import TokenizedLightCurves, Tokenizer

__all__ = ["check_not_table", "predict_table"]


def _is_table_like(x) -> bool:
    if isinstance(x, (LightCurves, TokenizedLightCurves, pd.DataFrame, str, os.PathLike)):
        return True
    return type(x).__module__.startswith("astropy.table")


def check_not_table(model, x) -> None:
    """Raise a clear error when ``model.predict`` is given light curves or a table."""
    if _is_table_like(x):
        raise TypeError(
            f"{model.name}.predict takes token batches {{'values', 'mask'}}; for light curves or a table "
            f"of observations ({type(x).__name__}) use model.predict_table(data) "
            "(astrokeras.predict.predict_table), which tokenizes with the model's own settings.")


def _tokenizer_of(model, tokenizer) -> Tokenizer:
    from astrokeras.models.task import as_tokenizer

    tokenizer = as_tokenizer(tokenizer)
    tokenizer = tokenizer or getattr(model, "tokenizer", None) or getattr(model, "preset_tokenizer", None)
    if tokenizer is None:
        raise ValueError(
            f"{model.name} carries no tokenizer settings (it was built without tokenizer=); pass "
            "tokenizer=astrokeras.downstream.tokenizer_for('<released encoder name>') or the Tokenizer "
            "its training data were tokenized with")
    return tokenizer


def check_band_codes(model, tokenizer: Tokenizer) -> None:
    """Raise ``ValueError`` when the tokenizer's band-code channel does not match the model's
    :class:`~astrokeras.layers.BandEmbedding` (one has it and the other not, or other vocabulary sizes)."""
    from astrokeras.layers import BandEmbedding

    def find(layer):
        if isinstance(layer, BandEmbedding):
            return layer
        for sub in getattr(layer, "layers", ()):
            found = find(sub)
            if found is not None:
                return found
        return None

    embedding = find(model)
    n_model = embedding.n_codes if embedding is not None else 0
    if n_model != tokenizer.n_band_codes:
        raise ValueError(f"{model.name} embeds {n_model or 'no'} band codes, the tokenizer makes "
                         f"{tokenizer.n_band_codes or 'none'} (band_channel={tokenizer.band_channel!r}); use the "
                         "tokenizer the model was trained with")


def _n_features(model) -> int | None:
    inputs = getattr(model, "input", None)
    if isinstance(inputs, Mapping) and "values" in inputs:
        return inputs["values"].shape[-1]
    return None


def _read(data, survey, aliases, object_id) -> LightCurves:
    if isinstance(data, LightCurves):
        return data
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if path.endswith(".parquet"):
            data = pd.read_parquet(path)
        elif path.endswith((".csv", ".csv.gz")):
            data = pd.read_csv(path)
        else:
            raise ValueError(f"{path}: predict_table reads .csv, .csv.gz or .parquet files; load other "
                             "formats into a DataFrame or astropy Table first")
    return LightCurves.from_table(data, aliases=aliases, survey=survey, object_id=object_id)


def _output_frame(model, outputs: np.ndarray, ids: np.ndarray, class_names) -> pd.DataFrame:
    from astrokeras.models import Classifier, GRUEncoder, ProbabilisticRegressor, Regressor
    from astrokeras.models.probabilistic_regressor import normal_log1p_summary

    frame = pd.DataFrame({"object_id": ids})
    if isinstance(model, Classifier):
        names = list(class_names if class_names is not None else
                     model.class_names or [f"class_{i}" for i in range(model.n_classes)])
        if len(names) != outputs.shape[1]:
            raise ValueError(f"{len(names)} class names for a {outputs.shape[1]}-class model: {names}")
        for i, name in enumerate(names):
            frame[name] = outputs[:, i]
        frame["predicted_class"] = np.asarray(names, dtype=object)[np.argmax(outputs, axis=1)] \
            if len(outputs) else np.zeros(0, dtype=object)
        return frame
    if class_names is not None:
        raise ValueError(f"class_names given for {type(model).__name__} {model.name!r}, which is not a classifier")
    if isinstance(model, ProbabilisticRegressor):
        target = model.target
        summary = normal_log1p_summary(outputs) if len(outputs) else {
            k: np.zeros(0) for k in ("mean", "median", "lower_68", "upper_68")}
        mu, sigma = (outputs[:, 0], outputs[:, 1]) if len(outputs) else (np.zeros(0), np.zeros(0))
        frame[f"{target}_mean"] = summary["mean"]
        # standard deviation of the log-normal 1 + z
        frame[f"{target}_std"] = np.sqrt(np.expm1(sigma.astype(float) ** 2)) * np.exp(mu + 0.5 * sigma.astype(float) ** 2)
        for key in ("median", "lower_68", "upper_68"):
            frame[f"{target}_{key}"] = summary[key]
        return frame
    if isinstance(model, Regressor):
        frame[model.target] = outputs[:, 0]
        return frame
    if isinstance(model, GRUEncoder) and outputs.ndim == 2:
        for i in range(outputs.shape[1]):
            frame[f"z_{i}"] = outputs[:, i]
        return frame
    raise TypeError(f"predict_table supports astrokeras Classifier, Regressor, ProbabilisticRegressor and "
                    f"GRUEncoder models, got {type(model).__name__}")


def predict_table(model, data, *, tokenizer: Tokenizer | Mapping | None = None,
                  class_names: Sequence[str] | None = None, survey: str | None = None,
                  aliases: Mapping[str, str] | None = None, object_id: str | None = None,
                  policy: str = "repair", batch_size: int = 512) -> pd.DataFrame:
    """Predictions of ``model`` for every object of a table, as a DataFrame (see module docstring).

    Args:
        model: a task model (or a :class:`~astrokeras.models.GRUEncoder`), e.g. from
            ``keras.models.load_model`` after ``import astrokeras``.
        data: photometry: a pandas DataFrame, astropy Table, dict of arrays, a ``.csv`` /
            ``.parquet`` path, :class:`LightCurves` or :class:`TokenizedLightCurves`.
        tokenizer: overrides the model's stored tokenizer settings (needed only for a model
            saved without them).
        class_names: overrides the model's stored class names (default ``class_0``, ... when it
            has none).
        survey: survey of bare band names such as ``"g"`` (passed to :meth:`LightCurves.from_table`).
        aliases: extra column aliases ``{your_name: canonical_name}``.
        object_id: id for a table holding one light curve without an id column.
        policy: :meth:`LightCurves.validate` policy, ``"repair"`` or ``"raise"``.
        batch_size: objects per batch.

    Returns:
        One row per object (input order), columns as in the module docstring.

    Raises:
        ValueError: no tokenizer settings, a token width the model does not read, bad class names.
        LightCurveError: a table that cannot be read (naming the column or object).

    Example:
        >>> import numpy as np, pandas as pd
        >>> from astrokeras.models import Classifier, GRUEncoder
        >>> model = Classifier(GRUEncoder(gru_units=4, dense_units=(4,), latent_dim=4), n_classes=2,
        ...                    class_names=["SN Ia", "SN II"], tokenizer=Tokenizer())
        >>> table = pd.DataFrame({"object_id": ["a", "a", "b"], "mjd": [0.0, 3.0, 1.0],
        ...                       "band": ["ztfg", "ztfr", "ztfg"], "flux": [10.0, 12.0, 5.0],
        ...                       "flux_err": [1.0, 1.0, 1.0]})
        >>> frame = predict_table(model, table)
        >>> list(frame.columns), len(frame)
        (['object_id', 'SN Ia', 'SN II', 'predicted_class'], 2)
    """
    from astrokeras.downstream import predict_in_order

    report = None
    if isinstance(data, TokenizedLightCurves):
        tokens = data
    else:
        tokenizer = _tokenizer_of(model, tokenizer)
        lcs, report = _read(data, survey, aliases, object_id).validate(policy)
        tokens = tokenizer.tokenize(lcs)
        check_band_codes(model, tokenizer)
    expected = _n_features(model)
    if expected is not None and tokens.n_features != expected:
        raise ValueError(f"{model.name} reads tokens of {expected} features, the tokenizer gives "
                         f"{tokens.n_features} (include_flux_err or band_channel does not match the model)")
    outputs = predict_in_order(model, tokens, batch_size=batch_size)
    frame = _output_frame(model, outputs, np.asarray(tokens.object_ids), class_names)
    frame.attrs["validation_report"] = report
    frame.attrs["n_truncated"] = int(tokens.n_truncated)
    return frame
