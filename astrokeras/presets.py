"""Released encoders: list, verify and load the pretrained models in ``saved_models/``.

Each released encoder is a ``NAME.keras`` file with a JSON sidecar ``NAME.json`` that records how it
was made (recipe, command, data preset and seed, package/Keras versions, backend), its validation
metrics and the file's sha256. :func:`load_encoder` checks the checksum before loading, so a
corrupted or replaced file gives a clear error instead of silently different numbers.

A sidecar is not trusted as is: :func:`encoder_info` checks it against :data:`SIDECAR_SCHEMA`
(types of the keys the package uses; ``sha256`` required), keeps its ``"file"`` inside the models
folder (no absolute paths, no ``..``), and compares its ``tokenizer`` block with the
``tokenizer_sha256`` recorded when it was written, so an edited ``flux_scale`` cannot silently
change the latents. Every problem is a :class:`SidecarError` naming the file and the key.

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
import re

__all__ = ["list_encoders", "load_encoder", "encoder_info", "models_dir", "write_sidecar",
           "sha256_file", "ChecksumError", "SidecarError", "SIDECAR_SCHEMA", "tokenizer_sha256",
           "validate_sidecar"]


class ChecksumError(OSError):
    """A released model file does not match the checksum in its sidecar."""


class SidecarError(ValueError):
    """A released model's JSON sidecar is malformed; the message names the file and the key."""


_NUMBER = (int, float)
#: key -> (accepted JSON types, required). Keys not listed are free-form provenance.
SIDECAR_SCHEMA: dict[str, tuple[tuple[type, ...], bool]] = {
    "sha256": ((str,), True),
    "file": ((str,), False),
    "name": ((str,), False),
    "tokenizer": ((dict,), False),
    "tokenizer_sha256": ((str,), False),
    "class_names": ((list,), False),
    "surveys": ((list,), False),
    "data_presets": ((list,), False),
    "validation_metrics": ((dict,), False),
    "seed": ((int, type(None)), False),
    "data_scale": (_NUMBER, False),
    "simulator_version": ((int, type(None)), False),
    "recipe": ((str,), False),
    "command": ((str,), False),
    "astrokeras_version": ((str,), False),
    "keras_version": ((str,), False),
    "backend": ((str,), False),
    "python": ((str,), False),
    "created_utc": ((str,), False),
}
#: Tokenizer block key -> accepted JSON types (values are then checked by ``Tokenizer`` itself).
_TOKENIZER_SCHEMA = {"include_flux_err": (bool,), "normalization": (str,), "flux_scale": _NUMBER,
                     "time_scale_days": _NUMBER, "max_length": (int,), "window": (str,),
                     "band_channel": (str, type(None)), "band_vocabulary": (list,)}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _type_ok(value, types: tuple) -> bool:
    if isinstance(value, bool) and bool not in types:  # JSON true is not a number here
        return False
    return isinstance(value, types)


