"""Incremental scoring of alert streams: a new alert costs O(new points), not O(history).

:class:`StreamingScorer` keeps each object's GRU hidden state(s) in a :class:`StateStore`
(SQLite, one transaction per update, survives a restart) and, for a batch of new observations,
steps the GRU from the stored state over the new tokens only (NumPy float32,
:mod:`astrokeras.numpy_forward`), then the Dense readout and the head. The latent equals
re-embedding the whole history with :func:`astrokeras.downstream.embed` to float32 rounding
(tested on real BTS light curves fed in several increments).

What is causal, and what is not (the tokenizer of the released encoders is
``normalization="absolute"``, ``window="peak"``, ``max_length=256``, time since the first
observation):

===============================  =========================================================
tokenizer setting / event        how the scorer stays exact
===============================  =========================================================
``normalization="absolute"``     causal: a token depends on its own point and the time of
                                 the first observation (stored) -> incremental
time since first observation     causal while points arrive in time order -> incremental
a point earlier than the latest  not causal (it shifts later tokens) -> re-embed the object's
(out of order, or before t0)     stored history (O(n)), then incremental again
``normalization="per_object"``   divides by max(|flux|, smallest error) of the curve: while a
                                 new point leaves that scale unchanged -> incremental; when
                                 it changes, every token changes -> re-embed the history
more than ``max_length`` points  ``window="first"``: later points are outside the window, the
                                 latent is frozen (exact, O(1)); ``"peak"``/``"last"``: the
                                 window moves -> re-embed the window (O(max_length)) per update
a repeated (time, band) point    dropped (alert packets repeat earlier points); costs one
                                 read of the object's history, no GRU step
===============================  =========================================================

``allow_recompute=False`` turns every re-embedding case into :class:`RecomputeRequired` (for a
hard O(new points) latency budget). Encoders that are not causal (pooling or attention over the
sequence, a bidirectional or backwards RNN) are refused at construction
(:class:`~astrokeras.numpy_forward.NotStreamableError`).

Example:
    >>> import astrokeras as ak
    >>> from astrokeras.streaming import StreamingScorer
    >>> enc = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    >>> scorer = StreamingScorer(enc, tokenizer=ak.Tokenizer())  # state_store="states.sqlite" on disk
    >>> night1 = ak.LightCurves(["sn1", "sn1"], [59000.0, 59001.0], ["ztf::g", "ztf::r"], [50.0, 60.0], [5.0, 5.0])
    >>> night2 = ak.LightCurves(["sn1"], [59003.0], ["ztf::g"], [80.0], [5.0])
    >>> _ = scorer.update(night1)
    >>> result = scorer.update(night2)
    >>> result.path.tolist(), result.n_points.tolist()
    (['incremental'], [3])
"""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import pandas as pd

from astrokeras.numpy_forward import NotStreamableError, NumpyGRUEncoder, NumpyHead, model_fingerprint
from astrokeras.photometry import LightCurveError, LightCurves
from astrokeras.state_store import ObjectState, StateStore
from astrokeras.tokens import Tokenizer

__all__ = ["NotStreamableError", "RecomputeRequired", "StreamingResult", "StreamingScorer"]


class RecomputeRequired(RuntimeError):
    """An update needs the object's history re-embedded and ``allow_recompute=False``."""


