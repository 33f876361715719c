"""One prepared GPU check: training/inference throughput, full-size pretraining, quick Table 1.

Run it whenever a GPU machine is lent (the whole check fits in 15 minutes of device time; every
part runs in its own subprocess under a timeout, so one slow part cannot eat the others' budget):

=====  ===========================================================  ==============  ============
part   what                                                         timeout (s)     --dry-run
=====  ===========================================================  ==============  ============
env    devices seen by TensorFlow and JAX                           90              same
train  curves/s of the paper-size Classifier (GRU 100, batch 512,   150             2 batches,
       T = 150 padded) on 1 device and ``data_parallel`` (all)                       T = 16
infer  curves/s of ``embed`` (batch 4096) on simulated-size tokens  90              512 curves
pre    ``recipes.pretrain --variant classifier_ztf_lsst --full      300             --scale
       --epochs 15`` (151k simulated curves, paper size)                             0.02, 1 epoch 
t1     quick Table 1 (``recipes.table1 --tasks bts``)               240             skipped
=====  ===========================================================  ==============  ============

Budget: 870 s of timeouts + start-up, under the 15 minutes. Each part prints one JSON line; the
script collects them, marks parts that timed out or failed, and writes the ``gpu_check``
section of BENCHMARKS.md (``--dry-run`` writes nothing unless ``--write``).

Usage:
    python benchmarks/gpu_check.py                 # on the GPU machine
    python benchmarks/gpu_check.py --dry-run       # on CPU, tiny sizes: checks that every part runs
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _sections import write_section  # noqa: E402  (benchmarks/_sections.py)

SECTION = "gpu_check"
TIMEOUTS = {"env": 90, "train": 150, "infer": 90, "pre": 300, "t1": 240}

_ENV = """
import json, tensorflow as tf
out = {"tf_gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}
try:
    import jax
    out["jax_devices"] = [str(d) for d in jax.devices()]
except Exception as err:  # jax missing or no GPU plugin
    out["jax_devices"] = f"unavailable: {type(err).__name__}"
print("RESULT" + json.dumps(out))
"""

_TRAIN = """
import json, sys, time
import numpy as np, keras
import astrokeras as ak
from astrokeras.distribute import data_parallel
n_batches, T, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
n = n_batches * batch
x = {"values": rng.normal(size=(n, T, 3)).astype("float32"),
     "mask": np.arange(T)[None, :] < rng.integers(T // 5, T + 1, n)[:, None]}
y = rng.integers(0, 8, n)
out = {}
for name in ("one_device", "data_parallel"):
    import contextlib
    scope = data_parallel() if name == "data_parallel" else contextlib.nullcontext(1)
    with scope as replicas:
        keras.utils.set_random_seed(0)
        model = ak.Classifier(ak.GRUEncoder(), n_classes=8)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # trace + warm-up
        t0 = time.perf_counter()
        history = model.fit(x, y, batch_size=batch, epochs=2, verbose=0)
        out[name] = {"replicas": replicas, "curves_per_s": 2 * n / (time.perf_counter() - t0),
                     "loss": float(history.history["loss"][-1])}
print("RESULT" + json.dumps(out))
"""

_INFER = """
import json, sys, time
import numpy as np
import astrokeras as ak
from astrokeras.downstream import embed
n, T = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
lengths = rng.integers(10, T + 1, n)
tokens = ak.TokenizedLightCurves(rng.normal(size=(int(lengths.sum()), 3)).astype("float32"),
                                 np.r_[0, np.cumsum(lengths)], np.arange(n).astype(str))
enc = ak.GRUEncoder.from_preset("classifier_ztf_lsst_full")
embed(enc, tokens, batch_size=4096)  # warm-up
t0 = time.perf_counter()
z = embed(enc, tokens, batch_size=4096)
print("RESULT" + json.dumps({"curves_per_s": n / (time.perf_counter() - t0), "n": n,
                             "mean_length": float(lengths.mean()), "finite": bool(np.isfinite(z).all())}))
"""


def _python(code: str, *args) -> list[str]:
    return [sys.executable, "-c", code, *map(str, args)]


def _parts(dry_run: bool, workdir: pathlib.Path) -> dict[str, list[str]]:
    module = [sys.executable, "-m", "astrofm"]
    if dry_run:
        return {"env": _python(_ENV), "train": _python(_TRAIN, 2, 16, 32), "infer": _python(_INFER, 512, 32),
                "pre": module + ["recipes.pretrain", "--variant", "classifier_ztf_lsst", "--scale", "0.02",
                                 "--epochs", "1", "--workdir", str(workdir / "pretrain")]}
    return {"env": _python(_ENV), "train": _python(_TRAIN, 40, 150, 512), "infer": _python(_INFER, 100_000, 150),
            "pre": module + ["recipes.pretrain", "--variant", "classifier_ztf_lsst", "--full", "--epochs", "15",
                             "--workdir", str(workdir / "pretrain")],
            "t1": module + ["recipes.table1", "--tasks", "bts", "--workdir", str(workdir / "table1")]}


def run_part(name: str, cmd: list[str], timeout_s: float) -> dict:
    """Run one part; its RESULT line (or the pretraining summary / table) and status."""
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"part": name, "status": f"timed out after {timeout_s:.0f} s", "wall_s": timeout_s}
    result = {"part": name, "wall_s": round(time.perf_counter() - t0, 1),
              "status": "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if lines:
        result.update(json.loads(lines[-1][len("RESULT"):]))
    if proc.returncode != 0:
        result["stderr_tail"] = proc.stderr[-800:]
    else:
        result["stdout_tail"] = proc.stdout[-1200:]
    return result


def _markdown(results: list[dict], dry_run: bool) -> str:
    rows = ["| part | status | wall s | result |", "|---|---|---|---|"]
    for r in results:
        if r["part"] == "train" and "one_device" in r:
            what = "; ".join(f"{k}: {v['curves_per_s']:,.0f} curves/s on {v['replicas']} replica(s), loss {v['loss']:.3f}"
                             for k, v in r.items() if isinstance(v, dict))
        elif r["part"] == "infer" and "curves_per_s" in r:
            what = f"{r['curves_per_s']:,.0f} curves/s ({r['n']:,} curves, mean length {r['mean_length']:.0f})"
        elif r["part"] == "env":
            what = f"TF GPUs {r.get('tf_gpus')}; JAX {r.get('jax_devices')}"
        else:
            tail = (r.get("stdout_tail") or "").strip().splitlines()[-3:]
            what = " / ".join(t.strip() for t in tail).replace("|", "/")[:300]
        rows.append(f"| {r['part']} | {r['status']} | {r['wall_s']} | {what} |")
    return "\n".join([
        "## GPU check (`benchmarks/gpu_check.py`)" + (" - dry run on CPU" if dry_run else ""),
        "",
        f"Command: `python benchmarks/gpu_check.py{' --dry-run' if dry_run else ''}`  ",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"nproc={os.cpu_count()}.",
        "",
        *rows,
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="tiny sizes on CPU; nothing written unless --write")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md also after --dry-run")
    parser.add_argument("--parts", default=None, help=f"comma-separated subset of {','.join(TIMEOUTS)}")
    parser.add_argument("--workdir", default=str(ROOT / "runs" / "gpu_check"))
    parser.add_argument("--timeout-scale", type=float, default=None,
                        help="multiply every part's timeout (default 1; 10 with --dry-run on a busy CPU)")
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    parts = _parts(args.dry_run, workdir)
    wanted = args.parts.split(",") if args.parts else list(parts)
    results = []
    for name in wanted:
        if name not in parts:
            print(f"skipping {name!r} ({'not in --dry-run' if name in TIMEOUTS else 'unknown part'})")
            continue
        scale = args.timeout_scale or (10.0 if args.dry_run else 1.0)
        result = run_part(name, parts[name], TIMEOUTS[name] * scale)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if not k.endswith("_tail")}), flush=True)
    (workdir / "gpu_check.json").write_text(json.dumps(results, indent=1))
    text = _markdown(results, args.dry_run)
    print(text)
    if not args.dry_run or args.write:
        write_section(SECTION, text)
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
