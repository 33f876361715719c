"""A GRU encoder (and an MLP head) evaluated in NumPy, resumable from stored hidden states.

The incremental scorer (:mod:`astrokeras.streaming`) needs what Keras does not expose: the GRU's
hidden state after the last observation, and a forward pass that *starts* from a stored state.
:class:`NumpyGRUEncoder` reads the weights of a :class:`~astrokeras.models.GRUEncoder` (or any
Functional model of the same shape: stacked, forward, masked ``GRU`` layers, then ``Dense`` /
``Dropout`` / ``Activation`` layers) once, and steps them in NumPy float32 with Keras' equations
(``reset_after`` either way; gate order z, r, h). Keras' own call is not used per alert: one
eager call costs more than the whole NumPy step for a batch of alerts.

Anything that is not causal in the sequence is refused with :class:`NotStreamableError` naming
the layer: a backwards or bidirectional RNN, pooling or attention over the sequence, any layer
this module does not know. :class:`NumpyHead` evaluates a head (latent -> output) the same way,
falling back to the Keras layer for layers it does not know (e.g.
:class:`~astrokeras.models.probabilistic_regressor.NormalParameters`).

Example:
    >>> import numpy as np
    >>> from astrokeras.models import GRUEncoder
    >>> enc = GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    >>> fwd = NumpyGRUEncoder(enc)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> mask = np.ones((2, 5), bool)
    >>> h = fwd.step(fwd.zero_state(2), x[:, :3], mask[:, :3])     # first 3 tokens ...
    >>> h = fwd.step(h, x[:, 3:], mask[:, 3:])                      # ... then the next 2
    >>> keras_z = enc.predict_on_batch({"values": x, "mask": mask})
    >>> bool(np.allclose(fwd.readout(h), keras_z, atol=1e-5))
    True
"""

from __future__ import annotations

import hashlib
import json

import keras
import numpy as np
from scipy.special import expit

__all__ = ["NotStreamableError", "NumpyGRUEncoder", "NumpyHead", "model_fingerprint"]


class NotStreamableError(ValueError):
    """The model cannot be stepped one observation at a time (not causal, or an unknown layer)."""


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ACTIVATIONS = {"linear": lambda a: a, "relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh,
                "sigmoid": expit, "softmax": _softmax}


def _activation(fn, owner: str):
    name = keras.activations.serialize(fn) if fn is not None else "linear"
    if isinstance(name, dict):
        name = name.get("config", {}).get("name") or name.get("class_name")
    if name not in _ACTIVATIONS:
        raise NotStreamableError(f"{owner}: activation {name!r} is not one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]


def _numpy(variable) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float32)


