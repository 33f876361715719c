"""Bounded-memory scoring at 20k / 200k / 1M curves: peak RSS and curves/s, beside the feature
extractor, the in-memory ``downstream.embed`` and Dask with 1 and 2 workers, in one run.

Command (prints its table; ``benchmarks/survey_scale.py`` runs these measurements beside the
others and writes the BENCHMARKS.md section):

    ASTROKERAS_DATA=/path/to/data python benchmarks/scoring_scale.py [--sizes 20000 200000 1000000]

Data: a pool of simulated ZTF alert light curves of BTS-like objects (``simulate("ztf",
photometry="alert", peak_mag_max=18.5)``: S/N >= 5 detections of objects peaking brighter than
18.5 mag, what a broker scores for a bright-transient survey) is resampled into N synthetic
curves with new ids, a random
time shift (0-1000 d) and 2% flux jitter, written as a folder of Parquet files (one file per
50k objects, whole objects per file). Resampling is how 1M curves are made cheaply; the
curves/s and memory depend on the length distribution, which is the pool's (printed).

Each measurement runs in a fresh subprocess (peak RSS = that process's ``VmHWM``; ``ru_maxrss``
would count the parent's memory at fork time): ``python -m astrofm embed``'s function
:func:`astrokeras.scoring.score_to_parquet`
reading the folder and writing latents; ``downstream.embed`` on the whole set in memory (20k and
200k only); ``astrokeras.features.light_curve_features`` (the ``light-curve`` package, 2 threads)
on the 20k set; Dask ``LocalCluster`` (processes, 1 thread each) with 1 and 2 workers on the 20k
set. The machine's load average is printed: its 2 cores are shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENCODER = "contrastive_ztf_lsst"


def _make_pool(n: int, seed: int):
    import astrokeras as ak

    lcs = ak.simulate("ztf", n=n, seed=seed, photometry="alert", peak_mag_max=18.5)
    lcs, _ = lcs.validate()
    return lcs


def _write_synthetic(pool, n_total: int, folder: str, seed: int, per_file: int = 50_000) -> dict:
    """Resample ``pool`` into ``n_total`` curves (new ids, time shift, flux jitter) as Parquet files."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    lengths, starts = pool.lengths, pool.offsets[:-1]
    n_rows = 0
    for f, first in enumerate(range(0, n_total, per_file)):
        n = min(per_file, n_total - first)
        idx = rng.integers(0, len(pool), n)
        L = lengths[idx]
        rows = np.repeat(starts[idx], L) + (np.arange(L.sum()) - np.repeat(np.cumsum(L) - L, L))
        shift = np.repeat(rng.uniform(0, 1000, n), L)
        jitter = 1 + 0.02 * rng.standard_normal(len(rows))
        ids = np.array([f"syn{first + i:08d}" for i in range(n)], dtype=object)
        table = pa.table({"object_id": pa.array(np.repeat(ids, L), pa.string()),
                          "time_mjd": pool.time_mjd[rows] + shift, "band": pa.array(pool.band[rows].astype(str)),
                          "flux": pool.flux[rows] * jitter, "flux_err": pool.flux_err[rows]})
        pq.write_table(table, os.path.join(folder, f"part-{f:05d}.parquet"), row_group_size=1 << 20)
        n_rows += len(rows)
    return {"n_objects": n_total, "n_rows": n_rows}


