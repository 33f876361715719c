import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from astrokeras import presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _save_tiny(tmp_path, name="tiny"):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs))
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    presets.write_sidecar(path, recipe="tests", seed=0, validation_metrics={"loss": 1.0})
    return model, path


def test_sidecar_list_and_load(tmp_path):
    model, path = _save_tiny(tmp_path)
    info = presets.encoder_info("tiny", str(tmp_path))
    assert info["sha256"] == presets.sha256_file(path) and info["backend"] == keras.backend.backend()
    assert info["recipe"] == "tests" and info["keras_version"] == keras.__version__
    assert presets.list_encoders(str(tmp_path)) == ["tiny"]
    loaded = presets.load_encoder("tiny", str(tmp_path))
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_corrupted_file_gives_clear_error(tmp_path):
    _, path = _save_tiny(tmp_path)
    with open(path, "ab") as fh:
        fh.write(b"garbage")
    with pytest.raises(presets.ChecksumError, match="'tiny'.*corrupted"):
        presets.load_encoder("tiny", str(tmp_path))


def test_unknown_name_lists_available(tmp_path):
    _save_tiny(tmp_path)
    with pytest.raises(KeyError, match="available.*tiny"):
        presets.load_encoder("nope", str(tmp_path))


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="looked in"):
        presets.models_dir(str(tmp_path / "absent"))


