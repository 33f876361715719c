"""Small reusable Keras layers (registered serializable under the ``astrokeras`` package)."""

from astrokeras.layers.band_embedding import BandEmbedding
from astrokeras.layers.gradient_reversal import GradientReversal

__all__ = ["BandEmbedding", "GradientReversal"]