def _type_names(types: tuple) -> str:
    names = {bool: "true/false", int: "integer", float: "number", str: "string", list: "list",
             dict: "object", type(None): "null"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def tokenizer_sha256(config: dict) -> str:
    """sha256 of a tokenizer configuration in a canonical form (defaults filled, numbers typed).

    Example:
        >>> tokenizer_sha256({"flux_scale": 10}) == tokenizer_sha256({"flux_scale": 10.0})
        True
    """
    from astrokeras.tokens import Tokenizer

    full = Tokenizer(**config).get_config()
    for key in ("flux_scale", "time_scale_days"):
        full[key] = float(full[key])
    full["max_length"] = int(full["max_length"])
    text = json.dumps(full, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def validate_sidecar(info, path: str = "<sidecar>") -> dict:
    """Check a sidecar's content against :data:`SIDECAR_SCHEMA`; returns it unchanged.

    Raises:
        SidecarError: naming ``path`` and the offending key.

    Example:
        >>> validate_sidecar({"sha256": "0" * 64, "file": "../x.keras"})
        Traceback (most recent call last):
        ...
        astrokeras.presets.SidecarError: <sidecar>: key 'file' = '../x.keras' must be a file name inside the models folder (no absolute path, no '..')
    """
    if not isinstance(info, dict):
        raise SidecarError(f"{path}: a sidecar must be a JSON object, got {type(info).__name__}")
    for key, (types, required) in SIDECAR_SCHEMA.items():
        if key not in info:
            if required:
                raise SidecarError(f"{path}: required key {key!r} is missing")
            continue
        if not _type_ok(info[key], types):
            raise SidecarError(f"{path}: key {key!r} must be {_type_names(types)}, got {info[key]!r}")
    for key in ("sha256", "tokenizer_sha256"):
        if key in info and not _SHA256.match(info[key]):
            raise SidecarError(f"{path}: key {key!r} must be 64 lower-case hex digits, got {info[key]!r}")
    for key in ("class_names", "surveys", "data_presets"):
        if key in info and not all(isinstance(v, str) for v in info[key]):
            raise SidecarError(f"{path}: key {key!r} must be a list of strings")
    if "file" in info:
        _confined_name(info["file"], path)
    tok = info.get("tokenizer")
    if tok is not None:
        for key, value in tok.items():
            if key not in _TOKENIZER_SCHEMA:
                raise SidecarError(f"{path}: key 'tokenizer.{key}' is not a Tokenizer setting "
                                   f"({', '.join(_TOKENIZER_SCHEMA)})")
            if not _type_ok(value, _TOKENIZER_SCHEMA[key]):
                raise SidecarError(f"{path}: key 'tokenizer.{key}' must be "
                                   f"{_type_names(_TOKENIZER_SCHEMA[key])}, got {value!r}")
        try:
            digest = tokenizer_sha256(tok)
        except (TypeError, ValueError) as err:
            raise SidecarError(f"{path}: key 'tokenizer' is not a valid Tokenizer configuration: {err}") from None
        if "tokenizer_sha256" in info and info["tokenizer_sha256"] != digest:
            raise SidecarError(
                f"{path}: key 'tokenizer' was edited after the model was written (its sha256 {digest[:12]}... differs "
                f"from tokenizer_sha256 {info['tokenizer_sha256'][:12]}...); the encoder was trained with the "
                "recorded settings. Restore the sidecar (git checkout saved_models/) instead of editing it.")
    elif "tokenizer_sha256" in info:
        raise SidecarError(f"{path}: key 'tokenizer' is missing but 'tokenizer_sha256' is recorded")
    return info


def _confined_name(name: str, path: str) -> str:
    """``name`` if it is a plain relative path that stays inside its folder, else SidecarError."""
    parts = re.split(r"[\\/]", name)
    if (not name or os.path.isabs(name) or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name)
            or ".." in parts or "" in parts):
        raise SidecarError(f"{path}: key 'file' = {name!r} must be a file name inside the models folder "
                           "(no absolute path, no '..')")
    return name


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


def _check_name(name: str, d: str) -> None:
    if not isinstance(name, str) or not name or re.search(r"[\\/]", name) or name in (".", ".."):
        raise KeyError(f"{name!r} is not a released encoder name (a plain name, no path); "
                       f"available: {list_encoders(d)}")


def encoder_info(name: str, models_dir_: str | None = None) -> dict:
    """The sidecar of a released encoder (how it was made, metrics, checksum), validated.

    Raises:
        KeyError: unknown name (the message lists the available ones).
        SidecarError: malformed JSON or content (see :func:`validate_sidecar`), naming the file.
    """
    d = models_dir(models_dir_)
    _check_name(name, d)
    path = os.path.join(d, f"{name}.json")
    if not os.path.exists(path):
        raise KeyError(f"no released encoder {name!r} in {d}; available: {list_encoders(d)}")
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
    except json.JSONDecodeError as err:
        raise SidecarError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); "
                           "restore it (git checkout saved_models/) or rewrite it with write_sidecar()") from None
    except UnicodeDecodeError as err:
        raise SidecarError(f"{path}: not UTF-8 text ({err})") from None
    return validate_sidecar(info, path)


def _model_path(name: str, info: dict, d: str) -> str:
    """The model file of a sidecar, confined to the models folder ``d``."""
    file = _confined_name(info.get("file", f"{name}.keras"), os.path.join(d, f"{name}.json"))
    path = os.path.join(d, file)
    root = os.path.abspath(d)
    if os.path.commonpath([root, os.path.abspath(path)]) != root:  # pragma: no cover - _confined_name
        raise SidecarError(f"{os.path.join(d, name + '.json')}: key 'file' = {file!r} resolves outside the "
                           f"models folder {d}")
    return path


def load_encoder(name: str, models_dir_: str | None = None, *, verify: bool = True, compile: bool = False):
    """Load a released encoder (a ``keras.Model``) after verifying its sidecar and sha256.

    Args:
        name: one of :func:`list_encoders`.
        models_dir_: folder override.
        verify: check the checksum recorded in the sidecar (default True).
        compile: passed to ``keras.models.load_model``.

    Raises:
        KeyError: unknown name (the message lists the available ones).
        SidecarError: a malformed sidecar, or a ``file`` outside the models folder.
        ChecksumError: the file does not match its sidecar.
    """
    import keras

    import astrokeras  # noqa: F401  registers every serialisable class

    info = encoder_info(name, models_dir_)
    path = _model_path(name, info, models_dir(models_dir_))
    if verify:
        actual = sha256_file(path)
        if actual != info["sha256"]:
            raise ChecksumError(
                f"released encoder {name!r}: {path} has sha256 {actual[:16]}..., but its sidecar records "
                f"{info['sha256'][:16]}...; the file is corrupted or was replaced. Restore it from the "
                "repository (git checkout saved_models/) or re-run the recipe named in the sidecar.")
    encoder = keras.models.load_model(path, compile=compile)
    if info.get("tokenizer"):  # attach_head / predict_table then pair the right tokenizer automatically
        from astrokeras.tokens import Tokenizer

        encoder.preset_tokenizer = Tokenizer(**info["tokenizer"])
    return encoder


def write_sidecar(model_path: str, **fields) -> str:
    """Write ``<model>.json`` next to a saved ``.keras`` file with provenance and its sha256.

    A ``tokenizer`` block (a dict) gets its ``tokenizer_sha256``; the sidecar is validated
    (:func:`validate_sidecar`) and written atomically (temporary file + rename).
    """
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
    if isinstance(info.get("tokenizer"), dict):
        info["tokenizer_sha256"] = tokenizer_sha256(info["tokenizer"])
    path = model_path[: -len(".keras")] + ".json"
    info = json.loads(json.dumps(info, default=str))  # what will be read back
    validate_sidecar(info, path)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
