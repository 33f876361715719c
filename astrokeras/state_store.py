"""On-disk state of an incremental scorer: one SQLite file, one transaction per update.

:class:`~astrokeras.streaming.StreamingScorer` keeps, per object, the GRU hidden state(s) after
its last observation, what the tokenizer needs to make the next token (time of the first
observation, the largest |flux| and smallest error seen, for ``normalization="per_object"``), the
latest latent, and the object's deduplicated observations in arrival order (read only for the
exact fallbacks: an out-of-order point, a changed per-object scale, a curve longer than
``max_length``). The store is a single SQLite file:

* every :meth:`StateStore.commit` is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``,
  write-ahead log): a process killed at any instant leaves the file as it was after the last
  finished update, never half of one (SQLite's atomic commit does what temp file +
  ``os.replace`` does for single files);
* the store records the encoder's fingerprint (sha256 of its config and weights) and the
  tokenizer settings; opening it with another encoder or tokenizer is an error, not garbage.

``path=None`` keeps the store in memory (same code, nothing on disk).

Example:
    >>> import numpy as np
    >>> store = StateStore()                       # in memory; StateStore("states.sqlite") on disk
    >>> store.bind({"encoder_sha256": "abc", "tokenizer": {}})
    >>> s = ObjectState("ZTF1", n_points=1, t0=59000.0, last_time=59000.0, flux_max_abs=5.0,
    ...                 err_min=1.0, windowed=False, hidden=np.zeros(4, np.float32),
    ...                 latent=np.ones(2, np.float32))
    >>> store.commit([s], [("ZTF1", 0, 59000.0, "ztf::g", 5.0, 1.0)])
    >>> store.load(["ZTF1"])["ZTF1"].n_points
    1
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["ObjectState", "StateStore", "StateStoreMismatch"]

_FORMAT = 1
_CHUNK = 500  # ids per SELECT ... IN (...)


class StateStoreMismatch(ValueError):
    """The store was written by another encoder or tokenizer (or another format version)."""


@dataclasses.dataclass
class ObjectState:
    """What the scorer keeps for one object.

    Attributes:
        object_id: the object's id.
        n_points: observations kept (after deduplication).
        t0: time of the first observation, MJD (the tokenizer's time origin).
        last_time: time of the latest observation, MJD.
        flux_max_abs: largest |flux| of the observations in the tokens (per-object scale).
        err_min: smallest positive flux error of those observations (per-object scale floor).
        windowed: the curve is longer than the tokenizer's ``max_length`` (``hidden`` then
            belongs to the kept window, see :mod:`astrokeras.streaming`).
        hidden: float32 hidden states of every GRU layer, concatenated.
        latent: float32 latent of the current history.
    """

    object_id: str
    n_points: int
    t0: float
    last_time: float
    flux_max_abs: float
    err_min: float
    windowed: bool
    hidden: np.ndarray
    latent: np.ndarray


class StateStore:
    """SQLite-backed per-object state (see module docstring).

    Args:
        path: the SQLite file (created when missing), or ``None`` for an in-memory store.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = None if path is None else os.fspath(path)
        if self.path is not None:
            folder = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"StateStore: folder {folder!r} of {self.path!r} does not exist")
        self._db = sqlite3.connect(self.path or ":memory:", isolation_level=None)
        if self.path is not None:
            # WAL: a crashed writer leaves the last committed state; NORMAL sync survives process kills
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS objects (object_id TEXT PRIMARY KEY, n_points INTEGER NOT NULL,"
            " t0 REAL NOT NULL, last_time REAL NOT NULL, flux_max_abs REAL NOT NULL, err_min REAL NOT NULL,"
            " windowed INTEGER NOT NULL, hidden BLOB NOT NULL, latent BLOB NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE IF NOT EXISTS points (object_id TEXT NOT NULL, seq INTEGER NOT NULL,"
            " time_mjd REAL NOT NULL, band TEXT NOT NULL, flux REAL NOT NULL, flux_err REAL NOT NULL,"
            " PRIMARY KEY (object_id, seq)) WITHOUT ROWID;")

    def __repr__(self) -> str:
        return f"StateStore({self.path!r}, n_objects={len(self)})"

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM objects").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ identity
    def bind(self, identity: dict) -> None:
        """Record ``identity`` (encoder fingerprint, tokenizer settings) in a new store, or check it.

        Raises:
            StateStoreMismatch: the store holds states of another encoder/tokenizer.
        """
        wanted = json.dumps({"format": _FORMAT, **identity}, sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('identity', ?)", (wanted,))
            return
        if row[0] != wanted:
            have, want = json.loads(row[0]), json.loads(wanted)
            diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
            raise StateStoreMismatch(
                f"state store {self.path or ':memory:'!r} was written with other settings ({', '.join(diff)} "
                f"differ: stored {[have.get(k) for k in diff]}, now {[want.get(k) for k in diff]}); its "
                "hidden states do not belong to this encoder - use a new store file")

    # ---------------------------------------------------------------------- read
    def object_ids(self) -> list[str]:
        """Every object with a state, sorted."""
        return [r[0] for r in self._db.execute("SELECT object_id FROM objects ORDER BY object_id")]

    def load(self, object_ids: Iterable[str]) -> dict[str, ObjectState]:
        """States of those of ``object_ids`` that have one."""
        out = {}
        for chunk in _chunks(list(object_ids)):
            q = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT * FROM objects WHERE object_id IN ({q})", chunk):
                out[row[0]] = ObjectState(row[0], int(row[1]), row[2], row[3], row[4], row[5], bool(row[6]),
                                          np.frombuffer(row[7], np.float32), np.frombuffer(row[8], np.float32))
        return out

    def history(self, object_ids: Iterable[str]) -> dict[str, dict[str, np.ndarray]]:
        """Kept observations per object in arrival order: ``{"time_mjd", "band", "flux", "flux_err"}``."""
        rows: dict[str, list] = {}
        for chunk in _chunks(list(object_ids)):
            q = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT object_id, time_mjd, band, flux, flux_err FROM points "
                                        f"WHERE object_id IN ({q}) ORDER BY object_id, seq", chunk):
                rows.setdefault(row[0], []).append(row[1:])
        out = {}
        for oid, values in rows.items():
            t, b, f, e = zip(*values)
            out[oid] = {"time_mjd": np.array(t, np.float64), "band": np.array(b, dtype=object),
                        "flux": np.array(f, np.float64), "flux_err": np.array(e, np.float64)}
        return out

    # --------------------------------------------------------------------- write
    def commit(self, states: Sequence[ObjectState], points: Sequence[tuple]) -> None:
        """Write new/updated states and new observations ``(object_id, seq, time_mjd, band, flux,
        flux_err)`` in one transaction (all or nothing)."""
        rows = [(s.object_id, int(s.n_points), float(s.t0), float(s.last_time), float(s.flux_max_abs),
                 float(s.err_min), int(s.windowed), np.ascontiguousarray(s.hidden, np.float32).tobytes(),
                 np.ascontiguousarray(s.latent, np.float32).tobytes()) for s in states]
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?, ?)", points)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]
