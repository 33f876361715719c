"""From one laptop to a survey, side by side in one run (issue 13): peak RSS and curves/s of
bounded-memory scoring at 20k / 200k / 1M curves with the Keras and the ONNX engine, the
``light-curve`` feature extractor at the same sizes, Dask with 1 and 2 workers, alerts/s of the
incremental scorer, and ONNX vs Keras per call; writes the ``survey_scale`` section of BENCHMARKS.md.

Command:

    ASTROKERAS_DATA=/path/to/data python benchmarks/survey_scale.py [--sizes 20000 200000 1000000]

It reuses the other scripts' code rather than repeating it: ``scoring_scale.py`` (the resampled
Parquet data and one fresh subprocess per scoring / feature / Dask measurement, peak RSS =
``VmHWM``), ``streaming_throughput.py`` and ``onnx_vs_keras.py`` (run as subprocesses with
``--json``). The ONNX cache (``$ASTROKERAS_CACHE``) is a fresh folder under ``--workdir``: the
one-time export is measured first, on its own, and the scoring rows then find the cached file.
The machine's load average is recorded at the start and the end (its 2 cores may be shared).

Development: ``--sizes 2000 5000 --feature-sizes 2000 --dask-size 2000 --streaming-objects 50
--onnx-repeats 1 --no-write`` runs everything small in a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)  # this checkout's astrokeras

import scoring_scale as sc  # noqa: E402  (benchmarks/scoring_scale.py)
from _sections import remove_section, write_section  # noqa: E402

SECTION = "survey_scale"
REPLACES = ("scoring_scale", "streaming", "onnx")  # the older sections this one merges
TARGET_RATE = 10_000.0  # curves/s end to end on 2 cores (issue 13)
TARGET_FEATURES = 2.0  # x the feature extractor in the same run
TARGET_RSS_MB = 2048.0  # at 1M curves


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _script(name: str, args: list[str], json_path: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(HERE, name), *args, "--json", json_path], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["?"])[-1][:200]}
    with open(json_path, encoding="utf-8") as fh:
        return json.load(fh)


def _rate(r: dict, key: str = "seconds") -> float:
    return r["n"] / r[key] if r.get(key) else float("nan")


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _what(kind: str, extra: dict) -> tuple[str, str, str]:
    if kind == "stream":
        return "streaming `score_to_parquet`", extra.get("engine", "keras"), str(extra.get("inference_threads", 1))
    if kind == "features":
        return "`light_curve_features` (light-curve, 2 threads), no model", "", ""
    return f"Dask LocalCluster, {kind[-1]} worker process(es) x 1 thread, `score_dask`", extra.get("engine", "keras"), "1"


def render(args, info: dict, rows: list, alerts: dict | None, onnx: dict | None, done: bool) -> str:
    import tensorflow as tf

    status = "" if done else f" **(partial: {len(rows)} scoring measurements so far)**"
    nice = os.nice(0)
    lines = [
        "## Survey-scale scoring, side by side (`benchmarks/survey_scale.py`)", "",
        f"Command: `python benchmarks/survey_scale.py {' '.join(info['argv'])}`{status}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
        f"nproc={os.cpu_count()}, {'normal priority' if nice == 0 else f'nice {nice}'}; TF {tf.__version__}, "
        f"Python {platform.python_version()}; wall time of the whole run {(time.time() - info['t0']) / 60:.1f} min.  ",
        f"**Shared machine**: other jobs (pretraining runs) used the same 2 cores during this run; load average "
        f"(1 / 5 / 15 min) **{info['load0']} at the start, {_load()} at the end**. Wall-clock rates are therefore "
        "lower than on 2 free cores; the per-CPU-second column (user + system time of the measuring process, all "
        "its threads) is the steadier figure.  ",
        f"Data: {info['n_pool']:,} simulated ZTF alert light curves of BTS-like objects (S/N >= 5 detections, peak "
        f"brighter than 18.5 mag; mean {info['mean_len']:.1f} points, 99th percentile {info['p99']:.0f}) "
        "**resampled** to N curves with new ids, a 0-1000 d time shift and 2% flux jitter, in Parquet files of "
        f"min(50k, N/8) objects. Encoder `{sc.ENCODER}` (GRU(100)). Each scoring row is a fresh subprocess; peak RSS "
        "is its `VmHWM` (Python, TensorFlow and the model included); seconds start after the imports and include "
        "reading the files, loading the encoder and (Keras) XLA compilation. The ONNX export is made once, "
        f"beforehand ({info.get('export', 'n/a')}), and found in the cache by every ONNX row.", "",
        "| what | engine | inference threads | curves | peak RSS (MB) | wall s | curves/s (wall) | curves per CPU-s "
        "| model s | read+validate+tokenize s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, size, extra, r in rows:
        what, engine, threads = _what(kind, extra)
        if "failed" in r:
            lines.append(f"| {what} | {engine} | {threads} | {size:,} | | | | | | failed: {r['failed']} |")
            continue
        per_cpu = "" if kind.startswith("dask") or r["cpu_s"] <= 0 else f"{_rate(r, 'cpu_s'):,.0f}"
        model = f"{r['model_s']:.1f}" if "model_s" in r else ""
        prep = f"{r['prepare_s']:.1f}" if "prepare_s" in r else ""
        if "features_only_s" in r:
            model = f"features alone: {r['features_only_s']:.1f}"
        lines.append(f"| {what} | {engine} | {threads} | {r['n']:,} | {r['peak_rss_mb']:,.0f} | {r['seconds']:.1f} | "
                     f"{_rate(r):,.0f} | {per_cpu} | {model} | {prep} |")
    got = {}
    for kind, size, extra, r in rows:
        if "failed" not in r:
            got.setdefault((kind, size), []).append((extra, r))
    lines += ["", "Model s: the model calls (and output frames) in the main thread; read+validate+tokenize: the "
              "background thread that prepares the next chunk meanwhile. Dask rows time the client (the workers' "
              "CPU is not counted; encoder load excluded by a warm-up pass), so their CPU column is blank. Inference "
              f"threads (model calls at once): both settings at {info.get('mid', 0):,} curves, then the faster one of "
              "each engine at the larger sizes; batches are the engines' defaults (Keras 1024 curves padded to "
              "multiples of 16 tokens, ONNX 256 curves and multiples of 4: `astrokeras.scoring.BATCH_DEFAULTS`).", "",
              "Targets (issue 13), in this run:"]
    sizes = sorted(args.sizes)

    def best(size, engine=None):
        cands = [(extra, r) for extra, r in got.get(("stream", size), []) if engine in (None, extra.get("engine"))]
        return max(cands, key=lambda c: _rate(c[1]), default=(None, None))

    big = sizes[-1]
    for engine in ("keras", "onnx"):
        extra, r = best(big, engine)
        if r is not None:
            lines.append(f"* peak RSS <= 2 GB at {big:,} curves, {engine}: {_met(r['peak_rss_mb'] <= TARGET_RSS_MB)} "
                         f"({r['peak_rss_mb']:,.0f} MB)")
    extra, r = best(big)
    if r is not None:
        lines.append(
            f"* >= 10k curves/s end to end on 2 cores, at {big:,} curves: {_met(_rate(r) >= TARGET_RATE)}, best row "
            f"{_rate(r):,.0f} curves/s wall ({extra.get('engine')} engine, inference_threads="
            f"{extra.get('inference_threads', 1)}), {_rate(r, 'cpu_s'):,.0f} curves per CPU-second, with the load above")
    for size in sizes:
        feats = got.get(("features", size))
        extra, r = best(size)
        if feats and r is not None:
            f = feats[0][1]
            ratio, ratio_cpu = _rate(r) / _rate(f), _rate(r, "cpu_s") / _rate(f, "cpu_s")
            lines.append(f"* >= 2x the feature extractor at {size:,} curves: {_met(ratio >= TARGET_FEATURES)}: "
                         f"{ratio:.2f}x wall ({_rate(r):,.0f} vs {_rate(f):,.0f} curves/s; best scoring row, "
                         f"{extra.get('engine')}), {ratio_cpu:.2f}x per CPU-second")
    for size in sizes:
        k, o = best(size, "keras")[1], best(size, "onnx")[1]
        if k is not None and o is not None:
            lines.append(f"* ONNX engine vs Keras engine, end to end at {size:,} curves: {_rate(o) / _rate(k):.2f}x wall, "
                         f"{_rate(o, 'cpu_s') / _rate(k, 'cpu_s'):.2f}x per CPU-second (best row of each)")
    d1, d2 = got.get(("dask1", args.dask_size)), got.get(("dask2", args.dask_size))
    if d1 and d2:
        lines.append(f"* Dask 2 workers vs 1 on {args.dask_size:,} curves ({args.dask_engine} engine): "
                     f"{_rate(d2[0][1]) / _rate(d1[0][1]):.2f}x (wall; the 2 cores are shared, see the load)")
    if alerts is not None:
        lines += ["", "### Incremental streaming scorer (`astrokeras.streaming.StreamingScorer`, "
                  "`benchmarks/streaming_throughput.py`)", ""]
        if "failed" in alerts:
            lines.append(f"failed: {alerts['failed']}")
        else:
            lines += [f"Run by this script: `python benchmarks/streaming_throughput.py {alerts['command']}`. "
                      f"{alerts['n_objects']} real ZTF BTS objects with {alerts['prior']}, then 10 rounds of one alert "
                      f"per object ({alerts['alerts']:,} alerts); released encoder `classifier_ztf_lsst_full` + a "
                      f"4-class MLP head. One thread (`OMP_NUM_THREADS=1`). Incremental vs re-embedded "
                      f"probabilities: max |diff| {alerts['max_diff']:.1e}. Rubin's mean rate is ~280 alerts/s.", "",
                      *alerts["table"]]
    if onnx is not None:
        lines += ["", "### ONNX vs Keras per call (`astrokeras.export`, `benchmarks/onnx_vs_keras.py`)", ""]
        if "failed" in onnx:
            lines.append(f"failed: {onnx['failed']}")
        else:
            lines += [f"Run by this script: `python benchmarks/onnx_vs_keras.py {onnx['command']}`. "
                      f"{onnx['n_curves']:,} real ZTF BTS light curves (median {onnx['median_tokens']} tokens), "
                      "released encoder `classifier_ztf_lsst_full` (and + a 4-class head), one thread; Keras here is "
                      "`predict_on_batch` (no XLA), as a user calls it; the scoring rows above use the XLA-compiled "
                      "forward pass. Export took " + ", ".join(f"{v:.1f} s ({n})" for n, v in onnx["export_s"].items())
                      + ".", "", *onnx["table"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    ap.add_argument("--feature-sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--dask-size", type=int, default=200_000)
    ap.add_argument("--dask-engine", choices=("keras", "onnx"), default="onnx")
    ap.add_argument("--streaming-objects", type=int, default=400)
    ap.add_argument("--onnx-repeats", type=int, default=2)
    ap.add_argument("--pool", type=int, default=4000)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "astrokeras_survey_scale"))
    ap.add_argument("--reuse", action="store_true", help="reuse the synthetic Parquet folders of an earlier run")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    argv_txt = sys.argv[1:] if argv is None else list(argv)

    import numpy as np

    info = {"t0": time.time(), "load0": _load(), "argv": argv_txt}
    os.makedirs(args.workdir, exist_ok=True)
    cache = os.path.join(args.workdir, "cache")
    shutil.rmtree(os.path.join(cache, "onnx"), ignore_errors=True)  # the export is measured, not found
    os.environ["ASTROKERAS_CACHE"] = cache
    pool = sc._make_pool(args.pool, seed=13)
    info.update(n_pool=len(pool), mean_len=float(pool.lengths.mean()), p99=float(np.percentile(pool.lengths, 99)))
    print(f"pool: {len(pool)} curves, mean {info['mean_len']:.1f} points; load {info['load0']}", flush=True)
    folders = {}
    for size in sorted(set(args.sizes) | set(args.feature_sizes) | {args.dask_size}):
        folder = os.path.join(args.workdir, f"synthetic_{size}")
        if not (args.reuse and os.path.isdir(folder)):
            shutil.rmtree(folder, ignore_errors=True)
            sc._write_synthetic(pool, size, folder, seed=size, per_file=min(50_000, max(size // 8, 1000)))
        folders[size] = folder
        print(f"data: {size:,} curves in {folder}", flush=True)

    out = os.path.join(args.workdir, "latents.parquet")
    r = sc._run_child("export", folders[min(args.sizes)], out)
    info["export"] = f"{r['seconds']:.1f} s, {r['cpu_s']:.1f} CPU-s"
    sizes = sorted(args.sizes)
    mid = sizes[len(sizes) // 2] if len(sizes) > 2 else sizes[-1]
    info["mid"] = mid
    rows: list = []
    threads = {"keras": 1, "onnx": 2}  # inference threads at the sizes above mid: the faster of 1 and 2 at mid

    def plan():
        """The measurements, in order; the two engines and the extractor back to back (similar load)."""
        for size in sizes:
            if size < mid:
                yield from [("stream", size, {"engine": "keras"}), ("stream", size, {"engine": "onnx"})]
            elif size == mid:
                for engine in ("keras", "onnx"):
                    yield from [("stream", size, {"engine": engine, "inference_threads": t}) for t in (1, 2)]
                for engine in ("keras", "onnx"):
                    mine = [(extra, r) for kind, s_, extra, r in rows
                            if kind == "stream" and s_ == size and extra["engine"] == engine and "failed" not in r]
                    if mine:
                        threads[engine] = max(mine, key=lambda c: _rate(c[1]))[0]["inference_threads"]
            else:
                yield from [("stream", size, {"engine": e, "inference_threads": threads[e]}) for e in ("keras", "onnx")]
            if size in args.feature_sizes:
                yield ("features", size, {})
        yield from [("features", size, {}) for size in sorted(args.feature_sizes) if size not in sizes]
        yield from [("dask1", args.dask_size, {"engine": args.dask_engine}),
                    ("dask2", args.dask_size, {"engine": args.dask_engine})]

    alerts = onnx = None

    def publish(done: bool):
        text = render(args, info, rows, alerts, onnx, done)
        if not args.no_write:
            write_section(SECTION, text)
            if done:
                for name in REPLACES:
                    remove_section(name)
        return text

    for kind, size, extra in plan():
        try:
            r = sc._run_child(kind, folders[size], out, extra)
        except RuntimeError as err:
            r = {"failed": str(err).splitlines()[-1][:200]}
        rows.append((kind, size, extra, r))
        print(kind, size, extra, {k: v for k, v in r.items() if k != "path"}, f"load {_load()}", flush=True)
        publish(False)
    alerts = _script("streaming_throughput.py", ["--objects", str(args.streaming_objects), "--batch", "100",
                                                 "--latency-alerts", "200"], os.path.join(args.workdir, "alerts.json"))
    print("alerts", "failed" if "failed" in alerts else "done", f"load {_load()}", flush=True)
    onnx = _script("onnx_vs_keras.py", ["--repeats", str(args.onnx_repeats), "--single", "100"],
                   os.path.join(args.workdir, "onnx.json"))
    print("onnx", "failed" if "failed" in onnx else "done", f"load {_load()}", flush=True)
    text = publish(True)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