@dataclasses.dataclass
class StreamingResult:
    """Scores of the objects of one update, in the update's object order.

    Attributes:
        object_ids: ids.
        n_points: observations kept per object after the update.
        latent: ``(n, latent_dim)`` float32 latents of each object's whole history.
        outputs: ``(n, ...)`` head outputs (class probabilities, ...) or ``None`` without a head.
        path: per object ``"incremental"`` (stepped from the stored state), ``"recomputed"``
            (history re-embedded, see the module table), ``"frozen"`` (beyond a ``"first"``
            window) or ``"unchanged"`` (only repeated points).
        n_duplicates: observations dropped as repeats of a kept (time, band).
        class_names: column names of ``outputs`` (classifiers), or ``None``.
    """

    object_ids: np.ndarray
    n_points: np.ndarray
    latent: np.ndarray
    outputs: np.ndarray | None
    path: np.ndarray
    n_duplicates: int = 0
    class_names: list[str] | None = None

    def __len__(self) -> int:
        return len(self.object_ids)

    def to_frame(self, latent: bool = False) -> pd.DataFrame:
        """One row per object: ``object_id``, ``n_points``, ``path``, the outputs (one column per
        class and ``predicted_class`` for classifiers, ``output_i`` otherwise), ``z_i`` with ``latent``."""
        frame = pd.DataFrame({"object_id": self.object_ids, "n_points": self.n_points, "path": self.path})
        if self.outputs is not None:
            out = self.outputs.reshape(len(self.outputs), -1)
            names = self.class_names or [f"output_{i}" for i in range(out.shape[1])]
            for i, name in enumerate(names):
                frame[name] = out[:, i]
            if self.class_names:
                frame["predicted_class"] = np.asarray(names, dtype=object)[out.argmax(axis=1)] if len(out) else []
        if latent:
            for i in range(self.latent.shape[1]):
                frame[f"z_{i}"] = self.latent[:, i]
        return frame


def _head_of(model: keras.Model):
    """The layers after the encoder in a task model (its head, a chain)."""
    layers = list(model.layers)
    return layers[layers.index(model.encoder) + 1:]


def _scale(flux_max_abs: float, err_min: float) -> float:
    """The tokenizer's per-object scale: max |flux| floored at the smallest positive error."""
    peak = max(flux_max_abs, err_min if np.isfinite(err_min) else 0.0)
    return peak if peak > 0 else 1.0


