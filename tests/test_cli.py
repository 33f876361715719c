"""Tests for the ``python -m astrofm`` dispatcher, run as a user would (subprocess)."""

import csv
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, env_extra=None, timeout=300):
    env = dict(os.environ)
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "astrofm", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_help_lists_describe_data():
    proc = _run(["--help"])
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "recipes.describe_data" in ln)
    assert "Summarise every dataset" in line  # the docstring's first line


def test_unknown_recipe_exits_2_with_a_clear_message():
    proc = _run(["recipes.no_such_recipe"])
    assert proc.returncode == 2
    assert "no recipe or command 'recipes.no_such_recipe'" in proc.stderr
    proc = _run(["frobnicate"])
    assert proc.returncode == 2 and "unknown target 'frobnicate'" in proc.stderr


def test_describe_data_lists_missing_datasets_without_crashing(tmp_path):
    empty = tmp_path / "empty_home"
    empty.mkdir()
    proc = _run(["recipes.describe_data", "--workdir", str(tmp_path / "out")],
                {"ASTROKERAS_DATA": str(empty), "ASTROKERAS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    for name in ("ztf_bts_antares", "eros1_ramp", "sim_blocks", "bts_catalog"):
        assert f"- {name}: looked at {empty}" in proc.stdout
    assert (tmp_path / "out" / "describe_data.md").exists()


@pytest.mark.needs_data("ztf_bts_antares", "eros1_ramp")
def test_describe_data_prints_the_real_counts(data_home, tmp_path):
    # expected numbers straight from the files
    n_bts = len([f for f in os.listdir(os.path.join(data_home, "ztf_bts_antares", "lc")) if f.endswith(".csv")])
    n_eros = {}
    for split in ("train", "test"):
        with open(os.path.join(data_home, "eros1_ramp", "data", f"{split}.csv"), newline="") as fh:
            n_eros[split] = sum(1 for _ in csv.DictReader(fh))
    assert (n_bts, n_eros["train"], n_eros["test"]) == (2710, 2912, 729)

    workdir = tmp_path / "dd"
    proc = _run(["recipes.describe_data", "--workdir", str(workdir)],
                {"ASTROKERAS_DATA": data_home, "ASTROKERAS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"{n_bts:,} light curves joined to the BTS table" in out
    assert f"train {n_eros['train']:,}, test {n_eros['test']:,}" in out
    assert "| SN Ia |" in out and "| anomaly |" in out and "| SN Ib/c |" in out
    assert (workdir / "describe_data.md").read_text().strip() in out
    assert (workdir / "describe_data.csv").exists()