# ------------------------------------------------------------------ where released encoders are found
def test_search_order_and_the_not_found_message(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_MODELS", str(tmp_path / "env_models"))
    monkeypatch.setenv("ASTROKERAS_DATA", str(tmp_path / "home"))
    dirs = presets._candidate_dirs(None)
    repo = os.path.join(ROOT, "saved_models")
    installed = presets._installed_dirs()
    assert dirs == [str(tmp_path / "env_models"), repo, *installed, str(tmp_path / "home" / "saved_models")]
    assert os.path.join(sys.prefix, "share", "astrokeras", "saved_models") in installed
    assert presets._candidate_dirs(str(tmp_path / "x")) == [str(tmp_path / "x")]
    # the environment variable wins over the checkout once it exists
    (tmp_path / "env_models").mkdir()
    assert presets.models_dir() == str(tmp_path / "env_models")
    # nothing anywhere: the message names both settings
    monkeypatch.setattr(presets, "_candidate_dirs", lambda d: [str(tmp_path / "absent")])
    with pytest.raises(FileNotFoundError) as info:
        presets.load_encoder("classifier_ztf")
    msg = str(info.value)
    assert "models_dir=" in msg and "ASTROKERAS_MODELS" in msg and str(tmp_path / "absent") in msg


def _build_and_install_wheel(tmp_path):
    """``pip wheel`` the checkout (copied, so no build/ folder lands in it) and ``pip install --target``."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".git", "runs", ".pytest_cache")
    for name in ("astrokeras", "astrofm", "recipes", "saved_models"):
        shutil.copytree(os.path.join(ROOT, name), src / name, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(os.path.join(ROOT, name), src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, cwd=tmp_path, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("astrokeras-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(tmp_path / "site"), str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path, timeout=300)
    return tmp_path / "site"


@pytest.mark.slow  # builds a wheel, installs it and loads an encoder in a fresh process (~30 s)
def test_a_normal_install_finds_the_released_encoders_and_the_bts_data(tmp_path):
    site = _build_and_install_wheel(tmp_path)
    assert (site / "share" / "astrokeras" / "saved_models" / "classifier_ztf.keras").is_file()
    assert not (site / "saved_models").exists()  # only the installed data files, no checkout folder
    script = (
        "import os, astrokeras\n"
        "from astrokeras import presets\n"
        "print(astrokeras.__file__)\n"
        "print(presets.models_dir())\n"
        "enc = astrokeras.load_encoder('classifier_ztf')\n"
        "print(type(enc).__name__)\n"
        "lcs, report = astrokeras.datasets.load_bts(return_report=True)\n"
        "print(len(lcs), report.source)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("ASTROKERAS_MODELS", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), ASTROKERAS_DATA=str(tmp_path / "empty_home"),
               ASTROKERAS_CACHE=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    package, found, kind, bts = proc.stdout.strip().splitlines()
    assert package == str(site / "astrokeras" / "__init__.py")
    assert found == str(site / "share" / "astrokeras" / "saved_models")
    assert kind == "GRUEncoder"
    assert bts == f"2710 embedded copy {site / 'astrokeras' / 'data' / 'bts'}"


def test_setup_cfg_installs_every_released_encoder_and_the_bts_data():
    """Fast guard for the slow wheel test: the packaging globs cover the files that must ship."""
    import configparser
    import glob

    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    patterns = cfg["options.data_files"]["share/astrokeras/saved_models"].split()
    shipped = {os.path.basename(p) for pat in patterns for p in glob.glob(os.path.join(ROOT, pat))}
    needed = set(os.listdir(os.path.join(ROOT, "saved_models")))
    assert {f for f in needed if f.endswith((".keras", ".json"))} and needed <= shipped
    package_data = [p.strip() for p in cfg["options.package_data"]["astrokeras"].split(",")]
    pkg = os.path.join(ROOT, "astrokeras")
    covered = {os.path.relpath(p, pkg) for pat in package_data for p in glob.glob(os.path.join(pkg, pat))}
    bts = {os.path.join("data", "bts", f) for f in os.listdir(os.path.join(pkg, "data", "bts"))
           if not f.startswith(".") and not f.endswith(".py")}
    assert os.path.join("data", "bts", "light_curves.parquet") in bts and bts <= covered


# ------------------------------------------------------------------ sidecar schema (issue 11)
import json  # noqa: E402
import os  # noqa: E402

from astrokeras.tokens import Tokenizer  # noqa: E402

RELEASED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models")


def _edit_sidecar(tmp_path, name, edit):
    path = tmp_path / f"{name}.json"
    info = json.loads(path.read_text())
    edit(info)
    path.write_text(json.dumps(info))
    return str(path)


def test_sidecar_records_the_tokenizer_hash_and_detects_an_edit(tmp_path):
    _, path = _save_tiny(tmp_path)
    presets.write_sidecar(path, tokenizer=Tokenizer().get_config())
    info = presets.encoder_info("tiny", str(tmp_path))
    assert info["tokenizer_sha256"] == presets.tokenizer_sha256(Tokenizer().get_config())
    sidecar = _edit_sidecar(tmp_path, "tiny", lambda i: i["tokenizer"].update(flux_scale=20.0))
    with pytest.raises(presets.SidecarError, match=r"tiny\.json: key 'tokenizer' was edited"):
        presets.encoder_info("tiny", str(tmp_path))
    with pytest.raises(presets.SidecarError, match="tiny.json"):
        presets.load_encoder("tiny", str(tmp_path))
    from astrokeras.downstream import tokenizer_for

    with pytest.raises(presets.SidecarError, match="was edited"):
        tokenizer_for("tiny", str(tmp_path))
    assert sidecar.endswith("tiny.json")


def test_every_released_sidecar_passes_the_schema_and_records_its_tokenizer():
    names = presets.list_encoders(RELEASED)
    assert names
    for name in names:
        info = presets.encoder_info(name, RELEASED)
        assert info["tokenizer_sha256"] == presets.tokenizer_sha256(info["tokenizer"]), name


@pytest.mark.parametrize("file", ["../x.keras", "/etc/passwd", "sub/../../x.keras", "..\\x.keras", ""])
def test_sidecar_file_must_stay_inside_the_models_folder(tmp_path, file):
    models = tmp_path / "models"
    models.mkdir()
    _save_tiny(models)
    (tmp_path / "x.keras").write_bytes((models / "tiny.keras").read_bytes())  # a file outside, same checksum
    _edit_sidecar(models, "tiny", lambda i: i.update(file=file))
    with pytest.raises(presets.SidecarError, match=r"tiny\.json: key 'file' = .* inside the models folder"):
        presets.load_encoder("tiny", str(models))


def test_malformed_sidecars_name_the_file_and_key(tmp_path):
    _save_tiny(tmp_path)
    sidecar = tmp_path / "tiny.json"
    good = sidecar.read_text()
    sidecar.write_text(good[:-20])
    with pytest.raises(presets.SidecarError, match=r"tiny\.json: not valid JSON \(.* line \d+"):
        presets.load_encoder("tiny", str(tmp_path))
    cases = [(lambda i: i.pop("sha256"), "required key 'sha256' is missing"),
             (lambda i: i.update(sha256=123), "key 'sha256' must be string"),
             (lambda i: i.update(sha256="abc"), "key 'sha256' must be 64 lower-case hex digits"),
             (lambda i: i.update(tokenizer={"flux_scale": "10"}), r"key 'tokenizer.flux_scale' must be integer or"),
             (lambda i: i.update(tokenizer={"max_length": True}), r"key 'tokenizer.max_length' must be integer"),
             (lambda i: i.update(tokenizer={"fluxscale": 10.0}), r"key 'tokenizer.fluxscale' is not a Tokenizer"),
             (lambda i: i.update(tokenizer={"window": "middle"}), r"key 'tokenizer' is not a valid Tokenizer"),
             (lambda i: i.update(class_names=["a", 1]), "key 'class_names' must be a list of strings"),
             (lambda i: i.update(seed="0"), "key 'seed' must be integer or null")]
    for edit, message in cases:
        sidecar.write_text(good)
        _edit_sidecar(tmp_path, "tiny", edit)
        with pytest.raises(presets.SidecarError, match=r"tiny\.json: " + message):
            presets.encoder_info("tiny", str(tmp_path))
    sidecar.write_text("[1, 2]")
    with pytest.raises(presets.SidecarError, match="must be a JSON object"):
        presets.encoder_info("tiny", str(tmp_path))


def test_encoder_names_cannot_be_paths(tmp_path):
    (tmp_path / "m").mkdir()
    _save_tiny(tmp_path / "m")
    with pytest.raises(KeyError, match="not a released encoder name"):
        presets.encoder_info("../m/tiny", str(tmp_path / "m"))


def test_write_sidecar_is_atomic_and_validated(tmp_path):
    _, path = _save_tiny(tmp_path)
    with pytest.raises(presets.SidecarError, match="key 'seed'"):
        presets.write_sidecar(path, seed="zero")
    assert presets.encoder_info("tiny", str(tmp_path))["seed"] == 0  # the earlier sidecar is intact
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