# ------------------------------------------------------------------ measurements (subprocesses)
def _child(kind: str, folder: str, out: str, extra: dict) -> dict:
    import resource

    import astrokeras  # noqa: F401  imports (TensorFlow, Keras) are not timed; everything after is
    import astrokeras.features  # noqa: F401
    import astrokeras.scoring  # noqa: F401

    t0 = time.perf_counter()
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    result: dict = {}
    if kind == "stream":
        from astrokeras.scoring import score_to_parquet

        summary = score_to_parquet(ENCODER, folder, out, chunk_size=extra.get("chunk_size", 20_000),
                                   inference_threads=extra.get("inference_threads", 1),
                                   engine=extra.get("engine", "keras"), batch_size=extra.get("batch_size", 1024))
        result.update(n=summary.n_objects, model_s=summary.seconds_model, prepare_s=summary.seconds_prepare)
    elif kind == "export":  # ONNX export into $ASTROKERAS_CACHE/onnx (what engine="onnx" does on first use)
        from astrokeras.engines import inference_function
        from astrokeras.scoring import load_scoring_model

        model, tok = load_scoring_model(ENCODER)
        fn = inference_function(model, "onnx", source=ENCODER, tokenizer=tok)
        result.update(n=1, path=fn.path)
    elif kind == "embed":
        import pandas as pd

        import astrokeras as ak
        from astrokeras.downstream import embed, tokenizer_for

        lcs = ak.LightCurves.from_table(pd.read_parquet(folder))
        lcs, _ = lcs.validate()
        t1 = time.perf_counter()
        tokens = tokenizer_for(ENCODER).tokenize(lcs)
        result["tokenize_s"] = time.perf_counter() - t1
        z = embed(ak.load_encoder(ENCODER), tokens, batch_size=512)
        result["n"] = len(z)
    elif kind == "features":
        import pandas as pd

        import astrokeras as ak
        from astrokeras.features import light_curve_features

        lcs = ak.LightCurves.from_table(pd.read_parquet(folder))
        lcs, _ = lcs.validate()
        t1 = time.perf_counter()
        feats = light_curve_features(lcs, bands=["ztf::g", "ztf::r"], n_jobs=2)
        result.update(n=len(feats), features_only_s=time.perf_counter() - t1)
    elif kind.startswith("dask"):
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        from astrokeras.dask_scoring import score_dask

        workers = int(kind[-1])
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            client.run(lambda: __import__("astrokeras.scoring"))  # start-up not timed
            ddf = dd.read_parquet(folder)
            engine = extra.get("engine", "keras")
            warm = score_dask(ddf.partitions[:workers], ENCODER, engine=engine).compute()  # one load per worker
            t0 = time.perf_counter()  # (the warm-up above is not timed)
            cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # workers' CPU is not counted here
            n = len(score_dask(ddf, ENCODER, engine=engine).compute())
            result.update(n=n, warmup_rows=len(warm))
    result["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime - cpu0  # all threads of this process
    # VmHWM: this process's peak RSS (ru_maxrss would include the parent's RSS at fork, kept across exec)
    with open("/proc/self/status") as fh:
        hwm_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    result["peak_rss_mb"] = hwm_kb / 1024
    return result


def _run_child(kind: str, folder: str, out: str, extra: dict | None = None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, __file__, "--child", kind, folder, out, json.dumps(extra or {})],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rate(r, key="seconds"):
    return r["n"] / r[key] if r.get(key) else float("nan")


def _render(args, rows, load0, t_start, mean_len, p99, done: bool, n_plan: int, n_pool: int) -> str:
    import tensorflow as tf

    load1 = os.getloadavg()
    status = "" if done else f" **(partial: {len(rows)} of {n_plan} measurements so far)**"
    lines = ["## Survey-scale scoring (`astrokeras.scoring`, `benchmarks/scoring_scale.py`)", "",
             f"Command: `python benchmarks/scoring_scale.py --sizes {' '.join(map(str, args.sizes))}`{status}  ",
             f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
             f"nproc={os.cpu_count()} **shared with other jobs: load average {load0[0]:.1f} at the start, "
             f"{load1[0]:.1f} at the last measurement** (this run, under `nice`, had well under 2 cores); "
             f"TF {tf.__version__}, Python {platform.python_version()}; encoder `{ENCODER}` (GRU(100), TensorFlow "
             f"backend, XLA-compiled forward pass); wall time so far {(time.time() - t_start) / 60:.1f} min.  ",
             f"Data: {n_pool:,} simulated ZTF alert light curves of BTS-like objects (S/N >= 5 detections, peak "
             f"brighter than 18.5 mag; mean {mean_len:.1f} points, 99th percentile {p99:.0f}) **resampled** to N "
             "curves with new ids, a 0-1000 d time shift and 2% flux jitter, written as Parquet files of min(50k, N/8) "
             "objects. Each row is a fresh subprocess; peak RSS is its `VmHWM` (Python, TensorFlow and the "
             "model included); seconds and CPU seconds start after the imports (Python + TensorFlow, ~10 s of CPU, "
             "once per process) and include reading the files, loading the encoder and XLA compilation.", "",
             "Because the cores are shared, the table also gives curves per CPU-second (user + system time of the "
             "measuring process, all its threads; for Dask the client only, so that column is blank): roughly the "
             "rate of one dedicated core, and the fairer comparison between rows.", "",
             "| what | curves | peak RSS (MB) | wall s | curves/s (wall) | curves per CPU-s | notes |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for kind, what, size, r in rows:
        if "failed" in r:
            lines.append(f"| {what} | {size:,} | | | | | failed: {r['failed']} |")
            continue
        notes = ""
        if "model_s" in r:
            notes = f"model {r['model_s']:.0f} s; read+validate+tokenize+pad {r['prepare_s']:.0f} s (background thread)"
        if "tokenize_s" in r:
            notes = f"tokenize {r['tokenize_s']:.1f} s"
        if "features_only_s" in r:
            notes = f"features alone {_rate(r, 'features_only_s'):,.0f} curves/s"
        per_cpu = "" if kind.startswith("dask") or r["cpu_s"] <= 0 else f"{_rate(r, 'cpu_s'):,.0f}"
        lines.append(f"| {what} | {r['n']:,} | {r['peak_rss_mb']:,.0f} | {r['seconds']:.1f} | "
                     f"{_rate(r):,.0f} | {per_cpu} | {notes} |")
    got = {(kind, size): r for kind, _, size, r in rows if "failed" not in r}
    small = min(args.sizes)
    lines.append("")
    if ("stream", small) in got and ("features", small) in got:
        s_, f_ = got[("stream", small)], got[("features", small)]
        lines.append(f"Streaming vs the feature extractor on the same {small:,} curves in this run: "
                     f"{_rate(s_) / _rate(f_):.2f}x in wall time, {_rate(s_, 'cpu_s') / _rate(f_, 'cpu_s'):.2f}x per "
                     "CPU-second (both end to end from the Parquet files).")
    if ("dask1", small) in got and ("dask2", small) in got:
        lines.append(f"Dask 2 workers vs 1: {_rate(got[('dask2', small)]) / _rate(got[('dask1', small)]):.2f}x "
                     "(wall; other jobs share the 2 cores and their load changes during the run, so this ratio is "
                     "indicative only).")
    lines.append("Targets (issue 13): 1M curves with peak RSS <= 2 GB; >= 10k curves/s end to end on 2 cores and "
                 ">= 2x the feature extractor. Absolute curves/s here are from a contended machine (see the load "
                 "average); the per-CPU-second column is the better guide to what 2 free cores give.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    ap.add_argument("--pool", type=int, default=4000)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "astrokeras_scoring_bench"))
    ap.add_argument("--reuse", action="store_true", help="reuse the synthetic Parquet folders of an earlier run")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, folder, out, extra = args.child
        print(json.dumps(_child(kind, folder, out, json.loads(extra))))
        return 0

    import numpy as np

    sys.path.insert(0, ROOT)
    load0 = os.getloadavg()
    t_start = time.time()
    pool = _make_pool(args.pool, seed=13)
    mean_len, p99 = float(pool.lengths.mean()), float(np.percentile(pool.lengths, 99))
    print(f"pool: {len(pool)} simulated ZTF alert curves, mean {mean_len:.1f} points (99th pct {p99:.0f}); "
          f"load average {load0[0]:.1f}", flush=True)
    rows = []
    folders = {}
    for size in sorted(args.sizes):
        folder = os.path.join(args.workdir, f"synthetic_{size}")
        if args.reuse and os.path.isdir(folder):
            folders[size] = folder
            print(f"reusing {folder}", flush=True)
            continue
        info = _write_synthetic(pool, size, folder, seed=size, per_file=min(50_000, max(size // 8, 1000)))
        folders[size] = folder
        print(f"wrote {size:,} curves ({info['n_rows']:,} rows) to {folder}", flush=True)
    small = min(args.sizes)
    plan = [("stream", small), ("features", small), ("embed", small)]
    plan += [("stream", size) for size in sorted(args.sizes)[1:]]
    plan += [("dask1", small), ("dask2", small)]
    plan += [("embed", size) for size in sorted(args.sizes)[1:] if size <= 200_000]
    names = {"stream": "streaming `score_to_parquet` (Parquet folder -> latents.parquet)",
             "embed": "in-memory `downstream.embed` (whole set read first)",
             "features": "`light_curve_features` (light-curve package, 2 threads), no model",
             "dask1": "Dask LocalCluster, 1 worker process x 1 thread, `score_dask`",
             "dask2": "Dask LocalCluster, 2 worker processes x 1 thread, `score_dask`"}
    for i, (kind, size) in enumerate(plan):
        try:
            r = _run_child(kind, folders[size], os.path.join(args.workdir, f"latents_{size}.parquet"))
        except RuntimeError as err:
            r = {"failed": str(err).splitlines()[-1][:200]}
        rows.append((kind, names[kind], size, r))
        print(kind, size, r, f"load {os.getloadavg()[0]:.1f}", flush=True)
    text = _render(args, rows, load0, t_start, mean_len, p99, done=True, n_plan=len(plan), n_pool=len(pool))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
