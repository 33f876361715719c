"""Simulator throughput: light curves per second for ZTF and LSST, 1 and 2 processes, vs sncosmo.

Since SIMULATOR_VERSION 2 the default engine uses the template SEDs and year-long windows; the rows
``sed='analytic'`` (v1 blackbody SEDs) and ``post_trigger_days=100`` (v1 window) measure the old
engine's settings in the same run, a ``simulate_views`` row the multi-survey views, and rows for the
periodic variable stars (ZTF and the EROS-like survey; light curves over the whole schedule).

Measures ``astrokeras.simulate`` (all 8 classes, equal split) after a warm-up call that builds the
synthetic-photometry tables (the table build time is reported separately), as

* *core*: the vectorised engine (draw, observe, select) without building the LightCurves object;
* *full*: ``simulate(...)`` returning :class:`LightCurves` (includes the object-id/band bookkeeping
  of the canonical container);
* *2 processes*: ``simulate(..., n_jobs=2)`` (fork; the same output as 1 process).

and compares with ``sncosmo.realize_lcs`` on the *same* SN Ia objects and visits: an sncosmo
``TimeSeriesSource`` built from the simulator's own analytic SN Ia SED (x1 = c = 0), sncosmo
``Bandpass`` objects from ``astrokeras.bands.load_transmission``, and an observation table per object
with the simulated times, bands and flux errors (as sky noise). sncosmo has no selection step and no
table interpolation, so this is a per-curve photometry-cost comparison; the simulator's SN Ia number
includes drawing the population and the detection selection.

Writes its table between ``<!-- BEGIN simulation -->`` and ``<!-- END simulation -->`` in
BENCHMARKS.md unless ``--no-write``. Runtime ~1-2 minutes.

Run from the repository root:  ``python benchmarks/simulation_throughput.py [--n 16000] [--no-write]``
"""

from __future__ import annotations

from _sections import write_section as _write_section  # benchmarks/_sections.py

import argparse
import datetime
import os
import pathlib
import platform
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's astrokeras, whatever is installed
SECTION = "simulation"


