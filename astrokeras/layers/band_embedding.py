"""Band embedding: the token's band-code channel -> a learned vector next to the wavelength.

The tokens of ``Tokenizer(band_channel=...)`` end with an integer band code (stored as a float;
:mod:`astrokeras.tokens`). This layer replaces that last channel by a learned embedding of the
code, keeping every other channel (the wavelength first among them)::

    (B, T, F) [wavelength, time, flux, (flux_err), code]  ->  (B, T, F - 1 + embedding_dim)

Code 0 means "unknown band" and always embeds to zeros, as does any code outside
``[0, n_codes)``: a band the encoder never saw is read from its wavelength alone. With
``dropout > 0`` each token's code is replaced by 0 with that probability during training, so
the encoder learns to read such tokens (the band-level analogue of word dropout).

Example:
    >>> import numpy as np
    >>> layer = BandEmbedding(n_codes=4, embedding_dim=2)
    >>> x = np.array([[[0.48, 0.0, 1.0, 2.0], [0.62, 0.1, 1.0, 0.0]]], "float32")
    >>> y = np.asarray(layer(x))
    >>> y.shape, y[0, 1, 3:].tolist(), y[0, :, 0].tolist() == x[0, :, 0].tolist()
    ((1, 2, 5), [0.0, 0.0], True)
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["BandEmbedding"]


@keras.saving.register_keras_serializable(package="astrokeras")
class BandEmbedding(keras.layers.Layer):
    """Embed the last token channel (an integer band code) and keep the other channels.

    Args:
        n_codes: vocabulary size, code 0 ("unknown") included (``Tokenizer.n_band_codes``).
        embedding_dim: size of the learned band vector.
        dropout: probability, in training only, of replacing a token's code by 0 (unknown).
        seed: seed of that dropout (``None``: drawn from the global Keras seed).
        **kwargs: ``keras.layers.Layer`` arguments (``name``, ...).
    """

    def __init__(self, n_codes: int, embedding_dim: int = 4, dropout: float = 0.0, seed: int | None = None,
                 **kwargs):
        if int(n_codes) < 2:
            raise ValueError(f"BandEmbedding: n_codes must be >= 2 (code 0 is 'unknown'), got {n_codes}")
        if int(embedding_dim) < 1:
            raise ValueError(f"BandEmbedding: embedding_dim must be >= 1, got {embedding_dim}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"BandEmbedding: dropout must be in [0, 1), got {dropout}")
        super().__init__(**kwargs)
        self.n_codes = int(n_codes)
        self.embedding_dim = int(embedding_dim)
        self.dropout = float(dropout)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed) if self.dropout else None

    def build(self, input_shape):
        if input_shape[-1] is not None and int(input_shape[-1]) < 2:
            raise ValueError(f"{self.name}: tokens need a band-code channel after at least one other "
                             f"channel, got {input_shape[-1]} channel(s)")
        self.embeddings = self.add_weight(shape=(self.n_codes, self.embedding_dim), name="embeddings",
                                          initializer=keras.initializers.RandomNormal(stddev=0.5))

    def call(self, values, training=None):
        codes = ops.cast(ops.round(values[..., -1]), "int32")
        codes = ops.where((codes >= 0) & (codes < self.n_codes), codes, 0)
        if training and self.dropout:
            keep = keras.random.uniform(ops.shape(codes), seed=self.seed_generator) >= self.dropout
            codes = ops.where(keep, codes, 0)
        known = ops.cast(ops.expand_dims(codes > 0, -1), self.compute_dtype)
        vectors = ops.take(self.embeddings, codes, axis=0) * known
        return ops.concatenate([values[..., :-1], ops.cast(vectors, values.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        last = None if input_shape[-1] is None else int(input_shape[-1]) - 1 + self.embedding_dim
        return tuple(input_shape[:-1]) + (last,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(n_codes=self.n_codes, embedding_dim=self.embedding_dim, dropout=self.dropout, seed=self.seed)
        return config
