import json
import os

import keras
import numpy as np
import pytest

import astrokeras as ak
from astrokeras import training


def _data(n=64, T=8, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    values = rng.normal(size=(n, T, 3)).astype("float32")
    values[:, :, 2] += 2.0 * y[:, None]  # separable on the flux channel
    mask = np.arange(T)[None, :] < rng.integers(2, T + 1, n)[:, None]
    return {"values": values, "mask": mask}, {"class": y}


def _model(seed_name="m"):
    return ak.Classifier(ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4), n_classes=2, name=seed_name)


def _fit(seed, workdir=None, epochs=3, callbacks=()):
    x, y = _data()
    training.set_global_seed(seed)
    model = _model()
    training.pretrain(model, (x, y), validation_data=None, epochs=epochs, seed=seed, workdir=workdir,
                      verbose=0, callbacks=callbacks, jit_compile=False)
    return model


def test_same_seed_same_weights_different_seed_differs():
    a, b, c = _fit(1), _fit(1), _fit(2)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))


def test_history_written_and_early_stopping(tmp_path):
    x, y = _data()
    xv, yv = _data(seed=1)
    model = _model()
    history = training.pretrain(model, (x, y), validation_data=(xv, yv), epochs=40, patience=2, seed=0,
                                workdir=str(tmp_path), verbose=0, learning_rate=0.05, jit_compile=False)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["epochs_run"] == len(history.history["loss"]) < 40  # stopped early
    assert saved["params"]["patience"] == 2
    assert (tmp_path / "history.csv").read_text().count("\n") == saved["epochs_run"] + 1
    assert history.history["val_loss"][-1] >= min(history.history["val_loss"])


class _Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated kill")


def test_resume_after_kill_matches_uninterrupted(tmp_path):
    full = _fit(0, epochs=4)
    workdir = str(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        _fit(0, workdir=workdir, epochs=4, callbacks=[_Kill()])
    assert os.path.isdir(os.path.join(workdir, "backup"))
    resumed = _fit(0, workdir=workdir, epochs=4)
    rows = (tmp_path / "run" / "history.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]][-2:] == ["2", "3"]  # epochs 2 and 3 ran after the restart
    for wf, wr in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(wf, wr, atol=1e-6)


class _SlowEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):  # inside the epoch's timing (the checkpoint's callback runs first)
        import time
        time.sleep(0.2)


def test_training_seconds_add_up_over_a_resume(tmp_path):
    """A run spread over sessions reports the time of all its epochs, not only of the last session."""
    x, y = _data()

    def fit(workdir, callbacks=()):
        training.set_global_seed(0)
        return training.pretrain(_model(), (x, y), epochs=4, seed=0, workdir=str(workdir), verbose=0,
                                 callbacks=callbacks, jit_compile=False)

    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "a", [_SlowEpoch(), _Kill()])  # epochs 0 and 1, 0.2 s of sleep each, then killed
    history = fit(tmp_path / "a")                      # epochs 2 and 3, no sleep
    assert history.resumed_epochs == 2 and len(history.history["loss"]) == 4
    assert history.train_seconds >= 0.4                # the first session's epochs are counted
    # a checkpoint written before the total was recorded: the total is unknown, not understated
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "b", [_Kill()])
    backup = tmp_path / "b" / "backup"
    state_file = backup / (backup / "LATEST").read_text().strip() / "state.json"
    state = json.loads(state_file.read_text())
    del state["train_seconds"]
    state_file.write_text(json.dumps(state))
    history = fit(tmp_path / "b")
    assert history.train_seconds is None and history.resumed_epochs == 2


def test_a_checkpoint_of_another_run_is_refused_not_resumed(tmp_path):
    """A killed run's checkpoint is never resumed into a run with other data or settings."""
    workdir = str(tmp_path / "run")
    x, y = _data()

    def fit(run_id, callbacks=(), data=(x, y)):
        training.set_global_seed(0)
        model = _model()
        training.pretrain(model, data, epochs=4, seed=0, workdir=workdir, verbose=0, callbacks=callbacks,
                          jit_compile=False, run_id=run_id)
        return model

    with pytest.raises(KeyboardInterrupt):
        fit({"scale": 0.1}, callbacks=[_Kill()])
    with pytest.raises(training.CheckpointMismatchError, match=r"run_id: \{'scale': 0.1\} then, \{'scale': 0.2\} now"):
        fit({"scale": 0.2})
    x2, y2 = _data(n=32)
    with pytest.raises(training.CheckpointMismatchError, match="n_train: 64 then, 32 now"):
        fit({"scale": 0.1}, data=(x2, y2))
    assert os.path.isdir(os.path.join(workdir, "backup"))  # refused: left as it was
    fit({"scale": 0.1})  # the same run resumes
    rows = (tmp_path / "run" / "history.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2", "3"]


def test_a_resumed_run_may_change_its_epoch_cap_but_not_below_its_checkpoint(tmp_path):
    """Capping a run that early stopping has not ended: resume with epochs = the checkpoint's epoch."""
    x, y = _data()
    xv, yv = _data(seed=1)

    def fit(workdir, epochs, callbacks=()):
        training.set_global_seed(0)
        model = _model()
        history = training.pretrain(model, (x, y), validation_data=(xv, yv), epochs=epochs, patience=50, seed=0,
                                    workdir=str(workdir), verbose=0, callbacks=callbacks, jit_compile=False)
        return model, history

    capped, _ = fit(tmp_path / "uninterrupted", epochs=2)        # a run asked for 2 epochs from the start
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "run", epochs=6, callbacks=[_Kill()])       # asked for 6, killed after epoch 2
    with pytest.raises(training.CheckpointMismatchError, match="already trained 2 epochs.*at least 2"):
        fit(tmp_path / "run", epochs=1)
    resumed, history = fit(tmp_path / "run", epochs=2)            # capped at 2: nothing more is trained
    assert history.resumed_epochs == 2 and len(history.history["loss"]) == 2
    for wa, wb in zip(capped.get_weights(), resumed.get_weights()):  # the best epoch's weights, as uninterrupted
        np.testing.assert_allclose(wa, wb, atol=1e-6)
    saved = json.loads((tmp_path / "run" / "history.json").read_text())
    assert saved["epochs_run"] == 2 and saved["params"]["epochs"] == 2
    assert not (tmp_path / "run" / "backup").exists()               # finished: nothing left to resume
    # a checkpoint callback used without params (no epoch cap recorded) still resumes
    x2, y2 = _data()
    plain = str(tmp_path / "plain")
    model = _model()
    model.compile(optimizer="adam")  # the task model's objective is built in
    with pytest.raises(KeyboardInterrupt):
        model.fit(x2, y2, epochs=4, verbose=0, callbacks=[training.TrainingCheckpoint(plain), _Kill()])
    model = _model()
    model.compile(optimizer="adam")
    history = model.fit(x2, y2, epochs=4, verbose=0, callbacks=[training.TrainingCheckpoint(plain)])
    assert len(history.history["loss"]) == 2  # epochs 2 and 3 after the resume


def test_limit_threads_caps_both_tensorflow_pools_and_rejects_nonsense():
    import subprocess
    import sys

    from astrokeras.training import limit_threads

    with pytest.raises(ValueError, match="n_threads"):
        limit_threads(-1)
    code = ("from astrokeras.training import limit_threads; import tensorflow as tf; limit_threads(1); "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["1", "1"]
