"""GRU encoder: right-padded token sequences -> 128-d latent (Gupta et al. 2025, Sec. 3.1, B.5).

Architecture (paper defaults)::

    {"values": (B, T, F), "mask": (B, T) bool}
      [-> BandEmbedding        "band_embedding", only with n_band_codes > 0: the last channel
                               (band code) -> a learned vector next to the wavelength]
      -> GRU(100)              final hidden state = state at the last *valid* step (explicit mask)
      -> Dense(128, relu)      "dense_0"  (one entry of ``dense_units`` per hidden layer)
      -> Dense(128)            "latent"   z = C_L(X), linear by default (``latent_activation``)

The paper's "final hidden state passed through two fully-connected MLP layers" whose penultimate
layer is the 128-d representation is read as: the hidden ``Dense(128, relu)`` followed by the
``Dense(128)`` latent; task models then add a classification layer on top of ``z``. The latent is
linear by default so that cosine similarities (supervised contrastive loss) can be negative.

Masking: the mask is passed explicitly to the GRU (never ``Masking(0.)``), so a real token whose
values are all zero is still read. Masked steps do not change the recurrent state, so the GRU's
output is the state after the last valid step. Masks must be right-padded (valid tokens first);
on GPU, TensorFlow's cuDNN GRU kernel requires a strictly right-padded mask and no empty sequence
(it also disables XLA); the pipeline right-pads and drops empty curves. On CPU an all-masked row
gives the encoder applied to the zero initial state.

Reference: Gupta, Muthukrishna & Audenaert 2025, "Simulation-Based Pretraining and Domain
Adaptation for Astronomical Time Series Tasks with Minimal Labeled Data".
"""

from __future__ import annotations

from typing import Sequence

import keras

from astrokeras.layers.band_embedding import BandEmbedding

__all__ = ["GRUEncoder"]


