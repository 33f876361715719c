"""``python -m astrofm simulate``: write simulated light curves as Parquet shards plus a manifest.

Examples:
    python -m astrofm simulate --preset ztf_pretrain --out sims/ztf_pretrain --scale 0.1 --n-jobs 2
    python -m astrofm simulate --survey lsst --n 5000 --classes "SN Ia" TDE --seed 7 --out sims/custom

Each shard ``shard-NNNNN.parquet`` (+ ``.meta.parquet``) holds whole chunks of objects
(:meth:`LightCurves.to_parquet`); ``manifest.json`` lists the shards (sizes, sha256), per-class
counts, the seed and every argument, so a run can be reproduced exactly. Files are written
atomically and the manifest last; a folder holding a run with other arguments is refused unless
``--overwrite`` (stale shards are removed); read a folder back, checked, with
:func:`astrokeras.simulation.shards.read_simulation` (see that module).
"""

from __future__ import annotations

import argparse
import dataclasses
import time


def build_parser() -> argparse.ArgumentParser:
    from astrokeras.simulation.presets import PRESETS
    from astrokeras.simulation.sources import CLASSES
    from astrokeras.simulation.variables import VARIABLE_CLASSES

    ap = argparse.ArgumentParser(prog="python -m astrofm simulate", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), help="one of the paper's sets (Table 3 counts)")
    ap.add_argument("--survey", choices=list(_surveys()), help="survey (without --preset)")
    ap.add_argument("--n", type=int, help="number of light curves (without --preset)")
    ap.add_argument("--classes", nargs="+", metavar="CLASS", help=f"classes (default the 8 transients): {', '.join(CLASSES + VARIABLE_CLASSES)}")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the preset's counts (default 1)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: the preset's, or 0)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--n-jobs", type=int, default=1, help="worker processes (output does not depend on it)")
    ap.add_argument("--shard-size", type=int, default=10000, help="objects per shard (rounded to chunks)")
    ap.add_argument("--id-prefix", default=None, help="object id prefix")
    ap.add_argument("--overwrite", action="store_true",
                    help="replace a simulation made with other arguments in --out (its shards are deleted)")
    return ap


def _surveys():
    from astrokeras.simulation.surveys import SURVEYS

    return SURVEYS


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from tqdm.auto import tqdm

    from astrokeras.simulation import (
        DEFAULT_CHUNK_SIZE,
        DEFAULT_OPTIONS,
        alert_view,
        _class_counts,
        _map_chunks,
        _resolve_survey,
        assemble,
        plan_chunks,
    )
    from astrokeras.simulation.presets import get_preset, preset_counts

    if args.preset:
        if args.survey or args.n is not None or args.classes:
            raise SystemExit("simulate: --preset cannot be combined with --survey/--n/--classes")
        spec = get_preset(args.preset)
        survey_name, counts = spec.survey, preset_counts(args.preset, args.scale)
        peak_mag_max, photometry = spec.peak_mag_max, spec.photometry
        seed = spec.seed if args.seed is None else args.seed
        prefix = spec.id_prefix if args.id_prefix is None else args.id_prefix
    else:
        if not args.survey or args.n is None:
            raise SystemExit("simulate: give --preset, or --survey and --n")
        survey_name = args.survey
        counts = _class_counts(args.n, args.classes)
        peak_mag_max, photometry = None, "forced"
        seed = 0 if args.seed is None else args.seed
        prefix = f"sim_{survey_name}_{seed}_" if args.id_prefix is None else args.id_prefix
    from astrokeras.simulation.shards import (
        SimulationFolderError,
        prepare_folder,
        write_manifest,
        write_shard,
    )

    survey = _resolve_survey(survey_name, None)
    plan = plan_chunks(counts, DEFAULT_CHUNK_SIZE)
    per_shard = max(1, args.shard_size // DEFAULT_CHUNK_SIZE)
    run_key = {"survey": survey_name, "preset": args.preset, "scale": args.scale, "seed": seed,
               "id_prefix": prefix, "counts": counts, "chunk_size": DEFAULT_CHUNK_SIZE,
               "objects_per_shard": per_shard * DEFAULT_CHUNK_SIZE, "simulator_version": _simulator_version(),
               "peak_mag_max": peak_mag_max, "photometry": photometry}
    opts = dataclasses.replace(DEFAULT_OPTIONS, peak_mag_max=peak_mag_max)
    try:
        prepare_folder(args.out, run_key, overwrite=args.overwrite)
    except SimulationFolderError as err:
        raise SystemExit(f"simulate: {err}") from None
    shards, start, t_start = [], 0, time.time()
    with tqdm(total=int(sum(counts.values())), unit="lc", desc=f"simulate {survey_name}") as bar:
        for s in range(0, len(plan), per_shard):
            part = plan[s:s + per_shard]
            tasks = [(survey, label, chunk, count, seed, None, opts) for label, chunk, count in part]
            results = _map_chunks(tasks, max(1, args.n_jobs), progress=lambda t: bar.update(t[3]))
            lcs = assemble(results, part, survey, prefix, start_index=start)
            if photometry == "alert":
                lcs = alert_view(lcs)
            shards.append(write_shard(lcs, args.out, len(shards)))
            start += len(lcs)
    manifest = {**run_key, "n_objects": start, "shards": shards,
                "survey_description": survey.description,
                "seconds": round(time.time() - t_start, 2), "astrokeras_version": _version()}
    write_manifest(args.out, manifest)
    print(f"wrote {start} light curves in {len(shards)} shard(s) to {args.out} ({manifest['seconds']} s)")
    return 0


def _simulator_version():
    import astrokeras.simulation as sim

    return getattr(sim, "SIMULATOR_VERSION", None)


def _version() -> str:
    import astrokeras

    return astrokeras.__version__
