"""Inference throughput: the released encoder (+ a head) in onnxruntime vs Keras, side by side.

Data: the 2,710 real ZTF BTS light curves shipped with the package, tokenized with the encoder's
tokenizer. Models: ``classifier_ztf_lsst_full`` (encoder, 128-d latent) and the same encoder with a
4-class MLP head attached (``attach_head``), exported with :func:`astrokeras.export.export_onnx`.
One thread for both (``OMP_NUM_THREADS=1``, TensorFlow 1 intra/inter-op thread, onnxruntime
``intra_op_num_threads=1``): per-core numbers. Configurations, round-robin over ``--repeats``:

* batch: every curve, batches of 512 sorted by length (Keras: ``predict_in_order``; ONNX:
  ``OnnxModel.predict_light_curves``);
* single: one curve per call (latency), the first ``--single`` curves (Keras ``predict_on_batch``).

Reported: curves/s from CPU time of the process (the machine is shared) and wall time, the
ONNX/Keras ratio, and max |ONNX - Keras|.

Usage (its numbers reach BENCHMARKS.md through ``benchmarks/survey_scale.py``, which runs it):
    python benchmarks/onnx_vs_keras.py --repeats 1                    # prints the table
    python benchmarks/onnx_vs_keras.py --json rows.json               # and writes it as JSON
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402



def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single", type=int, default=200)
    parser.add_argument("--json", help="also write the table and its settings to this JSON file")
    args = parser.parse_args(argv)

    import keras
    import onnxruntime
    import tensorflow as tf

    import astrokeras as ak
    from _models import released_encoder_with_head
    from astrokeras.downstream import predict_in_order
    from astrokeras.export import OnnxModel, export_onnx

    lcs = ak.datasets.load_bts()
    encoder, classifier = released_encoder_with_head()
    tokens = encoder.preset_tokenizer.tokenize(lcs)
    singles = [ak.TokenizedLightCurves(tokens.values[tokens.offsets[i]:tokens.offsets[i + 1]],
                                       np.array([0, tokens.lengths[i]]), tokens.object_ids[i:i + 1]).padded()
               for i in range(args.single)]
    rows, diffs = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for name, model in (("encoder", encoder), ("encoder + 4-class head", classifier)):
            path, _, export_s = _timed(lambda m=model, n=name: export_onnx(m, os.path.join(tmp, f"{len(n)}.onnx")))
            models[name] = (model, OnnxModel(path, threads=1), export_s)
        timings: dict = {}
        for r in range(args.repeats):
            for name, (model, onnx_model, _) in models.items():
                for engine in ("keras", "onnx"):
                    if engine == "keras":
                        batch = lambda m=model: predict_in_order(m, tokens, batch_size=512)  # noqa: E731
                        single = lambda m=model: [m.predict_on_batch(x) for x in singles]  # noqa: E731
                    else:
                        batch = lambda o=onnx_model: o.predict_light_curves(tokens, batch_size=512)  # noqa: E731
                        single = lambda o=onnx_model: [o.predict(x) for x in singles]  # noqa: E731
                    if r == 0:  # warm-up (tracing) and the outputs to compare
                        timings.setdefault((name, engine, "outputs"), np.asarray(batch()))
                        single()
                    out, wall, cpu = _timed(batch)
                    timings.setdefault((name, engine, "batch"), []).append((len(tokens) / wall, len(tokens) / cpu))
                    _, wall, cpu = _timed(single)
                    timings.setdefault((name, engine, "single"), []).append((len(singles) / wall, len(singles) / cpu))
        for name in models:
            diffs[name] = float(np.abs(timings[(name, "onnx", "outputs")] - timings[(name, "keras", "outputs")]).max())
            for mode in ("batch", "single"):
                k = [statistics.median(v) for v in zip(*timings[(name, "keras", mode)])]
                o = [statistics.median(v) for v in zip(*timings[(name, "onnx", mode)])]
                rows.append((name, mode, k, o))
                print(f"{name:24s} {mode:6s} keras {k[1]:8.0f}/s CPU  onnx {o[1]:8.0f}/s CPU  ratio {o[1] / k[1]:.2f}")
        export_s = {n: v[2] for n, v in models.items()}
    table = ["| model | calls | Keras curves/s (CPU) | ONNX curves/s (CPU) | ONNX / Keras (CPU) | Keras curves/s (wall) | "
             "ONNX curves/s (wall) | max abs diff |", "|---|---|---|---|---|---|---|---|"]
    for name, mode, k, o in rows:
        calls = "batches of 512 (length-sorted)" if mode == "batch" else "1 curve per call"
        table.append(f"| {name} | {calls} | {k[1]:,.0f} | {o[1]:,.0f} | {o[1] / k[1]:.2f} | {k[0]:,.0f} | {o[0]:,.0f} | "
                     f"{diffs[name]:.1e} |")
    text = "\n".join([
        "## ONNX vs Keras inference (`astrokeras.export`)",
        "",
        f"Command: `python benchmarks/onnx_vs_keras.py --repeats {args.repeats} --single {args.single}`  ",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"nproc={os.cpu_count()} (shared with other jobs), one thread; TF {tf.__version__}, Keras {keras.__version__}, "
        f"onnxruntime {onnxruntime.__version__}.  ",
        f"Data: {len(tokens):,} real ZTF BTS light curves (median {int(np.median(tokens.lengths))} tokens); released "
        f"encoder `classifier_ztf_lsst_full`; median of {args.repeats} round-robin repeats after a warm-up. Export took "
        + ", ".join(f"{v:.1f} s ({n})" for n, v in export_s.items()) + ".",
        "",
        *table,
    ])
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"text": text, "table": table, "rows": rows, "diffs": diffs, "export_s": export_s,
                       "n_curves": len(tokens), "median_tokens": int(np.median(tokens.lengths)),
                       "command": f"--repeats {args.repeats} --single {args.single}"}, fh, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
