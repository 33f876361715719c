"""Alerts per second of the incremental scorer vs re-embedding each alerted object's history.

Set-up (real data): ZTF BTS light curves with >= 41 observations (the copy shipped with the
package), the released encoder ``classifier_ztf_lsst_full`` with its tokenizer and a 4-class MLP
head attached (``attach_head``: the probabilities a broker would publish). Each object's first
``min(n, 100) - 10`` observations (30-90 prior points) are loaded first; then its next 10
observations arrive as 10 rounds of alerts, one alert per object per round, in batches of
``--batch`` alerts (and 1 alert at a time for the latency rows). Side by side in one process, one
thread (``OMP_NUM_THREADS=1``, TensorFlow 1 intra/inter-op thread: per-core numbers):

* ``incremental, SQLite on disk``: :class:`astrokeras.streaming.StreamingScorer` with a store
  file (one transaction per batch);
* ``incremental, in memory``: the same with ``state_store=None``;
* ``DataFrame input``: the same, batches given as pandas tables (``LightCurves.from_table`` per call);
* ``full re-embed``: for each batch, tokenize every alerted object's whole history and run the
  Keras classifier on it (``predict_on_batch`` of the padded batch): what scoring costs without
  stored states.

Reported: alerts/s from wall time and from the process' CPU time (the machine is shared with
other jobs, CPU time is the steadier per-core figure), the ratio to full re-embedding, and the
multiple of Rubin's mean alert rate (~10M alerts / 10 h night ~ 280 alerts/s). Before timing, the
incremental latents are checked against the re-embedded ones.

Usage (its numbers reach BENCHMARKS.md through ``benchmarks/survey_scale.py``, which runs it):
    python benchmarks/streaming_throughput.py --objects 100            # prints the table
    python benchmarks/streaming_throughput.py --json rows.json         # and writes it as JSON
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

RUBIN_ALERTS_PER_S = 280.0


def _rounds(lcs, n_objects: int, n_rounds: int = 10):
    """(preload photometry, [round photometry, ...]) for BTS objects with >= 41 points."""
    ids = lcs.object_ids[lcs.lengths >= 31 + n_rounds][:n_objects]
    ph = lcs.subset(ids).photometry
    rank = ph.groupby("object_id", sort=False).cumcount().to_numpy()
    n = ph.groupby("object_id", sort=False)["time_mjd"].transform("size").to_numpy()
    prior = np.minimum(n, 100) - n_rounds
    preload = ph[rank < prior]
    rounds = [ph[rank == prior + r] for r in range(n_rounds)]
    return preload, rounds, ids


def _batches(frame, size: int):
    return [frame.iloc[i:i + size] for i in range(0, len(frame), size)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=600)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--latency-alerts", type=int, default=300, help="alerts scored one at a time")
    parser.add_argument("--json", help="also write the table and its settings to this JSON file")
    args = parser.parse_args(argv)

    import astrokeras as ak
    from _models import released_encoder_with_head
    from astrokeras.streaming import StreamingScorer

    lcs = ak.datasets.load_bts()
    encoder, model = released_encoder_with_head()
    tok = model.tokenizer
    preload, rounds, ids = _rounds(lcs, args.objects)
    alerts = len(rounds) * len(ids)
    prior = preload.groupby("object_id").size()
    print(f"{len(ids)} objects, prior points {prior.min()}-{prior.max()} (median {prior.median():.0f}), {alerts} alerts")

    def stream_of(batch, limit=None, tables=False):
        stream = [b for r in rounds for b in _batches(r, batch)]
        stream = stream[:max(1, limit // batch)] if limit else stream
        return stream if tables else [ak.LightCurves.from_table(b) for b in stream]

    def incremental(store_path, batch, limit=None, tables=False):
        scorer = StreamingScorer(model, state_store=store_path)
        scorer.update(preload)
        stream = stream_of(batch, limit, tables)
        n = sum(len(b) if tables else b.n_observations for b in stream)
        w0, c0 = time.perf_counter(), time.process_time()
        for b in stream:
            scorer.update(b)
        return n, time.perf_counter() - w0, time.process_time() - c0, scorer

    def full_reembed(batch, limit=None):
        import pandas as pd

        # the alerted objects' whole histories at each batch, made before the clock starts
        history, jobs = preload, []
        for b in stream_of(batch, limit, tables=True):
            history = pd.concat([history, b])
            jobs.append(ak.LightCurves.from_table(history[history["object_id"].isin(set(b["object_id"]))]))
        n = sum(len(b) for b in stream_of(batch, limit, tables=True))
        model.predict_on_batch(tok.tokenize(jobs[0]).padded(128))  # trace
        w0, c0 = time.perf_counter(), time.process_time()
        for lc in jobs:
            tokens = tok.tokenize(lc)
            longest = int(tokens.lengths.max())
            model.predict_on_batch(tokens.padded(-(-longest // 32) * 32))
        return n, time.perf_counter() - w0, time.process_time() - c0

    # correctness first: incremental == re-embedding the whole history
    n, _, _, scorer = incremental(None, args.batch)
    from astrokeras.downstream import predict_in_order

    import pandas as pd

    everything = ak.LightCurves.from_table(pd.concat([preload] + rounds))
    want = predict_in_order(model, everything, tok)
    got = scorer.scores(everything.object_ids).outputs
    max_diff = float(np.abs(got - want).max())
    print(f"max |incremental - re-embedded| probability: {max_diff:.2e}")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = [
            ("incremental, SQLite on disk", args.batch, lambda: incremental(os.path.join(tmp, "a.sqlite"), args.batch)),
            ("incremental, in memory", args.batch, lambda: incremental(None, args.batch)),
            ("incremental, SQLite, DataFrame input", args.batch,
             lambda: incremental(os.path.join(tmp, "c.sqlite"), args.batch, tables=True)),
            ("full re-embed (Keras)", args.batch, lambda: full_reembed(args.batch)),
            ("incremental, SQLite on disk", 1, lambda: incremental(os.path.join(tmp, "b.sqlite"), 1, args.latency_alerts)),
            ("incremental, SQLite, DataFrame input", 1,
             lambda: incremental(os.path.join(tmp, "d.sqlite"), 1, args.latency_alerts, tables=True)),
            ("full re-embed (Keras)", 1, lambda: full_reembed(1, args.latency_alerts)),
        ]
        for name, batch, fn in configs:
            out = fn()
            n, wall, cpu = out[:3]
            rows.append((name, batch, n, n / wall, n / cpu, 1e3 * wall / n))
            print(f"{name:32s} batch {batch:4d}: {n / wall:9.0f} alerts/s wall, {n / cpu:9.0f} alerts/s CPU, "
                  f"{1e3 * wall / n:.2f} ms/alert", flush=True)

    base = {b: r for r in rows if r[0].startswith("full") for b in [r[1]]}
    table = ["| scorer | alerts per batch | alerts | alerts/s (wall) | alerts/s per core (CPU time) | "
             "ms per alert (wall) | vs full re-embed (CPU) | x Rubin mean 280/s (CPU) |", "|---|---|---|---|---|---|---|---|"]
    for name, batch, n, w, c, ms in rows:
        ratio = c / base[batch][4]
        table.append(f"| {name} | {batch} | {n:,} | {w:,.0f} | {c:,.0f} | {ms:.2f} | {ratio:.1f}x | "
                     f"{c / RUBIN_ALERTS_PER_S:.1f} |")
    import tensorflow as tf

    prior_txt = f"{prior.min()}-{prior.max()} prior points (median {prior.median():.0f})"
    text = "\n".join([
        "## Incremental streaming scorer (`astrokeras.streaming.StreamingScorer`)",
        "",
        f"Command: `python benchmarks/streaming_throughput.py --objects {args.objects} --batch {args.batch} "
        f"--latency-alerts {args.latency_alerts}`  ",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"nproc={os.cpu_count()} (shared with other jobs), one thread, TF {tf.__version__}, numpy {np.__version__}.  ",
        f"Data: {len(ids)} real ZTF BTS objects with {prior_txt}, then 10 rounds of one alert per object "
        f"({alerts:,} alerts); released encoder `classifier_ztf_lsst_full` + a 4-class MLP head (probabilities). "
        f"Incremental vs re-embedded probabilities: max |diff| {max_diff:.1e}.",
        "",
        *table,
        "",
        "Alerts enter as `LightCurves` (what the alert readers make; the re-embed rows time tokenize + "
        "predict of the histories, assembled before the clock starts); the DataFrame rows add "
        "`LightCurves.from_table` per batch, which dominates at one alert per call. "
        "Per-core rates are alerts / CPU seconds of the process (one thread); wall-clock rates on this shared "
        "machine are lower when other jobs run. Rubin's mean rate is ~280 alerts/s (10M alerts per 10-hour night).",
    ])
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"text": text, "table": table, "max_diff": max_diff, "n_objects": len(ids), "alerts": alerts,
                       "prior": prior_txt, "rows": rows,
                       "command": f"--objects {args.objects} --batch {args.batch} --latency-alerts "
                                  f"{args.latency_alerts}"}, fh, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