class StreamingScorer:
    """Keeps each object's GRU state; scores new alerts in O(new points) (see module docstring).

    Args:
        encoder: a :class:`~astrokeras.models.GRUEncoder`, or a task model (e.g. a
            :class:`~astrokeras.models.Classifier` from :func:`~astrokeras.downstream.attach_head`
            or ``load_model``), whose encoder and head are then used.
        head: a head on latents (e.g. from :func:`~astrokeras.downstream.fit_head`); not with a
            task model. ``None``: latents only.
        tokenizer: the tokenizer the encoder was trained with; default the task model's, the
            preset's (``GRUEncoder.from_preset``), else ``Tokenizer()``.
        state_store: a :class:`StateStore`, a path to its SQLite file, or ``None`` (in memory).
        class_names: names of the head's outputs (default: the task model's).
        allow_recompute: ``False``: raise :class:`RecomputeRequired` instead of re-embedding.
        verify: check once, on random tokens, that the NumPy forward pass reproduces Keras.

    Raises:
        NotStreamableError: the encoder is not causal (see :mod:`astrokeras.numpy_forward`).
        StateStoreMismatch: the store belongs to another encoder or tokenizer.
    """

    def __init__(self, encoder: keras.Model, head: keras.Model | None = None, *, tokenizer=None,
                 state_store: StateStore | str | os.PathLike | None = None, class_names=None,
                 allow_recompute: bool = True, verify: bool = True):
        from astrokeras.models.task import Task, as_tokenizer

        task = encoder if isinstance(encoder, Task) else None
        if task is not None:
            if head is not None:
                raise ValueError("StreamingScorer: give a task model or an encoder + head, not both")
            encoder = task.encoder
            head_layers = _head_of(task)
            class_names = class_names or getattr(task, "class_names", None)
        else:
            head_layers = None if head is None else list(head.layers)
        tokenizer = (as_tokenizer(tokenizer) or getattr(task, "tokenizer", None)
                     or getattr(encoder, "preset_tokenizer", None) or Tokenizer())
        self.encoder_model, self.task_model, self.head_model = encoder, task, head
        self.tokenizer = tokenizer
        self.forward = NumpyGRUEncoder(encoder)
        if self.forward.n_features != tokenizer.n_features:
            raise ValueError(f"encoder {encoder.name!r} reads {self.forward.n_features} features per token, "
                             f"the tokenizer makes {tokenizer.n_features} (include_flux_err does not match)")
        self.head = None if head_layers is None else NumpyHead(head_layers, "head")
        self.class_names = None if class_names is None else list(class_names)
        self.allow_recompute = bool(allow_recompute)
        self.store = state_store if isinstance(state_store, StateStore) else StateStore(state_store)
        self.store.bind({"encoder_sha256": model_fingerprint(encoder), "tokenizer": tokenizer.get_config()})
        if verify:
            self._verify()

    def _verify(self) -> None:
        rng = np.random.default_rng(0)
        x = {"values": rng.normal(size=(2, 6, self.forward.n_features)).astype(np.float32),
             "mask": np.array([[True] * 6, [True] * 3 + [False] * 3])}
        model = self.task_model or self.encoder_model
        want = np.asarray(model.predict_on_batch(x), np.float32)
        if self.head_model is not None:
            want = np.asarray(self.head_model.predict_on_batch(want), np.float32)
        got = self._outputs(self.forward.embed(x["values"], x["mask"])[1])
        got = got if got is not None else self.forward.embed(x["values"], x["mask"])[1]
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-4):
            raise NotStreamableError(
                f"the NumPy forward pass of {model.name!r} does not reproduce Keras (max |diff| "
                f"{np.max(np.abs(got - want)) if got.shape == want.shape else got.shape}): an unsupported layer?")

    def _outputs(self, latent: np.ndarray) -> np.ndarray | None:
        if self.head is None:
            return None
        if len(latent) == 0:
            return np.zeros((0,) + self.head(np.zeros((1, latent.shape[1]), np.float32)).shape[1:], np.float32)
        return self.head(latent)

    # ------------------------------------------------------------------ tokens
    def _tokens(self, time, band_code, flux, flux_err, t0: float, scale: float) -> np.ndarray:
        """Tokens of new points, exactly as :meth:`Tokenizer.tokenize` makes them."""
        rel_time = (time - t0) / self.tokenizer.time_scale_days
        return self.tokenizer.point_channels(rel_time, band_code, flux, flux_err, scale)

    # ------------------------------------------------------------------ update
    def update(self, data, *, survey: str | None = None, aliases=None) -> StreamingResult:
        """Add new observations of any number of objects; return their updated scores.

        Args:
            data: the new observations: :class:`~astrokeras.photometry.LightCurves` or a table
                (:meth:`LightCurves.from_table`: DataFrame, dict of arrays, ...). Points already
                kept for an object (same time and band) are dropped.
            survey, aliases: passed to :meth:`LightCurves.from_table` for tables.

        Returns:
            A :class:`StreamingResult` for the objects in ``data``. The store is updated in one
            transaction: if this raises, nothing was written.

        Raises:
            LightCurveError: non-finite values (naming the object).
            RecomputeRequired: ``allow_recompute=False`` and an object needs its history re-embedded.
        """
        lcs = data if isinstance(data, LightCurves) else LightCurves.from_table(data, aliases=aliases, survey=survey)
        self.tokenizer.check_observations(lcs)
        L = int(self.tokenizer.max_length)
        ids = [str(o) for o in lcs.object_ids]
        states = self.store.load(ids)
        starts = lcs.offsets
        first_new = lcs.time_mjd[starts[:-1]] if len(ids) else np.zeros(0)
        history = self.store.history([o for i, o in enumerate(ids)
                                      if o in states and first_new[i] <= states[o].last_time])
        n_dup = 0
        plans = []  # (object_id, prev state, kept row indices, path, n used for incremental)
        for i, oid in enumerate(ids):
            rows = np.arange(starts[i], starts[i + 1])
            prev = states.get(oid)
            if len(rows) > 1 or oid in history:  # drop repeats of a kept (time, band)
                seen = set()
                if oid in history:
                    h = history[oid]
                    seen = set(zip(h["time_mjd"].tolist(), h["band"].tolist()))
                keep = []
                for j in rows:
                    key = (float(lcs.time_mjd[j]), lcs.band[j])
                    if key not in seen:
                        seen.add(key)
                        keep.append(j)
                n_dup += len(rows) - len(keep)
                rows = np.asarray(keep, dtype=np.int64)
            plans.append(self._plan(oid, prev, rows, lcs, L))
        recompute = [p for p in plans if p[3] == "recomputed"]
        if recompute and not self.allow_recompute:
            oid, reason = recompute[0][0], recompute[0][5]
            raise RecomputeRequired(f"object {oid!r}: {reason}; the update needs its history re-embedded "
                                    f"({len(recompute)} objects in this batch) and allow_recompute=False")
        new_states: dict[str, ObjectState] = {}
        points = []
        for oid, prev, rows, path, _, _ in plans:
            n0 = prev.n_points if prev is not None else 0
            points += [(oid, n0 + k, float(lcs.time_mjd[j]), str(lcs.band[j]), float(lcs.flux[j]),
                        float(lcs.flux_err[j])) for k, j in enumerate(rows)]
        self._incremental([p for p in plans if p[3] == "incremental"], lcs, new_states, L)
        self._recompute(recompute, lcs, history, new_states, L)
        for oid, prev, rows, path, _, _ in plans:
            if path == "frozen":
                new_states[oid] = dataclasses.replace(prev, n_points=prev.n_points + len(rows), windowed=True,
                                                      last_time=max(prev.last_time, float(lcs.time_mjd[rows].max())))
        self.store.commit(list(new_states.values()), points)
        latent = np.stack([(new_states.get(o) or states[o]).latent for o in ids]) if ids else np.zeros(
            (0, self.forward.latent_dim), np.float32)
        n_points = np.array([(new_states.get(o) or states[o]).n_points for o in ids], dtype=np.int64)
        return StreamingResult(np.asarray(ids, dtype=object), n_points, latent, self._outputs(latent),
                               np.asarray([p[3] for p in plans], dtype=object), n_dup, self.class_names)

    def _plan(self, oid, prev: ObjectState | None, rows: np.ndarray, lcs: LightCurves, L: int):
        """(id, prev, rows, path, n_used, reason) for one object's new (deduplicated) rows."""
        tok = self.tokenizer
        if len(rows) == 0:
            if prev is None:  # cannot happen: an object in the batch has >= 1 new row
                raise LightCurveError(f"object {oid!r}: no observation")  # pragma: no cover
            return (oid, prev, rows, "unchanged", 0, "")
        n0 = prev.n_points if prev is not None else 0
        if prev is not None and lcs.time_mjd[rows].min() < prev.last_time:
            return (oid, prev, rows, "recomputed", 0, "a point earlier than the latest kept one")
        used = len(rows)
        if n0 + len(rows) > L:
            if tok.window != "first":
                return (oid, prev, rows, "recomputed", 0,
                        f"longer than max_length={L}: the {tok.window!r} window moves")
            used = max(0, L - n0)
            if used == 0:
                return (oid, prev, rows, "frozen", 0, "")
        if tok.normalization == "per_object" and prev is not None:
            u = rows[:used]
            err = lcs.flux_err[u]
            err = err[err > 0]
            new_max = max(prev.flux_max_abs, float(np.abs(lcs.flux[u]).max()))
            new_min = min(prev.err_min, float(err.min()) if len(err) else np.inf)
            if _scale(new_max, new_min) != _scale(prev.flux_max_abs, prev.err_min):
                return (oid, prev, rows, "recomputed", 0, "the per-object flux scale changed")
        return (oid, prev, rows, "incremental", used, "")

    def _incremental(self, plans, lcs: LightCurves, new_states: dict, L: int) -> None:
        if not plans:
            return
        k = max(p[4] for p in plans)
        values = np.zeros((len(plans), k, self.forward.n_features), np.float32)
        mask = np.zeros((len(plans), k), bool)
        hidden = self.forward.zero_state(len(plans))
        meta = []
        for b, (oid, prev, rows, _, used, _) in enumerate(plans):
            u = rows[:used]
            t0 = prev.t0 if prev is not None else float(lcs.time_mjd[u[0]])
            err = lcs.flux_err[u]
            err = err[err > 0]
            fmax = max(prev.flux_max_abs if prev else 0.0, float(np.abs(lcs.flux[u]).max()))
            emin = min(prev.err_min if prev else np.inf, float(err.min()) if len(err) else np.inf)
            values[b, :used] = self._tokens(lcs.time_mjd[u], lcs.band_code[u], lcs.flux[u], lcs.flux_err[u],
                                            t0, _scale(fmax, emin))
            mask[b, :used] = True
            if prev is not None:
                hidden[b] = prev.hidden
            meta.append((t0, fmax, emin))
        hidden = self.forward.step(hidden, values, mask)
        latent = self.forward.readout(hidden)
        for b, (oid, prev, rows, _, _, _) in enumerate(plans):
            n = (prev.n_points if prev else 0) + len(rows)
            last = max(prev.last_time if prev else -np.inf, float(lcs.time_mjd[rows].max()))
            t0, fmax, emin = meta[b]
            new_states[oid] = ObjectState(oid, n, t0, last, fmax, emin, n > L, hidden[b].copy(), latent[b].copy())

    def _recompute(self, plans, lcs: LightCurves, history: dict, new_states: dict, L: int) -> None:
        """Re-embed each object's whole (windowed) history with the tokenizer, from the zero state."""
        if not plans:
            return
        missing = [p[0] for p in plans if p[1] is not None and p[0] not in history]
        history = {**history, **self.store.history(missing)}
        cols = {"object_id": [], "time_mjd": [], "band": [], "flux": [], "flux_err": []}
        for oid, prev, rows, _, _, _ in plans:
            h = history.get(oid) if prev is not None else None
            parts = [h] if h is not None else []
            parts.append({"time_mjd": lcs.time_mjd[rows], "band": lcs.band[rows], "flux": lcs.flux[rows],
                          "flux_err": lcs.flux_err[rows]})
            for key in ("time_mjd", "band", "flux", "flux_err"):
                cols[key].append(np.concatenate([p[key] for p in parts]))
            cols["object_id"].append(np.full(len(cols["time_mjd"][-1]), oid, dtype=object))
        full = LightCurves(*(np.concatenate(cols[k]) for k in ("object_id", "time_mjd", "band", "flux", "flux_err")))
        tokens = self.tokenizer.tokenize(full)
        padded = tokens.padded()
        hidden, latent = self.forward.embed(padded["values"], padded["mask"])
        for i, oid in enumerate(full.object_ids):
            s, e = full.offsets[i], full.offsets[i + 1]
            n = int(e - s)
            kept = slice(s, s + min(n, L))  # the points in the tokens when the state is reusable
            err = full.flux_err[kept]
            err = err[err > 0]
            new_states[oid] = ObjectState(
                str(oid), n, float(full.time_mjd[s]), float(full.time_mjd[s:e].max()),
                float(np.abs(full.flux[kept]).max()), float(err.min()) if len(err) else np.inf,
                n > L, hidden[i].copy(), latent[i].copy())

    # ------------------------------------------------------------------- query
    def scores(self, object_ids) -> StreamingResult:
        """The current scores of known objects (from the store, nothing recomputed).

        Raises:
            KeyError: an object the scorer has never seen.
        """
        ids = [str(o) for o in object_ids]
        states = self.store.load(ids)
        unknown = [o for o in ids if o not in states]
        if unknown:
            raise KeyError(f"no state for {len(unknown)} objects, e.g. {unknown[:3]}")
        latent = (np.stack([states[o].latent for o in ids]) if ids
                  else np.zeros((0, self.forward.latent_dim), np.float32))
        return StreamingResult(np.asarray(ids, dtype=object), np.array([states[o].n_points for o in ids], np.int64),
                               latent, self._outputs(latent), np.full(len(ids), "stored", dtype=object), 0,
                               self.class_names)
