"""Redshift with an uncertainty: encoder -> MLP -> Normal on log(1+z), trained by its likelihood.

The paper's redshift head (Gupta et al. 2025, Sec. 3.5) predicts a point value with the MSE. A
broker needs an error bar too, so this head predicts a distribution: ``log(1 + z)`` is Normal with
mean ``mu`` and scale ``sigma`` (``z`` is then log-normal around ``-1``, always ``> -1`` and with a
right tail, as photometric redshifts are). It is trained by the negative log-likelihood

    NLL = log(sigma) + 0.5 * ((log(1 + z) - mu) / sigma)**2 + 0.5 * log(2 pi),

written in ``keras.ops`` (no TensorFlow Probability: the head stays multi-backend and saves with
``.keras``). The model's output is ``(B, 2)`` = ``[mu, sigma]``; turn it into a point estimate,
intervals and PIT values with :func:`normal_log1p_summary`.

Example:
    >>> import numpy as np
    >>> from astrokeras.models import GRUEncoder
    >>> model = ProbabilisticRegressor(GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4),
    ...                                hidden_units=(8,))
    >>> model.compile(optimizer="adam")
    >>> x = {"values": np.random.rand(4, 6, 3).astype("float32"), "mask": np.ones((4, 6), bool)}
    >>> sorted(model.fit(x, {"redshift": np.full(4, 0.1)}, verbose=0).history)
    ['loss', 'mse_log1p']
    >>> model.predict(x, verbose=0).shape
    (4, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from astrokeras.models.task import Task, apply_layers

__all__ = ["NormalLog1pNLL", "NormalParameters", "ProbabilisticRegressor", "log1p_squared_error",
           "normal_log1p_nll", "normal_log1p_summary"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@keras.saving.register_keras_serializable(package="astrokeras")
class NormalParameters(keras.layers.Layer):
    """``(B, 2)`` raw outputs -> ``[mu, sigma]``.

    ``mu = loc + scale * raw_0`` and ``sigma = scale * (softplus(raw_1) + min_scale)``: the network
    works in standardised units (``loc``/``scale``: mean and standard deviation of the training
    ``log(1 + z)``), which keeps the likelihood well conditioned when the redshifts span a narrow
    range (e.g. z = 0.06 +- 0.03 for bright supernovae).

    Args:
        min_scale: floor on ``sigma`` in standardised units (keeps the likelihood bounded).
        loc: offset of ``mu``.
        scale: unit of ``mu`` and ``sigma`` (> 0).
    """

    def __init__(self, min_scale: float = 1e-3, loc: float = 0.0, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not float(scale) > 0:
            raise ValueError(f"NormalParameters: scale must be > 0, got {scale}")
        self.min_scale = float(min_scale)
        self.loc = float(loc)
        self.scale = float(scale)

    def call(self, raw):
        mu = self.loc + self.scale * raw[..., :1]
        sigma = self.scale * (ops.softplus(raw[..., 1:2]) + self.min_scale)
        return ops.concatenate([mu, sigma], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2,)

    def get_config(self) -> dict:
        return {**super().get_config(), "min_scale": self.min_scale, "loc": self.loc, "scale": self.scale}


@keras.saving.register_keras_serializable(package="astrokeras")
def normal_log1p_nll(y_true, y_pred):
    """Per-sample NLL of ``log(1 + z)`` under ``Normal(mu, sigma)``; ``y_pred = [mu, sigma]``.

    Usable as a Keras loss (``model.compile(loss=normal_log1p_nll)``) on a head whose output is
    :class:`NormalParameters`.
    """
    y = ops.reshape(ops.cast(y_true, "float32"), (-1,))
    y_pred = ops.cast(y_pred, "float32")
    mu, sigma = y_pred[:, 0], y_pred[:, 1]
    u = (ops.log1p(y) - mu) / sigma
    return ops.log(sigma) + 0.5 * ops.square(u) + _HALF_LOG_2PI


@keras.saving.register_keras_serializable(package="astrokeras")
class NormalLog1pNLL(keras.losses.Loss):
    """:func:`normal_log1p_nll` as a Keras loss, reduced as a weighted mean ``sum w_i l_i / sum w_i``.

    Example:
        >>> import numpy as np
        >>> loss = NormalLog1pNLL()
        >>> round(float(loss(np.array([0.0]), np.array([[0.0, 1.0]], "float32"))), 4)  # 0.5 log(2 pi)
        0.9189
    """

    def __init__(self, name: str = "normal_log1p_nll", **kwargs):
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="mean_with_sample_weight", **kwargs)

    def call(self, y_true, y_pred):
        return normal_log1p_nll(y_true, y_pred)

    def get_config(self) -> dict:
        return {"name": self.name}


@keras.saving.register_keras_serializable(package="astrokeras")
def log1p_squared_error(y_true, y_pred):
    """Per-sample ``(mu - log(1 + z))**2`` for ``y_pred = [mu, sigma]`` (the ``mse_log1p`` metric)."""
    y = ops.reshape(ops.cast(y_true, "float32"), (-1,))
    return ops.square(ops.cast(y_pred, "float32")[:, 0] - ops.log1p(y))


def normal_log1p_summary(params: np.ndarray, levels: Sequence[float] = (0.68, 0.95),
                         z_true: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Point estimates, central intervals (and PIT values) from predicted ``[mu, sigma]``.

    Args:
        params: ``(n, 2)`` model outputs (``mu``, ``sigma`` of ``log(1 + z)``).
        levels: central interval probabilities.
        z_true: true redshifts, for the probability integral transform ``PIT = F(z_true)``.

    Returns:
        ``{"mean": E[z], "median": exp(mu) - 1, "sigma_log1p": sigma, "lower_68": ...,
        "upper_68": ..., ..., "pit": ...}`` (PIT only with ``z_true``).
    """
    from scipy.stats import norm

    params = np.asarray(params, dtype=float)
    if params.ndim != 2 or params.shape[1] != 2 or not np.isfinite(params).all():
        raise ValueError(f"params must be a finite (n, 2) array of [mu, sigma], got shape {params.shape}")
    mu, sigma = params[:, 0], params[:, 1]
    out = {"mean": np.expm1(mu + 0.5 * sigma ** 2), "median": np.expm1(mu), "sigma_log1p": sigma}
    for level in levels:
        q = norm.ppf(0.5 + 0.5 * float(level))
        tag = f"{round(100 * level):d}"
        out[f"lower_{tag}"] = np.expm1(mu - q * sigma)
        out[f"upper_{tag}"] = np.expm1(mu + q * sigma)
    if z_true is not None:
        out["pit"] = norm.cdf((np.log1p(np.asarray(z_true, dtype=float)) - mu) / sigma)
    return out


