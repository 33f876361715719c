"""Training throughput of the task models' custom train steps vs Keras' built-in step.

Side by side, on the same encoder size (the paper's GRU(100) -> Dense(128) -> 128-d latent) and
the same batches (batch 128, T = 150 padded, random valid lengths 20-150, 3 channels), in one
process per backend, round-robin over epochs so every model sees the same machine load:

* ``reference``: a plain Functional model (encoder -> Dense(8)) compiled with Keras' sparse
  categorical cross entropy: Keras' own ``train_step``;
* ``classifier``, ``contrastive``, ``adversarial`` (Algorithm 1: discriminator step + classifier
  step, encoder run forward once), ``contrastive+adversarial``;
* ``predict``: inference of the classifier.

TensorFlow runs with ``jit_compile=True`` (set ``TF_NUM_INTRAOP_THREADS=1
TF_NUM_INTEROP_THREADS=1``, which help with XLA on 2 cores); JAX with its default jit, in a
subprocess (Keras picks the backend once per process). Reported: curves/s (median over the timed
epochs) and the ratio to ``reference`` measured in the same run.

Usage:
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/task_model_throughput.py
    python benchmarks/task_model_throughput.py --backends tensorflow --epochs 2 --no-write

Writes its table between ``<!-- BEGIN task_models -->`` and ``<!-- END task_models -->`` in
BENCHMARKS.md unless ``--no-write``. Runtime ~4 min on 2 busy cores.
"""

from __future__ import annotations

from _sections import write_section as _write_section  # benchmarks/_sections.py

import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

SECTION = "task_models"
ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ["reference", "classifier", "contrastive", "adversarial", "contrastive+adversarial"]


def measure(n_batches: int, epochs: int, length: int, batch: int = 128) -> dict:
    """Curves/s per model for the current Keras backend (runs in this process)."""
    import keras
    import numpy as np

    from astrokeras.models import (
        AdversarialClassifier,
        Classifier,
        ContrastiveClassifier,
        GRUEncoder,
    )

    n = n_batches * batch
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, length + 1, n)
    x = {"values": rng.normal(size=(n, length, 3)).astype("float32"),
         "mask": np.arange(length)[None, :] < lengths[:, None]}
    y = {"class": rng.integers(0, 8, n).astype("int32"),
         "survey": rng.integers(0, 2, n).astype("int32")}
    jit = True if keras.backend.backend() == "tensorflow" else "auto"

    models = {}
    for name in MODELS:
        keras.utils.set_random_seed(0)
        encoder = GRUEncoder()
        if name == "reference":
            model = keras.Model(encoder.input, keras.layers.Dense(8)(encoder(encoder.input)))
            model.compile(optimizer="adam", jit_compile=jit,
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            targets = y["class"]
        else:
            model = {
                "classifier": lambda: Classifier(encoder),
                "contrastive": lambda: ContrastiveClassifier(encoder),
                "adversarial": lambda: AdversarialClassifier(encoder),
                "contrastive+adversarial": lambda: AdversarialClassifier(
                    encoder, contrastive_weight=1.0),
            }[name]()
            model.compile(optimizer="adam", jit_compile=jit)
            targets = y
        model.fit(x, targets, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # warm-up
        models[name] = (model, targets)

    times = {name: [] for name in MODELS + ["predict"]}
    for _ in range(epochs):
        for name, (model, targets) in models.items():
            start = time.perf_counter()
            model.fit(x, targets, batch_size=batch, epochs=1, verbose=0, shuffle=False)
            times[name].append(time.perf_counter() - start)
        classifier = models["classifier"][0]
        classifier.predict(x, batch_size=batch, verbose=0)
        start = time.perf_counter()
        classifier.predict(x, batch_size=batch, verbose=0)
        times["predict"].append(time.perf_counter() - start)
    return {name: n / statistics.median(t) for name, t in times.items()}


def run_backend(backend: str, args) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend)
    if backend == "jax":
        env.setdefault("JAX_PLATFORMS", "cpu")
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
            f"import task_model_throughput as b; "
            f"print('RESULT', json.dumps(b.measure({args.batches}, {args.epochs}, {args.length})))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT"))[7:])


def table(results: dict, args) -> str:
    lines = [
        f"Task-model training throughput (`python benchmarks/task_model_throughput.py`), "
        f"{datetime.date.today()}, {os.cpu_count()} CPUs (shared), batch 128, T = {args.length} "
        f"(random valid lengths 20-{args.length}), {args.batches} batches/epoch, median of "
        f"{args.epochs} epochs after a warm-up. Ratio: to `reference` (Keras' built-in "
        "train_step on the same encoder) in the same run.",
        "",
        "| backend | model | curves/s | ratio to reference |",
        "|---|---|---:|---:|",
    ]
    for backend, rates in results.items():
        for name, rate in rates.items():
            ratio = rate / rates["reference"]
            lines.append(f"| {backend} | {name} | {rate:,.0f} | {ratio:.2f} |")
    return "\n".join(lines)


def write_section(text: str) -> None:
    _write_section(SECTION, text)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--batches", type=int, default=8, help="batches of 128 per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per model")
    parser.add_argument("--length", type=int, default=150, help="padded length T")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    results = {backend: run_backend(backend, args) for backend in args.backends}
    text = table(results, args)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
