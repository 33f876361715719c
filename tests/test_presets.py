import keras
import numpy as np
import pytest

from astrokeras import presets


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