@keras.saving.register_keras_serializable(package="astrokeras")
class ProbabilisticRegressor(Task):
    """Encoder + MLP + Normal on ``log(1 + z)``, trained by the negative log-likelihood.

    Args:
        encoder: a Keras model mapping the inputs to the latent ``z``.
        hidden_units: widths of the hidden Dense layers (paper-style head: ``(64,)``).
        activation: activation of the hidden layers.
        dropout: dropout rate after each hidden layer.
        min_scale: floor on the predicted ``sigma`` (in units of ``scale``).
        loc, scale: standardisation of ``log(1 + z)`` (see :class:`NormalParameters`); set them
            to the mean and standard deviation of the training ``log(1 + z)``.
        target: the entry of dict targets to regress (an array of targets is read as it).
        tokenizer: the :class:`~astrokeras.tokens.Tokenizer` (or its config) the inputs come
            from (stored in the config; used by :meth:`predict_table`).
        name: model name.

    Predictions: ``(B, 2)`` = ``[mu, sigma]`` (see :func:`normal_log1p_summary`).
    Trained through Keras' own step; default ``compile``: loss :class:`NormalLog1pNLL`, metric
    ``mse_log1p`` (of ``mu``).
    """

    def __init__(
        self,
        encoder: keras.Model,
        hidden_units: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        min_scale: float = 1e-3,
        loc: float = 0.0,
        scale: float = 1.0,
        target: str = "redshift",
        tokenizer=None,
        name: str = "probabilistic_regressor",
        **kwargs,
    ):
        if not float(min_scale) > 0.0:
            raise ValueError(f"ProbabilisticRegressor: min_scale must be > 0, got {min_scale}")
        hidden = self._mlp_head(type(self).__name__, hidden_units, activation, dropout)
        raw_layer = keras.layers.Dense(2, name="distribution_raw", dtype="float32")
        params_layer = NormalParameters(float(min_scale), float(loc), float(scale), name="normal_parameters",
                                        dtype="float32")
        inputs = encoder.input
        params = params_layer(raw_layer(apply_layers(hidden, encoder(inputs))))
        super().__init__(encoder=encoder, inputs=inputs, outputs=params, name=name, tokenizer=tokenizer,
                         **kwargs)
        # === Attributes (after Model.__init__: torch needs it) ===
        self._store_head(hidden_units, activation, dropout, hidden)
        self.raw_layer = raw_layer
        self.params_layer = params_layer
        self.min_scale = float(min_scale)
        self.loc = float(loc)
        self.scale = float(scale)
        self.target = str(target)
        self._primary_target = self.target

    def get_config(self) -> dict:
        return {
            **self._head_config(),
            "min_scale": self.min_scale,
            "loc": self.loc,
            "scale": self.scale,
            "target": self.target,
            "name": self.name,
        }

    _target_dtype = "float32"

    def default_loss(self):
        return NormalLog1pNLL()

    def default_metrics(self) -> list:
        return [keras.metrics.MeanMetricWrapper(log1p_squared_error, name="mse_log1p")]
