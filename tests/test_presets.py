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
