"""Training loops for pretraining and fine-tuning: seeds, early stopping, checkpoints, history.

:func:`pretrain` and :func:`finetune` wrap ``model.fit`` with the paper's recipe (Adam, early
stopping on the validation loss with patience 5, best weights restored; Gupta et al. 2025, B.1/B.5)
and the engineering a long run needs:

* seeds everywhere (:func:`set_global_seed`: Python, NumPy and backend RNGs, and deterministic
  TensorFlow ops), so the same seed gives the same weights on CPU;
* resumable runs: with ``workdir``, :class:`TrainingCheckpoint` atomically checkpoints every epoch
  (weights, optimizer, epoch, early-stopping state, history) into ``workdir/backup``; a run killed
  at any instant restarts from the last finished epoch and, because shuffling depends only on
  ``(seed, epoch)`` (:class:`ShuffleEpoch`), ends with the same weights as an uninterrupted run;
* a history written to disk after every epoch (``workdir/history.csv`` and ``history.json``,
  counting every epoch, before and after a resume);
* ``jit_compile=True`` by default for JAX (and for TensorFlow when deterministic ops are off; with
  them on, as :func:`set_global_seed` sets, TensorFlow cannot XLA-compile, and reproducibility wins).

Example:
    >>> import astrokeras as ak                                     # doctest: +SKIP
    >>> model = ak.models.Classifier(encoder=ak.models.GRUEncoder(), n_classes=8)  # doctest: +SKIP
    >>> history = ak.training.pretrain(model, train_ds, val_ds, workdir="runs/clf")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from typing import Sequence

import keras
import numpy as np

__all__ = ["set_global_seed", "pretrain", "finetune", "standard_callbacks", "ResumableEarlyStopping",
           "TrainingCheckpoint", "CheckpointMismatchError", "ShuffleEpoch"]


def set_global_seed(seed: int, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend; make TensorFlow ops deterministic.

    Args:
        seed: the seed.
        deterministic_ops: also ask TensorFlow for deterministic kernels (CPU cost is small).
    """
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(int(seed))
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # per-backend switch; the only TF use outside the pipeline

        tf.config.experimental.enable_op_determinism()


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` whose state (wait, best value, best weights) can be saved and restored,
    so a resumed run stops where the uninterrupted run would have."""

    def get_state(self) -> dict:
        return {"wait": int(self.wait), "best": None if self.best is None else float(self.best),
                "best_epoch": int(self.best_epoch), "stopped_epoch": int(self.stopped_epoch)}

    def set_state(self, state: dict, best_weights) -> None:
        self.wait = int(state["wait"])
        self.best = state["best"] if state["best"] is not None else self.best
        self.best_epoch = int(state["best_epoch"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_weights = best_weights


class CheckpointMismatchError(ValueError):
    """A workdir's checkpoint was written by a run with other settings or data (never resumed)."""


class TrainingCheckpoint(keras.callbacks.Callback):
    """Resume a killed run exactly: after every epoch, atomically save the model and optimizer
    weights, the epoch, the early-stopping state and the whole history into ``backup_dir``.

    Unlike ``keras.callbacks.BackupAndRestore`` the checkpoint is written to a new folder and then
    published by renaming a pointer file, so a kill at any instant leaves a complete checkpoint;
    together with the epoch-derived shuffling of :func:`astrokeras.pipeline.make_dataset` (the
    :class:`ShuffleEpoch` callback) a resumed run gives the same weights as an uninterrupted one.
    ``history.csv`` and ``history.json`` in ``workdir`` count every epoch, before and after a resume.

    The checkpoint records ``params`` (epochs, seed, learning rate, ..., the number of training
    batches and the caller's ``run_id``); a checkpoint whose ``params`` differ from the current run's
    is refused with :class:`CheckpointMismatchError` instead of being resumed into the wrong run. Only the
    epoch cap may change on resume (no schedule depends on it), down to the epochs already trained: a run
    resumed with ``epochs`` equal to its checkpoint's epoch trains nothing more and ends as an early stop
    would (best weights restored), which caps a run that early stopping has not ended yet.
    """

    def __init__(self, workdir: str, early_stopping: ResumableEarlyStopping | None = None, params: dict | None = None):
        super().__init__()
        self.workdir = workdir
        self.backup_dir = os.path.join(workdir, "backup")
        self.early_stopping = early_stopping
        self.params_record = json.loads(json.dumps(dict(params or {}), default=str))  # as stored
        self.rows: list[dict] = []
        # seconds spent in training epochs (fit + validation), summed over every session of a resumed run;
        # None when a resumed checkpoint predates this record (its earlier epochs were not timed)
        self.train_seconds: float | None = 0.0
        self.resumed_epochs = 0  # epochs restored from a checkpoint at the start of this session
        self._epoch_t0: float | None = None

    # ---------------------------------------------------------------- restore
    def _latest(self) -> str | None:
        pointer = os.path.join(self.backup_dir, "LATEST")
        if not os.path.exists(pointer):
            return None
        with open(pointer) as fh:
            name = fh.read().strip()
        path = os.path.join(self.backup_dir, name)
        return path if os.path.isdir(path) else None

    def on_train_begin(self, logs=None):
        path = self._latest()
        if path is None:
            return
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        with open(os.path.join(path, "state.json")) as fh:
            state = json.load(fh)
        stored = state.get("params")
        if stored is not None:
            # the epoch cap may change on resume (it changes where a run ends, not what an epoch computes),
            # but not below the epochs already trained; every other param must match
            cap = self.params_record.get("epochs")
            if cap is not None and int(cap) < int(state["epoch"]):
                raise CheckpointMismatchError(
                    f"{self.workdir}: its checkpoint has already trained {state['epoch']} epochs, more than the "
                    f"{cap} asked for now; ask for at least {state['epoch']} epochs")
            diff = sorted(k for k in set(stored) | set(self.params_record)
                          if k != "epochs" and stored.get(k) != self.params_record.get(k))
            if diff:
                raise CheckpointMismatchError(
                    f"{self.workdir}: its checkpoint (epoch {state['epoch']}) was written by another run "
                    f"({', '.join(f'{k}: {stored.get(k)!r} then, {self.params_record.get(k)!r} now' for k in diff)}); "
                    f"delete {self.backup_dir} to start afresh, or train in another workdir")
        # check before touching the model: a refused checkpoint leaves the weights as they were
        self.model.load_weights(os.path.join(path, "model.weights.h5"))
        self.rows = state["history"]
        self.train_seconds = state.get("train_seconds")
        self.resumed_epochs = int(state["epoch"])
        self.model._initial_epoch = int(state["epoch"])
        if (state.get("early_stopping") or {}).get("stopped_epoch", 0) > 0:  # it had already stopped
            self.model._initial_epoch = int(self.params.get("epochs", state["epoch"]))
        if self.early_stopping is not None and state.get("early_stopping") is not None:
            best = None
            best_file = os.path.join(path, "best.npz")
            if os.path.exists(best_file):
                with np.load(best_file) as data:
                    best = [data[f"w{i}"] for i in range(len(data.files))]
            self.early_stopping.set_state(state["early_stopping"], best)

    # ------------------------------------------------------------------- save
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self.train_seconds is not None and self._epoch_t0 is not None:
            self.train_seconds += time.perf_counter() - self._epoch_t0
        self.rows.append({"epoch": int(epoch), **{k: float(v) for k, v in (logs or {}).items()}})
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch_{epoch + 1:05d}"
        tmp = tempfile.mkdtemp(prefix=".tmp_", dir=self.backup_dir)
        self.model.save_weights(os.path.join(tmp, "model.weights.h5"))
        es = self.early_stopping
        if es is not None and es.best_weights is not None:
            np.savez(os.path.join(tmp, "best.npz"), **{f"w{i}": w for i, w in enumerate(es.best_weights)})
        state = {"epoch": int(epoch) + 1, "history": self.rows, "params": self.params_record,
                 "early_stopping": None if es is None else es.get_state(), "train_seconds": self.train_seconds}
        with open(os.path.join(tmp, "state.json"), "w") as fh:
            json.dump(state, fh)
        final = os.path.join(self.backup_dir, name)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(tmp, final)
        _atomic_text(os.path.join(self.backup_dir, "LATEST"), name)
        for old in os.listdir(self.backup_dir):  # keep only the published checkpoint
            if old.startswith("epoch_") and old != name:
                shutil.rmtree(os.path.join(self.backup_dir, old), ignore_errors=True)
        self.write_history()

    def on_train_end(self, logs=None):
        self.write_history()
        shutil.rmtree(self.backup_dir, ignore_errors=True)  # finished: nothing to resume

    def write_history(self) -> None:
        if not self.rows:
            return
        keys = ["epoch"] + sorted({k for r in self.rows for k in r} - {"epoch"})
        lines = [",".join(keys)] + [",".join(repr(r.get(k, "")) for k in keys) for r in self.rows]
        _atomic_text(os.path.join(self.workdir, "history.csv"), "\n".join(lines) + "\n")
        history = {k: [r[k] for r in self.rows if k in r] for k in keys if k != "epoch"}
        _atomic_text(os.path.join(self.workdir, "history.json"), json.dumps(
            {"params": self.params_record, "history": history, "epochs_run": len(self.rows)}, indent=1))


def _atomic_text(path: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", dir=os.path.dirname(os.path.abspath(path)))
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


class ShuffleEpoch(keras.callbacks.Callback):
    """Tell shuffled :func:`astrokeras.pipeline.make_dataset` datasets the current epoch, so the
    order of epoch ``e`` depends on ``(seed, e)`` only (also after a resume)."""

    def __init__(self, datasets):
        super().__init__()
        self.counters = [d.shuffle_epoch for d in datasets if getattr(d, "shuffle_epoch", None) is not None]

    def on_epoch_begin(self, epoch, logs=None):
        for counter in self.counters:
            counter.assign(int(epoch))


def limit_threads(n_threads: int | None) -> None:
    """Cap TensorFlow's intra- and inter-op thread pools (call before any TF op runs).

    Two single-threaded runs on 2 cores finish ~2x sooner than one run using both. ``None``/0 leaves
    TensorFlow's default. Example: ``limit_threads(1)``.
    """
    if not n_threads:
        return
    if int(n_threads) < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(int(n_threads))
    tf.config.threading.set_inter_op_parallelism_threads(int(n_threads))


def standard_callbacks(workdir: str | None, patience: int = 5, monitor: str = "val_loss",
                       has_validation: bool = True, params: dict | None = None) -> list:
    """Early stopping (restore best weights) and, with a ``workdir``, an atomic per-epoch checkpoint
    (resume after a kill) with the history."""
    callbacks = []
    early = None
    if has_validation and patience:
        mode = "min" if monitor.endswith("loss") else "auto"  # Keras cannot guess for custom names
        early = ResumableEarlyStopping(monitor=monitor, patience=int(patience), mode=mode,
                                       restore_best_weights=True, verbose=0)
        callbacks.append(early)
    if workdir:
        os.makedirs(workdir, exist_ok=True)
        callbacks.append(TrainingCheckpoint(workdir, early, params))
    return callbacks


def _deterministic_tf() -> bool:
    if keras.backend.backend() != "tensorflow":
        return False
    from tensorflow.python.framework.config import is_op_determinism_enabled

    return bool(is_op_determinism_enabled())


def _n_train(train_data) -> int | None:
    """Batches of a finite ``tf.data`` dataset, or samples of an ``(inputs, targets)`` tuple."""
    if hasattr(train_data, "cardinality"):
        n = int(train_data.cardinality())
        return n if n >= 0 else None
    x = train_data[0] if isinstance(train_data, tuple) else train_data
    first = next(iter(x.values())) if isinstance(x, dict) else x
    return int(len(first)) if hasattr(first, "__len__") else None


def _fit(model, train_data, validation_data, *, epochs, patience, learning_rate, seed, workdir,
         jit_compile, verbose, callbacks, compile_kwargs, steps_per_epoch=None, monitor="val_loss", run_id=None):
    set_global_seed(seed)
    if jit_compile and _deterministic_tf():
        # TensorFlow cannot XLA-compile with deterministic ops; bit-for-bit reproducibility wins
        # (Keras would fall back with a warning on every fit).
        jit_compile = False
    if not getattr(model, "compiled", False) or compile_kwargs is not None:
        kwargs = dict(compile_kwargs or {})
        kwargs.setdefault("optimizer", keras.optimizers.Adam(learning_rate))
        kwargs.setdefault("jit_compile", jit_compile)
        model.compile(**kwargs)
    params = {"epochs": int(epochs), "patience": patience, "learning_rate": learning_rate, "seed": seed,
              "jit_compile": jit_compile, "backend": keras.backend.backend(), "n_train": _n_train(train_data),
              "steps_per_epoch": steps_per_epoch, "run_id": run_id}
    all_callbacks = standard_callbacks(workdir, patience, monitor=monitor,
                                       has_validation=validation_data is not None, params=params)
    x, y = (train_data if isinstance(train_data, tuple) and len(train_data) == 2 else (train_data, None))
    all_callbacks = [ShuffleEpoch([x])] + all_callbacks + list(callbacks)
    # datasets are shuffled by the pipeline (seeded by (seed, epoch)); Keras' own shuffle only applies to arrays
    history = model.fit(x, y, validation_data=validation_data, epochs=int(epochs),
                        callbacks=all_callbacks, verbose=verbose, steps_per_epoch=steps_per_epoch,
                        shuffle=not hasattr(x, "element_spec"))
    checkpoint = next((cb for cb in all_callbacks if isinstance(cb, TrainingCheckpoint)), None)
    if checkpoint is not None and checkpoint.rows:  # totals over every epoch, resumed or not
        history.history = {k: [r[k] for r in checkpoint.rows if k in r]
                           for k in checkpoint.rows[-1] if k != "epoch"}
    if checkpoint is not None:
        # wall seconds of every training epoch, over all sessions of a resumed run (None: not known, the
        # checkpoint predates the record) and the epochs that were restored rather than trained here
        history.train_seconds = checkpoint.train_seconds
        history.resumed_epochs = checkpoint.resumed_epochs
    return history


def pretrain(model: keras.Model, train_data, validation_data=None, *, epochs: int = 100, patience: int = 5,
             learning_rate: float = 1e-3, seed: int = 0, workdir: str | None = None, jit_compile: bool = True,
             verbose="auto", callbacks: Sequence = (), compile_kwargs: dict | None = None,
             steps_per_epoch: int | None = None, monitor: str = "val_loss",
             run_id: dict | None = None) -> keras.callbacks.History:
    """Pretrain a task model (classifier, adversarial, contrastive) with the paper's recipe.

    Args:
        model: an astrokeras task model (its objective is built in; ``compile`` only needs an optimizer).
        train_data: a ``tf.data.Dataset`` from :func:`astrokeras.pipeline.make_dataset`, or an
            ``(inputs, targets)`` tuple of arrays.
        validation_data: held-out data for early stopping (``val_loss``, patience ``patience``).
        epochs: upper bound on epochs.
        patience: early-stopping patience in epochs (paper: 5); 0 disables it.
        learning_rate: Adam learning rate.
        seed: global seed (weights, dropout, shuffling seeded elsewhere by the pipeline).
        workdir: folder for checkpoints (resume after a kill) and the history; None: nothing on disk.
        jit_compile: XLA-compile the step.
        verbose: Keras progress-bar setting.
        callbacks: more Keras callbacks.
        compile_kwargs: override/extend the arguments of ``model.compile`` (e.g. a custom optimizer).
        steps_per_epoch: for repeating datasets.
        monitor: the early-stopping quantity. For the adversarial model ``val_loss`` contains
            ``-lambda H(D(z), O)``, which rewards fooling the discriminator; monitor
            ``"val_class_loss"`` there to stop on classification quality.
        run_id: JSON-able facts that identify the run (data fingerprint, variant, ...): a checkpoint
            in ``workdir`` written under another ``run_id`` (or other epochs, seed, ...) is refused
            with :class:`CheckpointMismatchError`.

    Returns:
        The Keras ``History``.
    """
    return _fit(model, train_data, validation_data, epochs=epochs, patience=patience,
                learning_rate=learning_rate, seed=seed, workdir=workdir, jit_compile=jit_compile,
                verbose=verbose, callbacks=callbacks, compile_kwargs=compile_kwargs,
                steps_per_epoch=steps_per_epoch, monitor=monitor, run_id=run_id)


def finetune(model: keras.Model, train_data, validation_data=None, *, epochs: int = 200, patience: int = 10,
             learning_rate: float = 1e-3, seed: int = 0, workdir: str | None = None, jit_compile: bool = True,
             verbose=0, callbacks: Sequence = (), compile_kwargs: dict | None = None) -> keras.callbacks.History:
    """Fine-tune a downstream model (frozen or partly unfrozen encoder + head); same machinery as
    :func:`pretrain`, with a longer default patience suited to small labelled sets."""
    return _fit(model, train_data, validation_data, epochs=epochs, patience=patience,
                learning_rate=learning_rate, seed=seed, workdir=workdir, jit_compile=jit_compile,
                verbose=verbose, callbacks=callbacks, compile_kwargs=compile_kwargs)
