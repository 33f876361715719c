"""Simulation folders: Parquet shards plus a manifest, written atomically and read back checked.

A folder written by ``python -m astrofm simulate`` holds ``shard-NNNNN.parquet`` (+
``.meta.parquet``) files and ``manifest.json``, which lists every shard with its size and sha256
and the arguments of the run (its *run key*). Writing is crash-safe:

1. :func:`prepare_folder` refuses a folder that holds another run (other arguments), unless
   ``overwrite``; it then removes ``manifest.json`` first, records the run key in
   ``manifest.partial.json`` and removes the old shards, so no stale shard survives a rerun;
2. each shard file is written to a temporary name and renamed into place
   (:meth:`~astrokeras.photometry.LightCurves.to_parquet`), so a killed run never leaves a truncated
   file under a shard's name;
3. :func:`write_manifest` writes ``manifest.json`` the same way, last, and removes the partial one.

:func:`read_simulation` trusts nothing: a folder without ``manifest.json`` (an interrupted run), a
shard whose size or sha256 differs from the manifest (truncated or replaced), or shard files the
manifest does not list (stale) are each a :class:`SimulationFolderError` saying what to do.

Example:
    >>> import astrokeras as ak, tempfile                                # doctest: +SKIP
    >>> from astrokeras.simulation.cli import main                         # doctest: +SKIP
    >>> out = tempfile.mkdtemp()                                          # doctest: +SKIP
    >>> main(["--survey", "ztf", "--n", "20", "--out", out])              # doctest: +SKIP
    >>> lcs = read_simulation(out)                                        # doctest: +SKIP
"""

from __future__ import annotations

import glob
import json
import os

from astrokeras.photometry import LightCurveError, LightCurves
from astrokeras.presets import sha256_file

__all__ = ["MANIFEST", "PARTIAL_MANIFEST", "SimulationFolderError", "prepare_folder", "write_shard",
           "write_manifest", "read_manifest", "read_simulation"]

MANIFEST = "manifest.json"
PARTIAL_MANIFEST = "manifest.partial.json"
_SHARD_PATTERNS = ("shard-*.parquet", ".shard-*.tmp")


class SimulationFolderError(LightCurveError):
    """A simulation folder that is incomplete, stale or belongs to another run; says what to do."""


def _shard_files(folder: str) -> list[str]:
    files = set()
    for pattern in _SHARD_PATTERNS:
        files.update(glob.glob(os.path.join(folder, pattern)))
    return sorted(files)


def _atomic_json(path: str, obj: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except json.JSONDecodeError as err:
        raise SimulationFolderError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}); the run that wrote "
                                    "it was interrupted or the file was edited: rerun the simulation") from None
    if not isinstance(obj, dict):
        raise SimulationFolderError(f"{path}: expected a JSON object")
    return obj


def _differences(recorded: dict, run_key: dict) -> list[str]:
    return [f"{k}: {recorded.get(k)!r} there, {v!r} now" for k, v in run_key.items() if recorded.get(k) != v]


def prepare_folder(out: str, run_key: dict, overwrite: bool = False) -> None:
    """Make ``out`` ready for a run described by ``run_key`` (see the module docstring).

    Args:
        out: the output folder (created).
        run_key: JSON-able arguments that determine the output (survey, counts, seed, ...).
        overwrite: replace a folder that holds another run, or shards without a manifest.

    Raises:
        SimulationFolderError: the folder holds another run (listing the differing arguments) or
            shards of unknown origin, and ``overwrite`` is False.
    """
    os.makedirs(out, exist_ok=True)
    manifest_path, partial_path = os.path.join(out, MANIFEST), os.path.join(out, PARTIAL_MANIFEST)
    shards = _shard_files(out)
    recorded_path = manifest_path if os.path.exists(manifest_path) else (
        partial_path if os.path.exists(partial_path) else None)
    if not overwrite:
        if recorded_path is not None:
            try:
                recorded = _load_json(recorded_path)
            except SimulationFolderError:
                recorded = {}
            diff = _differences(recorded, run_key)
            if diff:
                raise SimulationFolderError(
                    f"{out} already holds a simulation made with other arguments ({'; '.join(diff[:4])}"
                    + (f"; {len(diff) - 4} more" if len(diff) > 4 else "")
                    + "); choose another --out folder, or pass --overwrite to delete it and write this one")
        elif shards:
            raise SimulationFolderError(
                f"{out} holds {len(shards)} shard file(s) but no {MANIFEST}: left by an interrupted run whose "
                "arguments are unknown; choose another --out folder, or pass --overwrite to delete them")
    # the manifest goes first: from here on, the folder is never mistaken for a complete run
    if os.path.exists(manifest_path):
        os.remove(manifest_path)
    _atomic_json(partial_path, dict(run_key))
    for path in shards:
        os.remove(path)


