"""Caches that cannot lie: content-addressed keys, atomic writes, corrupt files rebuilt.

Recipes cache what is slow to remake (simulated sets, light-curve features). A cache must never
return data made by other code or other settings, and a run killed while writing must not leave a
file that breaks the next run. So:

* the file name carries :func:`cache_key`: a hash of the configuration **and** of the code version
  (the package version plus a constant such as ``SIMULATOR_VERSION`` that is bumped whenever the
  producing code changes its output);
* every write goes to a temporary file in the same folder and is renamed into place
  (:func:`atomic_write`), so readers see the old file or the whole new one;
* a file that cannot be read is reported, deleted and rebuilt (:func:`cached`).

Example:
    >>> import os, tempfile, pandas as pd
    >>> d = tempfile.mkdtemp()
    >>> build = lambda: pd.DataFrame({"a": [1, 2]})
    >>> key = cache_key("demo", {"n": 2}, code_version=1)
    >>> cached(os.path.join(d, f"demo_{key}.parquet"), build, pd.read_parquet,
    ...        lambda df, p: atomic_write(p, df.to_parquet)).a.tolist()
    [1, 2]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from typing import Any, Callable

__all__ = ["cache_key", "atomic_write", "atomic_write_text", "cached", "cached_light_curves", "write_light_curves",
           "read_pickle", "write_pickle"]


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("astrokeras")
    except Exception:  # not installed (a source checkout on sys.path)
        return "source"


def cache_key(kind: str, config: Any, code_version: Any) -> str:
    """A 16-hex-digit key from ``kind``, a JSON-able ``config`` and the producing code's version."""
    payload = json.dumps({"kind": kind, "config": config, "code_version": code_version,
                          "package": _package_version()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def atomic_write(path: str, write: Callable[[str], None]) -> str:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path`` (same folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    base = os.path.basename(path)
    # the temporary name ends with the final name, so writers that check extensions accept it
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix="_" + base, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def atomic_write_text(path: str, text: str) -> str:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return atomic_write(path, write)


def cached(path: str, build: Callable[[], Any], read: Callable[[str], Any], write: Callable[[Any, str], None],
           log: Callable[[str], None] | None = None) -> Any:
    """Read ``path`` if it holds a readable cache, else ``build()`` and ``write(value, path)``.

    ``write`` must be atomic (use :func:`atomic_write`).

    A file that exists but cannot be read (truncated, corrupt) is reported through ``log``
    (default: stderr), removed and rebuilt.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if os.path.exists(path):
        try:
            return read(path)
        except Exception as err:  # any read failure means the file cannot be trusted
            log(f"cache file {path} is unreadable ({type(err).__name__}: {err}); rebuilding it")
            os.remove(path)
    value = build()
    write(value, path)
    return value


def cached_light_curves(folder: str, name: str, config: dict, build: Callable[[], Any],
                        log: Callable[[str], None] | None = None):
    """Simulated light curves cached as ``folder/{name}_{key}.parquet``.

    The key includes :data:`astrokeras.simulation.SIMULATOR_VERSION`; sets holding periodic variables
    (a label in :data:`~astrokeras.simulation.VARIABLE_CLASSES`) are stored under a second key that
    also includes :data:`~astrokeras.simulation.variables.VARIABLES_VERSION`, so a change to the
    variable-star code never returns stale variable curves, while transient-only caches keep their
    key. A file found under the transient-only key that holds variables is not trusted (rebuilt).
    """
    from astrokeras.photometry import LightCurves
    from astrokeras.simulation import SIMULATOR_VERSION
    from astrokeras.simulation.variables import VARIABLE_CLASSES, VARIABLES_VERSION

    def has_variables(lcs) -> bool:
        labels = lcs.metadata["label"].astype(str) if "label" in lcs.metadata else ()
        return bool(set(labels) & set(VARIABLE_CLASSES))

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    plain = os.path.join(folder, f"{name}_{cache_key(name, config, SIMULATOR_VERSION)}.parquet")
    with_var = os.path.join(folder, f"{name}_{cache_key(name, config, [SIMULATOR_VERSION, VARIABLES_VERSION])}.parquet")
    if os.path.exists(with_var):
        return cached(with_var, build, LightCurves.read_parquet, write_light_curves, log)
    if os.path.exists(plain):
        try:
            value = LightCurves.read_parquet(plain)
        except Exception as err:  # any read failure means the file cannot be trusted
            log(f"cache file {plain} is unreadable ({type(err).__name__}: {err}); rebuilding it")
            os.remove(plain)
        else:
            if not has_variables(value):
                return value
            log(f"cache file {plain} holds periodic variables under a key without VARIABLES_VERSION; "
                "not reused")
    value = build()
    write_light_curves(value, with_var if has_variables(value) else plain)
    return value


def write_light_curves(lcs, path: str) -> None:
    """Write :meth:`LightCurves.to_parquet`'s two files atomically: metadata first, then the
    photometry file, whose presence therefore means both are complete."""
    from astrokeras.photometry import _meta_path

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=".tmp_", dir=folder)
    try:
        tmp = os.path.join(tmpdir, os.path.basename(path))
        lcs.to_parquet(tmp)
        os.replace(_meta_path(tmp), _meta_path(path))
        os.replace(tmp, path)
    finally:
        for name in os.listdir(tmpdir):
            os.remove(os.path.join(tmpdir, name))
        os.rmdir(tmpdir)


def read_pickle(path: str) -> Any:
    """Load a pickle written by :func:`write_pickle` (only for caches this package wrote itself)."""
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)


def write_pickle(value: Any, path: str) -> None:
    """Pickle ``value`` to ``path`` atomically (temporary file + rename); the ``write`` of :func:`cached`.

    Example: ``cached(path, build, read_pickle, write_pickle)``.
    """
    import pickle

    def write(tmp):
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh)
    atomic_write(path, write)