@keras.saving.register_keras_serializable(package="astrokeras")
class GRUEncoder(keras.Model):
    """GRU encoder over ``{"values", "mask"}`` producing the latent ``z``.

    A Functional-subclass model (keras-hub style): the graph is built in ``__init__`` and
    ``get_config`` returns exactly the constructor arguments.

    Args:
        n_features: channels per token (3: wavelength, time, flux; 4: + flux error; one more with
            a band-code channel). ``Tokenizer.encoder_kwargs()`` gives this and ``n_band_codes``.
        gru_units: units of each GRU layer (paper: 100).
        n_gru_layers: stacked GRU layers (all but the last return sequences, masked).
        dense_units: widths of the hidden Dense layers between the GRU and the latent
            (paper: one hidden layer of 128 -> two Dense layers in total with the latent).
        latent_dim: size of the latent representation ``z`` (paper: 128).
        activation: activation of the hidden Dense layers.
        latent_activation: activation of the latent layer (``None``: linear).
        dropout: dropout rate after each hidden Dense layer (0 disables it).
        name: model name.
        trainable: whether the encoder's weights are trainable (kept by save/load so that a
            frozen encoder inside a fine-tuned model stays frozen).
        n_band_codes: 0 (default: no band embedding) or the band-code vocabulary size of
            ``Tokenizer(band_channel=...)`` (``Tokenizer.n_band_codes``): the last channel is
            then embedded by :class:`~astrokeras.layers.BandEmbedding` (code 0, unknown -> zeros).
        band_embedding_dim: size of the band vector.
        band_dropout: training-time probability of hiding a token's band code (code 0), so the
            encoder also learns to read bands it has no embedding for from the wavelength.

    Returns (when called):
        ``(B, latent_dim)`` float tensor.

    Example:
        >>> import numpy as np
        >>> enc = GRUEncoder(n_features=3, gru_units=8, dense_units=(8,), latent_dim=4)
        >>> x = {"values": np.zeros((2, 5, 3), "float32"), "mask": np.ones((2, 5), bool)}
        >>> tuple(enc(x).shape)
        (2, 4)
    """

    def __init__(
        self,
        n_features: int = 3,
        gru_units: int = 100,
        n_gru_layers: int = 1,
        dense_units: Sequence[int] = (128,),
        latent_dim: int = 128,
        activation: str = "relu",
        latent_activation: str | None = None,
        dropout: float = 0.0,
        name: str = "gru_encoder",
        trainable: bool = True,
        n_band_codes: int = 0,
        band_embedding_dim: int = 4,
        band_dropout: float = 0.0,
        **kwargs,
    ):
        if int(n_band_codes) and int(n_features) < 2:
            raise ValueError(f"GRUEncoder: n_band_codes={n_band_codes} needs n_features >= 2 (the band code "
                             f"is the last channel), got {n_features}")
        if int(n_features) < 1:
            raise ValueError(f"GRUEncoder: n_features must be >= 1, got {n_features}")
        if int(n_gru_layers) < 1:
            raise ValueError(f"GRUEncoder: n_gru_layers must be >= 1, got {n_gru_layers}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"GRUEncoder: dropout must be in [0, 1), got {dropout}")
        dense_units = tuple(int(u) for u in dense_units)

        # === Functional graph ===
        values = keras.Input(shape=(None, int(n_features)), dtype="float32", name="values")
        mask = keras.Input(shape=(None,), dtype="bool", name="mask")
        x = values
        if int(n_band_codes):
            x = BandEmbedding(int(n_band_codes), int(band_embedding_dim), float(band_dropout),
                              name="band_embedding")(x)
        for i in range(int(n_gru_layers)):
            last = i == int(n_gru_layers) - 1
            x = keras.layers.GRU(
                int(gru_units), return_sequences=not last, name="gru" if i == 0 else f"gru_{i}"
            )(x, mask=mask)
        for i, units in enumerate(dense_units):
            x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
            if dropout:
                x = keras.layers.Dropout(float(dropout), name=f"dropout_{i}")(x)
        z = keras.layers.Dense(int(latent_dim), activation=latent_activation, name="latent")(x)
        super().__init__(
            inputs={"values": values, "mask": mask}, outputs=z, name=name, trainable=trainable,
            **kwargs,
        )

        # === Config ===
        self.n_features = int(n_features)
        self.gru_units = int(gru_units)
        self.n_gru_layers = int(n_gru_layers)
        self.dense_units = dense_units
        self.latent_dim = int(latent_dim)
        self.activation = activation
        self.latent_activation = latent_activation
        self.dropout = float(dropout)
        self.n_band_codes = int(n_band_codes)
        self.band_embedding_dim = int(band_embedding_dim)
        self.band_dropout = float(band_dropout)

    def get_config(self) -> dict:
        """The constructor arguments; the band-embedding ones only when it is on, so the configuration
        (and fingerprint) of every encoder without one is what it was before the option existed."""
        band = ({"n_band_codes": self.n_band_codes, "band_embedding_dim": self.band_embedding_dim,
                 "band_dropout": self.band_dropout} if self.n_band_codes else {})
        return {
            "n_features": self.n_features,
            "gru_units": self.gru_units,
            "n_gru_layers": self.n_gru_layers,
            "dense_units": list(self.dense_units),
            "latent_dim": self.latent_dim,
            "activation": self.activation,
            "latent_activation": self.latent_activation,
            "dropout": self.dropout,
            "name": self.name,
            "trainable": self.trainable,
            **band,
        }

    @classmethod
    def from_config(cls, config: dict) -> "GRUEncoder":
        return cls(**config)

    @classmethod
    def from_preset(cls, preset: str, models_dir: str | None = None) -> "GRUEncoder":
        """A released encoder by name (keras-hub style; :func:`astrokeras.presets.load_encoder`).

        The file's checksum is verified. The tokenizer the encoder was trained with is
        ``astrokeras.downstream.tokenizer_for(preset)``; it is also kept on the returned object
        (``encoder.preset_tokenizer``, not saved) so that
        :func:`~astrokeras.downstream.attach_head` stores it in the task model by default.

        Args:
            preset: a released encoder name (:func:`astrokeras.list_encoders`).
            models_dir: folder override (see :mod:`astrokeras.presets`).

        Example:
            >>> encoder = GRUEncoder.from_preset("classifier_ztf_lsst_full")  # doctest: +SKIP
        """
        from astrokeras.downstream import tokenizer_for
        from astrokeras.presets import load_encoder

        encoder = load_encoder(preset, models_dir)
        if not isinstance(encoder, cls):
            raise TypeError(f"preset {preset!r} holds a {type(encoder).__name__}, not a {cls.__name__}")
        encoder.preset_tokenizer = tokenizer_for(preset, models_dir)
        return encoder

    def predict(self, x, *args, **kwargs):
        """``keras.Model.predict`` on token batches; light curves and tables go to :meth:`predict_table`."""
        from astrokeras.predict import check_not_table

        check_not_table(self, x)
        return super().predict(x, *args, **kwargs)

    def predict_table(self, data, **kwargs):
        """Latents of a table of observations, as a DataFrame (:func:`astrokeras.predict.predict_table`)."""
        from astrokeras.predict import predict_table

        return predict_table(self, data, **kwargs)