def write_shard(lcs: LightCurves, out: str, index: int) -> dict:
    """Write shard ``index`` atomically; returns its manifest entry (path, counts, sizes, sha256)."""
    import numpy as np

    path = os.path.join(out, f"shard-{index:05d}.parquet")
    lcs.to_parquet(path)
    meta_path = path[: -len(".parquet")] + ".meta.parquet"
    entry = {"path": os.path.basename(path), "n_objects": len(lcs), "n_observations": lcs.n_observations}
    if "label" in lcs.metadata.columns and len(lcs):
        labels, n_lab = np.unique(lcs.metadata["label"].to_numpy().astype(str), return_counts=True)
        entry["counts"] = {str(k): int(v) for k, v in zip(labels, n_lab)}
    else:
        entry["counts"] = {}
    entry["files"] = {os.path.basename(p): {"bytes": os.path.getsize(p), "sha256": sha256_file(p)}
                      for p in (path, meta_path)}
    return entry


def write_manifest(out: str, manifest: dict) -> str:
    """Write ``manifest.json`` atomically (last step of a run) and remove the partial manifest."""
    path = os.path.join(out, MANIFEST)
    _atomic_json(path, manifest)
    partial = os.path.join(out, PARTIAL_MANIFEST)
    if os.path.exists(partial):
        os.remove(partial)
    return path


def read_manifest(folder: str) -> dict:
    """The manifest of a complete simulation folder.

    Raises:
        SimulationFolderError: no manifest (an interrupted or running simulation), or malformed.
    """
    path = os.path.join(folder, MANIFEST)
    if not os.path.exists(path):
        if not os.path.isdir(folder):
            raise SimulationFolderError(f"{folder}: no such folder")
        shards = _shard_files(folder)
        partial = os.path.exists(os.path.join(folder, PARTIAL_MANIFEST))
        if shards or partial:
            raise SimulationFolderError(
                f"{folder} has {len(shards)} shard file(s) but no {MANIFEST}: the simulation that writes it was "
                "interrupted (or is still running), so its shards may be incomplete. Rerun the same "
                f"`python -m astrofm simulate ... --out {folder}` command (add --overwrite if asked).")
        raise SimulationFolderError(f"{folder} holds no simulation ({MANIFEST} is missing)")
    manifest = _load_json(path)
    if not isinstance(manifest.get("shards"), list):
        raise SimulationFolderError(f"{path}: key 'shards' is missing or not a list")
    return manifest


def read_simulation(folder: str, verify: bool = True) -> LightCurves:
    """All light curves of a simulation folder, checked against its manifest.

    Args:
        folder: a folder written by ``python -m astrofm simulate``.
        verify: compare each file's sha256 with the manifest (sizes are always compared).

    Raises:
        SimulationFolderError: missing manifest, a missing/truncated/replaced shard, or shard
            files the manifest does not list (stale shards of another run).
    """
    manifest = read_manifest(folder)
    listed = set()
    parts = []
    for entry in manifest["shards"]:
        path = os.path.join(folder, os.path.basename(str(entry.get("path", ""))))
        files = entry.get("files") or {os.path.basename(path): {}}
        for name, info in files.items():
            file_path = os.path.join(folder, os.path.basename(name))
            listed.add(os.path.abspath(file_path))
            if not os.path.exists(file_path):
                raise SimulationFolderError(f"{file_path}: listed in {MANIFEST} but missing; rerun the simulation")
            size = os.path.getsize(file_path)
            if "bytes" in info and size != info["bytes"]:
                raise SimulationFolderError(
                    f"{file_path} has {size} bytes but {MANIFEST} records {info['bytes']}: truncated or replaced; "
                    "rerun the simulation (--overwrite)")
            if verify and "sha256" in info and sha256_file(file_path) != info["sha256"]:
                raise SimulationFolderError(f"{file_path} does not match the sha256 in {MANIFEST}: replaced or "
                                            "corrupted; rerun the simulation (--overwrite)")
        listed.add(os.path.abspath(path[: -len(".parquet")] + ".meta.parquet"))
        part = LightCurves.read_parquet(path)
        if "n_objects" in entry and len(part) != entry["n_objects"]:
            raise SimulationFolderError(f"{path} holds {len(part)} objects but {MANIFEST} records "
                                        f"{entry['n_objects']}; rerun the simulation (--overwrite)")
        parts.append(part)
    stale = [p for p in _shard_files(folder) if os.path.abspath(p) not in listed]
    if stale:
        raise SimulationFolderError(
            f"{folder} holds {len(stale)} shard file(s) not listed in {MANIFEST} (e.g. {os.path.basename(stale[0])}): "
            "stale files of another run; delete them or rerun the simulation with --overwrite")
    return LightCurves.concat(parts)
