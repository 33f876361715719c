"""Bit-for-bit training: same seed -> same weights; a run killed with SIGKILL mid-epoch and resumed
ends with the same weights (and the same total history) as an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}


def _weights(path):
    import h5py

    out = []
    with h5py.File(path, "r") as fh:
        fh.visititems(lambda name, obj: out.append((name, np.asarray(obj))) if hasattr(obj, "shape") else None)
    return out


def test_two_pretrain_runs_with_the_same_seed_give_identical_encoder_weights(tmp_path):
    """The issue's command, twice, into different folders (one process each, run side by side)."""
    cmd = [sys.executable, "-m", "astrofm", "recipes.pretrain", "--variant", "classifier_ztf", "--scale", "0.01",
           "--epochs", "2", "--seed", "0", "--workdir"]
    procs = [subprocess.Popen(cmd + [str(tmp_path / d)], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for d in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    a = _weights(tmp_path / "a" / "classifier_ztf" / "encoder.weights.h5")
    b = _weights(tmp_path / "b" / "classifier_ztf" / "encoder.weights.h5")
    assert len(a) == len(b) > 0
    for (na, wa), (nb, wb) in zip(a, b):
        assert na == nb
        np.testing.assert_array_equal(wa, wb)
    ha = json.loads((tmp_path / "a" / "classifier_ztf" / "history.json").read_text())
    assert ha["epochs_run"] == 2 and len(ha["history"]["loss"]) == 2


SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import keras
    import astrokeras as ak
    from astrokeras import training

    workdir, out, kill_epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(0)
    lcs = ak.simulate("ztf", n=160, classes=["SN Ia", "SN II"], seed=3)
    y = (lcs.metadata["label"] == "SN II").to_numpy().astype(int)
    tok = lambda idx: ak.Tokenizer().tokenize(lcs.subset(lcs.object_ids[idx]))
    train = ak.make_dataset(tok(np.arange(120)), {"class": y[:120]}, batch_size=16, shuffle=True, seed=7)
    val = ak.make_dataset(tok(np.arange(120, 160)), {"class": y[120:]}, batch_size=32)

    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == kill_epoch and batch == 3:
                os.kill(os.getpid(), 9)          # SIGKILL in the middle of an epoch
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    training.set_global_seed(0)
    model = ak.Classifier(ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4), n_classes=2)
    training.pretrain(model, train, val, epochs=6, patience=2, seed=0, workdir=workdir, verbose=0,
                      jit_compile=False, learning_rate=0.02, callbacks=[Kill()] if kill_epoch >= 0 else [])
    np.savez(out, *model.get_weights())
""")


def test_kill_9_mid_epoch_then_resume_equals_uninterrupted(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run = lambda work, out, kill: subprocess.run([sys.executable, str(script), str(tmp_path / work),  # noqa: E731
                                                  str(tmp_path / out), str(kill)], cwd=ROOT, env=ENV,
                                                 capture_output=True, text=True, timeout=600)
    full = run("full", "full.npz", -1)
    assert full.returncode == 0, full.stderr[-2000:]
    killed = run("resumed", "never.npz", 2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert os.path.exists(tmp_path / "resumed" / "backup" / "LATEST")  # epochs 0 and 1 were checkpointed
    resumed = run("resumed", "resumed.npz", -1)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with np.load(tmp_path / "full.npz") as a, np.load(tmp_path / "resumed.npz") as b:
        assert len(a.files) == len(b.files) > 0
        for k in a.files:
            np.testing.assert_array_equal(a[k], b[k])
    h_full = json.loads((tmp_path / "full" / "history.json").read_text())
    h_res = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert h_res["epochs_run"] == h_full["epochs_run"] >= 3          # totals, not post-resume epochs
    np.testing.assert_array_equal(h_res["history"]["val_loss"], h_full["history"]["val_loss"])
    assert not os.path.exists(tmp_path / "resumed" / "backup")       # finished runs leave no checkpoint


def test_cache_key_changes_with_code_version_and_corrupt_cache_is_rebuilt(tmp_path, capsys):
    import pandas as pd

    from astrokeras import caching

    assert caching.cache_key("x", {"a": 1}, 1) != caching.cache_key("x", {"a": 1}, 2)
    assert caching.cache_key("x", {"a": 1}, 1) != caching.cache_key("x", {"a": 2}, 1)
    path = tmp_path / "c.parquet"
    path.write_bytes(b"PAR1")                                         # a truncated file
    calls = []
    build = lambda: calls.append(1) or pd.DataFrame({"v": [1.0]})     # noqa: E731
    write = lambda df, p: caching.atomic_write(p, df.to_parquet)      # noqa: E731
    got = caching.cached(str(path), build, pd.read_parquet, write)
    assert got.v.tolist() == [1.0] and calls == [1]
    assert "unreadable" in capsys.readouterr().err
    assert caching.cached(str(path), build, pd.read_parquet, write).v.tolist() == [1.0] and calls == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["c.parquet"]     # no temporary files left


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    from astrokeras import caching

    target = tmp_path / "x.txt"
    caching.atomic_write_text(str(target), "old")

    def failing(tmp):
        with open(tmp, "w") as fh:
            fh.write("partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        caching.atomic_write(str(target), failing)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["x.txt"]
