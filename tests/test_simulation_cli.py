"""``python -m astrofm simulate`` output folders: atomic shards, a checked manifest, no stale shards."""

import json
import os

import numpy as np
import pytest

import astrokeras as ak
from astrokeras.simulation.cli import main
from astrokeras.simulation.shards import SimulationFolderError, read_manifest, read_simulation

SMALL = ["--survey", "lsst", "--n", "12", "--classes", "SN Ia", "AGN", "--seed", "3"]


def _run(out, *extra):
    return main([*SMALL, "--out", str(out), *extra])


def test_folder_reads_back_checked_and_leaves_no_temporary_files(tmp_path):
    out = tmp_path / "sims"
    assert _run(out, "--shard-size", "1") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n_objects"] == 12 and len(manifest["shards"]) >= 2
    for entry in manifest["shards"]:
        for name, info in entry["files"].items():
            assert os.path.getsize(out / name) == info["bytes"] and len(info["sha256"]) == 64
    lcs = read_simulation(str(out))
    direct = ak.simulate("lsst", n=12, classes=["SN Ia", "AGN"], seed=3)
    assert len(lcs) == 12 and np.allclose(lcs.flux, direct.flux)
    leftovers = [p for p in os.listdir(out) if p.endswith(".tmp") or p == "manifest.partial.json"]
    assert leftovers == []


def test_rerun_with_other_arguments_is_refused_and_overwrite_removes_stale_shards(tmp_path):
    out = tmp_path / "sims"
    assert _run(out, "--shard-size", "1") == 0
    n_files = len([p for p in os.listdir(out) if p.startswith("shard-")])
    with pytest.raises(SystemExit, match=r"already holds a simulation made with other arguments \(.*seed: 3 there, "
                                         r"4 now.*--overwrite"):
        main([*SMALL[:-1], "4", "--out", str(out)])
    assert read_simulation(str(out)).n_observations > 0  # the refused run changed nothing
    # the same arguments may be rerun (identical output); other arguments with --overwrite
    assert _run(out, "--shard-size", "1") == 0
    assert main(["--survey", "lsst", "--n", "5", "--classes", "AGN", "--seed", "4", "--out", str(out),
                 "--overwrite"]) == 0
    files = sorted(p for p in os.listdir(out) if p.startswith("shard-"))
    assert files == ["shard-00000.meta.parquet", "shard-00000.parquet"] and n_files > len(files)
    assert len(read_simulation(str(out))) == 5 == read_manifest(str(out))["n_objects"]


def test_interrupted_run_is_detected_on_read_and_refused_on_rerun(tmp_path):
    out = tmp_path / "sims"
    assert _run(out) == 0
    # a run killed mid-write (the old writer): a 4-byte shard and no manifest
    (out / "manifest.json").unlink()
    (out / "shard-00000.parquet").write_bytes(b"PAR1")
    with pytest.raises(SimulationFolderError, match=r"shard file\(s\) but no manifest\.json: .*interrupted"):
        read_simulation(str(out))
    with pytest.raises(SystemExit, match=r"shard file\(s\) but no manifest\.json.*--overwrite"):
        main(["--survey", "ztf", "--n", "3", "--out", str(out)])
    assert main(["--survey", "ztf", "--n", "3", "--out", str(out), "--overwrite"]) == 0
    assert len(read_simulation(str(out))) == 3


def test_truncated_or_stale_shards_under_a_manifest_are_detected(tmp_path):
    out = tmp_path / "sims"
    assert _run(out) == 0
    shard = out / "shard-00000.parquet"
    good = shard.read_bytes()
    shard.write_bytes(good[:4])
    with pytest.raises(SimulationFolderError, match=r"shard-00000\.parquet has 4 bytes but manifest\.json records"):
        read_simulation(str(out))
    shard.write_bytes(good)
    (out / "shard-00007.parquet").write_bytes(good)
    with pytest.raises(SimulationFolderError, match=r"1 shard file\(s\) not listed in manifest\.json.*shard-00007"):
        read_simulation(str(out))


def test_partial_manifest_marks_a_run_in_progress(tmp_path):
    from astrokeras.simulation.shards import prepare_folder

    out = tmp_path / "sims"
    prepare_folder(str(out), {"survey": "ztf", "seed": 1})
    assert (out / "manifest.partial.json").exists()
    with pytest.raises(SimulationFolderError, match="interrupted"):
        read_simulation(str(out))
    with pytest.raises(SimulationFolderError, match="seed: 1 there, 2 now"):
        prepare_folder(str(out), {"survey": "ztf", "seed": 2})