def model_fingerprint(model: keras.Model) -> str:
    """sha256 of a model's config and weights (identifies the model a stored state belongs to)."""
    digest = hashlib.sha256(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for w in model.weights:
        digest.update(np.ascontiguousarray(_numpy(w)).tobytes())
    return digest.hexdigest()


class _GRU:
    """One Keras GRU layer's weights and step."""

    def __init__(self, layer: keras.layers.GRU, owner: str):
        name = f"{owner}: layer {layer.name!r}"
        if layer.go_backwards or getattr(layer, "stateful", False):
            raise NotStreamableError(f"{name} runs backwards or is stateful: not causal")
        cell = layer.cell
        self.units = int(cell.units)
        self.act = _activation(cell.activation, name)
        self.rec_act = _activation(cell.recurrent_activation, name)
        self.reset_after = bool(cell.reset_after)
        self.kernel = _numpy(cell.kernel)
        self.recurrent = _numpy(cell.recurrent_kernel)
        u3 = 3 * self.units
        bias = _numpy(cell.bias) if cell.use_bias else np.zeros((2, u3) if self.reset_after else (u3,), np.float32)
        self.b_in = bias[0] if self.reset_after else bias
        self.b_rec = bias[1] if self.reset_after else None

    def run(self, h: np.ndarray, x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step ``h (B, U)`` over ``x (B, k, F)`` where ``mask (B, k)``; return (h, outputs (B, k, U))."""
        u = self.units
        xp = x @ self.kernel + self.b_in  # input projections of every step at once
        out = np.empty(x.shape[:2] + (u,), np.float32)
        for t in range(x.shape[1]):
            xz, xr, xh = xp[:, t, :u], xp[:, t, u:2 * u], xp[:, t, 2 * u:]
            if self.reset_after:
                inner = h @ self.recurrent + self.b_rec
                z = self.rec_act(xz + inner[:, :u])
                r = self.rec_act(xr + inner[:, u:2 * u])
                hh = self.act(xh + r * inner[:, 2 * u:])
            else:
                inner = h @ self.recurrent[:, :2 * u]
                z = self.rec_act(xz + inner[:, :u])
                r = self.rec_act(xr + inner[:, u:])
                hh = self.act(xh + (r * h) @ self.recurrent[:, 2 * u:])
            new = z * h + (1.0 - z) * hh
            m = mask[:, t]
            h = np.where(m[:, None], new, h).astype(np.float32) if not m.all() else new.astype(np.float32)
            out[:, t] = h
        return h, out


def _dense_chain(layers, owner: str) -> list:
    """Dense / Activation / Dropout layers as NumPy callables (others kept as Keras layers)."""
    chain = []
    for layer in layers:
        if isinstance(layer, (keras.layers.Dropout, keras.layers.InputLayer)):
            continue  # identity at inference
        if isinstance(layer, keras.layers.Dense):
            kernel = _numpy(layer.kernel)
            bias = _numpy(layer.bias) if layer.use_bias else np.zeros(kernel.shape[1], np.float32)
            act = _activation(layer.activation, f"{owner}: layer {layer.name!r}")
            chain.append(lambda a, k=kernel, b=bias, f=act: f(a @ k + b).astype(np.float32))
        elif isinstance(layer, keras.layers.Activation):
            act = _activation(layer.activation, f"{owner}: layer {layer.name!r}")
            chain.append(lambda a, f=act: f(a).astype(np.float32))
        else:
            chain.append(layer)
    return chain


class NumpyGRUEncoder:
    """A GRU encoder's forward pass in NumPy float32, resumable from a stored hidden state.

    Args:
        encoder: a :class:`~astrokeras.models.GRUEncoder` (or a Functional model over
            ``{"values", "mask"}`` made of forward ``GRU`` layers followed by ``Dense`` /
            ``Dropout`` / ``Activation`` layers). Weights are copied at construction: build a new
            one after changing the encoder's weights.

    Raises:
        NotStreamableError: a layer that is not causal in the sequence or not known here.
    """

    def __init__(self, encoder: keras.Model):
        owner = f"encoder {encoder.name!r}"
        layers = [la for la in encoder.layers if not isinstance(la, keras.layers.InputLayer)]
        grus = []
        while layers and isinstance(layers[0], keras.layers.GRU):
            grus.append(layers.pop(0))
        if not grus:
            first = layers[0] if layers else None
            raise NotStreamableError(
                f"{owner}: the incremental scorer steps GRU encoders; the first layer is "
                f"{type(first).__name__} {getattr(first, 'name', '')!r}")
        for layer in layers:
            if not isinstance(layer, (keras.layers.Dense, keras.layers.Dropout, keras.layers.Activation)):
                raise NotStreamableError(
                    f"{owner}: layer {layer.name!r} ({type(layer).__name__}) after the GRU is not a "
                    "Dense/Dropout/Activation layer; a layer that reads the whole sequence (pooling, "
                    "attention, a bidirectional RNN) is not causal: re-embed with astrokeras.downstream.embed")
        for i, layer in enumerate(grus):
            if bool(layer.return_sequences) != (i < len(grus) - 1):
                raise NotStreamableError(f"{owner}: GRU {layer.name!r} must return sequences exactly when "
                                         "another GRU follows it")
        self.grus = [_GRU(layer, owner) for layer in grus]
        self.units = [g.units for g in self.grus]
        self.state_size = int(sum(self.units))
        self.n_features = int(self.grus[0].kernel.shape[0])
        self._readout = NumpyHead(layers, owner)
        self.latent_dim = int(self.readout(np.zeros((1, self.state_size), np.float32)).shape[-1])

    def zero_state(self, batch: int) -> np.ndarray:
        """``(batch, state_size)`` zeros: the state before any observation."""
        return np.zeros((int(batch), self.state_size), np.float32)

    def step(self, hidden: np.ndarray, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Advance ``hidden (B, state_size)`` over tokens ``values (B, k, F)`` where ``mask (B, k)``.

        Masked steps leave the state unchanged (right padding, as in Keras).
        """
        values = np.asarray(values, np.float32)
        mask = np.asarray(mask, bool)
        if values.ndim != 3 or values.shape[2] != self.n_features or mask.shape != values.shape[:2]:
            raise ValueError(f"tokens must be (B, k, {self.n_features}) with a (B, k) mask, got "
                             f"{values.shape} and {mask.shape}")
        out, pos, x = [], 0, values
        for gru in self.grus:
            h, x = gru.run(np.ascontiguousarray(hidden[:, pos:pos + gru.units]), x, mask)
            out.append(h)
            pos += gru.units
        return np.concatenate(out, axis=1) if len(out) > 1 else out[0]

    def readout(self, hidden: np.ndarray) -> np.ndarray:
        """Latent ``(B, latent_dim)`` from the hidden state (the last GRU's part)."""
        return self._readout(np.asarray(hidden, np.float32)[:, self.state_size - self.units[-1]:])

    def embed(self, values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(hidden, latent)`` of right-padded token batches, from the zero state."""
        hidden = self.step(self.zero_state(len(values)), values, mask)
        return hidden, self.readout(hidden)


class NumpyHead:
    """A head (latent -> output) as a chain of layers, in NumPy where it can.

    Args:
        layers: the head's layers in order (``Dense``, ``Activation``, ``Dropout`` in NumPy; any
            other layer is called as a Keras layer on the NumPy array).
    """

    def __init__(self, layers, owner: str = "head"):
        self._chain = _dense_chain(layers, owner)

    def __call__(self, latent: np.ndarray) -> np.ndarray:
        x = np.asarray(latent, np.float32)
        for f in self._chain:
            if isinstance(f, keras.layers.Layer):
                x = np.asarray(keras.ops.convert_to_numpy(f(x)), np.float32)
            else:
                x = f(x)
        return x
