"""Released encoders: list, verify and load the pretrained models in ``saved_models/``.

Each released encoder is a ``NAME.keras`` file with a JSON sidecar ``NAME.json`` that records how it
was made (recipe, command, data preset and seed, package/Keras versions, backend), its validation
metrics and the file's sha256. :func:`load_encoder` checks the checksum before loading, so a
corrupted or replaced file gives a clear error instead of silently different numbers.

The folder is looked up in order: the ``models_dir`` argument, ``$ASTROKERAS_MODELS``, the
``saved_models/`` folder next to the package (a source checkout or editable install), the copy a
normal ``pip install`` puts in ``<prefix>/share/astrokeras/saved_models`` (the install's prefix,
``--target``/``--prefix`` folder, ``sys.prefix`` or the user base), and
``<data home>/saved_models``.

Example:
    >>> import astrokeras
    >>> names = astrokeras.list_encoders()            # doctest: +SKIP
    >>> encoder = astrokeras.load_encoder(names[0])   # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform

__all__ = ["list_encoders", "load_encoder", "encoder_info", "models_dir", "write_sidecar",
           "sha256_file", "ChecksumError"]


class ChecksumError(OSError):
    """A released model file does not match the checksum in its sidecar."""


def sha256_file(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Where a normal install puts the released encoders, relative to an installation prefix
#: (``[options.data_files]`` in setup.cfg).
INSTALLED_MODELS_SUBDIR = os.path.join("share", "astrokeras", "saved_models")


def _installed_dirs() -> list[str]:
    """``<prefix>/share/astrokeras/saved_models`` for the prefixes this package may come from."""
    import site
    import sys
    import sysconfig

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # site-packages or --target
    prefixes = [root, os.path.normpath(os.path.join(root, os.pardir, os.pardir, os.pardir)),  # --prefix
                sysconfig.get_path("data"), sys.prefix, site.getuserbase()]
    dirs = []
    for prefix in prefixes:
        d = os.path.join(prefix, INSTALLED_MODELS_SUBDIR)
        if prefix and d not in dirs:
            dirs.append(d)
    return dirs


def _candidate_dirs(models_dir: str | None) -> list[str]:
    from astrokeras.datasets.home import get_data_home

    dirs = []
    if models_dir is not None:
        return [os.fspath(models_dir)]
    if os.environ.get("ASTROKERAS_MODELS"):
        dirs.append(os.environ["ASTROKERAS_MODELS"])
    dirs.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models"))
    dirs += _installed_dirs()
    dirs.append(os.path.join(get_data_home(), "saved_models"))
    return dirs


def models_dir(models_dir: str | None = None) -> str:
    """The first existing released-models folder (see module docstring).

    Raises:
        FileNotFoundError: none exists; the message lists where it looked and the two settings
            (``models_dir=`` and ``$ASTROKERAS_MODELS``) that point elsewhere.
    """
    dirs = _candidate_dirs(models_dir)
    for d in dirs:
        if os.path.isdir(d):
            return d
    raise FileNotFoundError(
        f"no released-models folder found; looked in {dirs}. Pass models_dir='/path/to/saved_models' or set "
        "ASTROKERAS_MODELS to a folder holding NAME.keras + NAME.json (the repository's saved_models/); a "
        "normal `pip install astrokeras` installs them into <prefix>/share/astrokeras/saved_models "
        "(models_dir=None searches there)")


def list_encoders(models_dir_: str | None = None) -> list[str]:
    """Names of the released encoders that have both a ``.keras`` file and a sidecar."""
    d = models_dir(models_dir_)
    return sorted(f[:-5] for f in os.listdir(d)
                  if f.endswith(".json") and os.path.exists(os.path.join(d, f[:-5] + ".keras")))


def encoder_info(name: str, models_dir_: str | None = None) -> dict:
    """The sidecar of a released encoder (how it was made, metrics, checksum)."""
    d = models_dir(models_dir_)
    path = os.path.join(d, f"{name}.json")
    if not os.path.exists(path):
        raise KeyError(f"no released encoder {name!r} in {d}; available: {list_encoders(d)}")
    with open(path) as fh:
        return json.load(fh)


def load_encoder(name: str, models_dir_: str | None = None, *, verify: bool = True, compile: bool = False):
    """Load a released encoder (a ``keras.Model``) after verifying its sha256.

    Args:
        name: one of :func:`list_encoders`.
        models_dir_: folder override.
        verify: check the checksum recorded in the sidecar (default True).
        compile: passed to ``keras.models.load_model``.

    Raises:
        KeyError: unknown name (the message lists the available ones).
        ChecksumError: the file does not match its sidecar.
    """
    import keras

    import astrokeras  # noqa: F401  registers every serialisable class

    info = encoder_info(name, models_dir_)
    path = os.path.join(models_dir(models_dir_), info.get("file", f"{name}.keras"))
    if verify:
        actual = sha256_file(path)
        if actual != info["sha256"]:
            raise ChecksumError(
                f"released encoder {name!r}: {path} has sha256 {actual[:16]}..., but its sidecar records "
                f"{info['sha256'][:16]}...; the file is corrupted or was replaced. Restore it from the "
                "repository (git checkout saved_models/) or re-run the recipe named in the sidecar.")
    return keras.models.load_model(path, compile=compile)


def write_sidecar(model_path: str, **fields) -> str:
    """Write ``<model>.json`` next to a saved ``.keras`` file with provenance and its sha256."""
    import keras

    import astrokeras

    info = {
        "name": os.path.basename(model_path)[: -len(".keras")],
        "file": os.path.basename(model_path),
        "sha256": sha256_file(model_path),
        "astrokeras_version": astrokeras.__version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }
    path = model_path[: -len(".keras")] + ".json"
    with open(path, "w") as fh:
        json.dump(info, fh, indent=1, sort_keys=True, default=str)
        fh.write("\n")
    return path
