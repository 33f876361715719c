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
    for name in ("eros1_ramp", "sim_blocks"):
        assert f"- {name}: looked at {empty}" in proc.stdout
    assert "get it with `python -m astrofm fetch eros1_ramp`" in proc.stdout  # $ASTROKERAS_DATA is the home
    # the BTS data ship with astrokeras: counted, never missing
    assert "2,710 light curves joined to the BTS table (the copy shipped with astrokeras)" in proc.stdout
    for name in ("ztf_bts_antares", "bts_catalog"):
        assert f"- {name}: looked at" not in proc.stdout
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


# ------------------------------------------------------------------ quiet by default, --verbose
NOISE = ("absl::InitializeLog", "cuInit", "cudart_stub", "cpu_feature_guard", "AVX", "oneDNN",
         "triggered tf.function retracing", "Skipping variable loading for optimizer", "WARNING:tensorflow")

# TensorFlow start-up, a retracing tf.function and Keras' optimizer warning, run through the
# dispatcher as a command so that astrofm sets up (or, with --verbose, skips) the quiet mode.
_NOISY_COMMAND = """
def main(argv):
    import warnings
    import numpy as np
    import tensorflow as tf
    import keras

    @tf.function
    def double(x):
        return 2 * x

    for n in range(1, 8):
        double(tf.constant(np.ones(n)))
    warnings.warn("Skipping variable loading for optimizer 'adam', because it has 0 variables")
    keras.ops.convert_to_tensor(np.ones(2))
    print("ran")
"""


def _run_noisy(tmp_path, *extra):
    (tmp_path / "noisy_cmd.py").write_text(_NOISY_COMMAND)
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "ASTROFM_VERBOSE")}
    env["PYTHONPATH"] = os.pathsep.join([ROOT, str(tmp_path), env.get("PYTHONPATH", "")])
    code = ("import sys, astrofm.__main__ as m; m.COMMANDS['noisy'] = ('noisy_cmd', 'main', '');"
            f" sys.argv = ['astrofm', 'noisy', *{list(extra)!r}]; sys.exit(m.main())")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_commands_print_no_tensorflow_noise_by_default_and_verbose_brings_it_back(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-m", "astrofm", "--help"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "--verbose" in proc.stdout
    assert not [p for p in NOISE if p in proc.stderr], proc.stderr

    quiet = _run_noisy(tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "ran"
    assert [p for p in NOISE if p in quiet.stderr] == [], quiet.stderr
    loud = _run_noisy(tmp_path, "--verbose")
    assert loud.returncode == 0, loud.stderr
    for pattern in ("triggered tf.function retracing", "Skipping variable loading for optimizer",
                    "absl::InitializeLog"):
        assert pattern in loud.stderr


def test_errors_still_reach_stderr_in_quiet_mode(tmp_path):
    proc = _run(["fetch", "eros1_ramp", "--data-home", str(tmp_path), "--base-url", "http://127.0.0.1:9"])
    assert proc.returncode == 1
    assert "astrofm fetch: could not download http://127.0.0.1:9/data/" in proc.stderr
    assert not (tmp_path / "eros1_ramp").exists()