def _time(fn, repeat: int = 2) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def table_build_seconds(survey: str) -> float:
    """Seconds to build every table ``survey`` needs, in a fresh interpreter (no import time)."""
    import subprocess

    code = ("import time; from astrokeras.simulation import population as P, surveys as S, sources as src; "
            f"s = S.default_survey('{survey}'); t = time.perf_counter(); P.prepare(s, src.CLASSES); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def sncosmo_comparison(n_objects: int, seed: int = 0) -> dict:
    import sncosmo

    from astrokeras import bands
    from astrokeras.simulation import simulate
    from astrokeras.simulation import sources as src

    lcs = simulate("ztf", classes={"SN Ia": n_objects}, seed=seed)
    for name in ("ztf::g", "ztf::r"):
        w, t = bands.load_transmission(name)
        w, keep = np.unique(w, return_index=True)  # pyphot curves repeat a few wavelengths
        t = np.clip(t[keep], 0.0, None)
        sncosmo.register(sncosmo.Bandpass(w, t, name=name), force=True)
    # the simulator's analytic SN Ia SED (x1 = c = 0) as an sncosmo TimeSeriesSource
    model = src.TRANSIENTS["SN Ia"]
    p = src.draw_transient_params(model, np.random.default_rng(0), 1,
                                  {"peak_abs_mag": np.array([-19.25]), "x1": np.array([0.0])})
    phase = np.arange(0.0, 151.0, 1.0)
    wave = np.arange(1000.0, 25001.0, 20.0)
    dm, log_t = src.transient_lightcurve(model, p, np.zeros(phase.size, np.int64), phase)
    lum = np.where(np.isfinite(dm), 10 ** (-0.4 * np.minimum(dm, 60.0)), 0.0)
    sed = lum[:, None] * src._shape("blanketed", wave, log_t.astype(float))  # (phase, wave)
    source = sncosmo.TimeSeriesSource(phase, wave, sed * 1e-12, name="astrokeras-ia")
    snmodel = sncosmo.Model(source=source)
    from astropy.table import Table

    meta = lcs.metadata
    obs_tables, params = [], []
    for i, oid in enumerate(lcs.object_ids):
        sl = slice(lcs.offsets[i], lcs.offsets[i + 1])
        n = sl.stop - sl.start
        obs_tables.append(Table({"time": lcs.time_mjd[sl], "band": lcs.band[sl].astype(str),
                                 "gain": np.full(n, 1e9), "skynoise": lcs.flux_err[sl],
                                 "zp": np.full(n, 27.5), "zpsys": np.full(n, "ab")}))
        params.append({"z": float(meta.loc[oid, "redshift"]), "t0": float(meta.loc[oid, "t_explosion_mjd"]),
                       "amplitude": 10 ** (-0.4 * (float(meta.loc[oid, "distmod"]) - 45.0))})

    def run_sncosmo():
        for obs, par in zip(obs_tables, params):
            sncosmo.realize_lcs(obs, snmodel, [par], scatter=True)

    seconds = _time(run_sncosmo, repeat=1)
    return {"n": len(lcs), "sncosmo_per_s": len(lcs) / seconds,
            "median_obs": float(np.median(lcs.lengths)), "sncosmo_version": sncosmo.__version__}


def run(n: int) -> tuple[list[dict], dict]:
    from astrokeras.simulation import population as P
    from astrokeras.simulation import simulate
    from astrokeras.simulation import sources as src
    from astrokeras.simulation import surveys as S

    rows = []
    info = {"load": os.getloadavg()[0]}
    for survey in ("ztf", "lsst"):
        info[f"tables_{survey}"] = table_build_seconds(survey)
        simulate(survey, n=800, seed=99)  # warm-up: tables, cosmology, schedules
        sv = S.default_survey(survey)
        per_class = n // len(src.CLASSES)

        def core(sv=sv, per_class=per_class):
            for label in src.CLASSES:
                P.simulate_class(sv, label, per_class, np.random.SeedSequence(1))

        def core_ia(sv=sv, per_class=per_class):
            P.simulate_class(sv, "SN Ia", per_class, np.random.SeedSequence(2))

        lcs = simulate(survey, n=n, seed=1)
        obs = lcs.n_observations / len(lcs)
        t_core = _time(core)
        t_full = _time(lambda survey=survey: simulate(survey, n=n, seed=1))
        t_par = _time(lambda survey=survey: simulate(survey, n=n, seed=1, n_jobs=2))
        t_ia = _time(core_ia)
        t_analytic = _time(lambda survey=survey: simulate(survey, n=n, seed=1, sed="analytic"))
        t_short = _time(lambda survey=survey: simulate(survey, n=n, seed=1, post_trigger_days=100.0))
        rows += [
            {"survey": survey, "what": "core engine, all 8 classes", "procs": 1, "per_s": n / t_core, "obs": obs},
            {"survey": survey, "what": "simulate() -> LightCurves, all 8 classes", "procs": 1, "per_s": n / t_full, "obs": obs},
            {"survey": survey, "what": "simulate(n_jobs=2) -> LightCurves", "procs": 2, "per_s": n / t_par, "obs": obs},
            {"survey": survey, "what": "core engine, SN Ia only", "procs": 1, "per_s": per_class / t_ia, "obs": np.nan},
            {"survey": survey, "what": "simulate(sed='analytic'): v1 blackbody SEDs", "procs": 1, "per_s": n / t_analytic,
             "obs": np.nan},
            {"survey": survey, "what": "simulate(post_trigger_days=100): v1 window", "procs": 1, "per_s": n / t_short,
             "obs": np.nan},
        ]
        print(rows[-6:], flush=True)
    from astrokeras.simulation.views import simulate_views

    transients = [c for c in src.CLASSES if c != "AGN"]
    simulate_views(["ztf", "lsst"], classes={c: 20 for c in transients}, seed=98)  # warm-up
    per = max(1, n // (4 * len(transients)))
    t_views = _time(lambda: simulate_views(["ztf", "lsst", "ps1", "ztf:g"], classes={c: per for c in transients}, seed=1))
    rows.append({"survey": "ztf+lsst+ps1+ztf:g", "what": "simulate_views, 7 transient classes (objects/s)", "procs": 1,
                 "per_s": per * len(transients) / t_views, "obs": np.nan})
    from astrokeras.simulation import VARIABLE_CLASSES

    for survey in ("ztf", "eros"):
        classes = [c for c in VARIABLE_CLASSES if not (survey == "eros" and c in ("delta Scuti", "EB contact"))]
        simulate(survey, classes={c: 20 for c in classes}, seed=97)  # warm-up (colour tables)
        per = max(1, n // (4 * len(classes)))
        t_var = _time(lambda survey=survey, classes=classes, per=per: simulate(survey, classes={c: per for c in classes},
                                                                             seed=1), repeat=1)
        rows.append({"survey": survey, "what": f"periodic variables, {len(classes)} classes (whole schedule)",
                     "procs": 1, "per_s": per * len(classes) / t_var, "obs": np.nan})
    info["sncosmo"] = sncosmo_comparison(300)
    info["ia_ztf_per_s"] = rows[3]["per_s"]
    return rows, info


def markdown(rows: list[dict], info: dict, n: int) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sn = info["sncosmo"]
    ztf_core, lsst_core = rows[0]["per_s"], rows[6]["per_s"]
    ztf_obs, lsst_obs = rows[0]["obs"], rows[6]["obs"]
    fast = [f"{r['survey'].upper()} {r['what'].replace('core engine, ', '')}" for r in rows
            if r["per_s"] >= 50000 and r["procs"] == 1]
    reached = (f"Rows at or above the goal: {', '.join(fast)}." if fast else "No row reaches the goal.")
    lines = [
        "## Simulator throughput (`astrokeras.simulate`)",
        "",
        "Command: `python benchmarks/simulation_throughput.py`  ",
        f"Date: {now}; machine: {platform.machine()}, nproc={os.cpu_count()} (shared with other jobs), "
        f"Python {platform.python_version()}, numpy {np.__version__}.  ",
        f"{n:,} light curves per measurement (equal split over the 8 classes), best of 2 after a warm-up; "
        "light curves are *detected* objects (draws that fail the trigger are simulated and discarded).  ",
        f"Table build (synthetic photometry, dust, Arnett/magnetar, cosmology; fresh process): "
        f"ZTF {info['tables_ztf']:.2f} s, LSST {info['tables_lsst']:.2f} s.",
        "",
        "| survey | what | processes | light curves/s | mean points per curve |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        obs = "" if not np.isfinite(r["obs"]) else f"{r['obs']:.0f}"
        lines.append(f"| {r['survey']} | {r['what']} | {r['procs']} | {r['per_s']:,.0f} | {obs} |")
    lines += [
        "",
        f"sncosmo {sn['sncosmo_version']} `realize_lcs` on the same {sn['n']} simulated ZTF SNe Ia (their visits, "
        f"median {sn['median_obs']:.0f} points; TimeSeriesSource of the simulator's analytic Ia SED): "
        f"**{sn['sncosmo_per_s']:,.0f} light curves/s** vs the simulator's SN Ia engine "
        f"**{info['ia_ztf_per_s']:,.0f}/s** (which also draws the population and applies the detection "
        f"selection): {info['ia_ztf_per_s'] / sn['sncosmo_per_s']:.0f}x.",
        "",
        (f"Goal in issue 3: >= 50,000 light curves/s per core on the default path. Measured: ZTF "
         f"{ztf_core:,.0f}/s and LSST {lsst_core:,.0f}/s per core for the engine, i.e. "
         f"{ztf_core * ztf_obs / 1e6:.1f} and {lsst_core * lsst_obs / 1e6:.1f} million *kept* forced-photometry "
         "points per second; the engine also simulates the draws that fail the detection trigger (the "
         "selection emerges, it is not imposed), 1.5-20x more objects than are kept depending on the class. "
         f"{reached} 2 processes vs 1: {rows[2]['per_s'] / rows[1]['per_s']:.2f}x (ZTF), "
         f"{rows[8]['per_s'] / rows[7]['per_s']:.2f}x (LSST); the 2 cores are shared with other jobs "
         f"(load average {info['load']:.1f} at the start), so this understates the scaling."),
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    _write_section(SECTION, text)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16000, help="light curves per measurement")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    rows, info = run(args.n)
    text = markdown(rows, info, args.n)
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"\nwrote section '{SECTION}' of {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
