"""Publish table results: copy a run's result files into recipes/results/ and regenerate the README
tables from them (never by hand).

Command::

    python -m astrofm recipes.publish                      # every run found under runs/
    python -m astrofm recipes.publish --check              # exit 1 if a README block is stale
    python -m astrofm recipes.publish --reference          # remake recipes/results/reference_small

A finished run folder (``runs/table1``, ``runs/table1_full``, ``runs/table2``, ``runs/table2_full``,
``runs/cross_survey``, ``runs/token_format(_invariant)``; ``RUNS``) is copied to
``recipes/results/<name>`` (its small CSV/Markdown/JSON/PNG files; no data, no caches), and for the
tables a compact ``readme_headline.md`` is derived from its ``summary.csv``. Markdown files mark generated
blocks as ``<!-- results:NAME -->`` ... ``<!-- /results:NAME -->``, where NAME is a file under
recipes/results/; :func:`astrokeras.results.update_markdown_blocks` fills them in, and a test checks
that README.md and recipes/README.md hold exactly what the committed files say.

Runtime: seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys

import pandas as pd

from astrokeras.caching import atomic_write_text
from astrokeras.evaluation import markdown_table
from astrokeras.results import format_cell, update_markdown_blocks
from astrokeras.tasks import PAIRED_ENCODER_ROWS, QUICK_ENCODER_ROWS

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
ROOT = os.path.dirname(HERE)
MARKDOWN_FILES = (os.path.join(ROOT, "README.md"), os.path.join(HERE, "README.md"))
RUNS = {"table1": "table1_quick", "table1_full": "table1_full", "table1_full_eros": "table1_full_eros",
        "table1_full_sim": "table1_full_sim", "table1_full_paired": "table1_full_paired",
        "table2": "table2_quick", "table2_full": "table2_full",
        "table1_eros_variables": "table1_quick_eros_variables", "cross_survey": "cross_survey_quick",
        "token_format": "token_format_quick", "token_format_invariant": "token_format_invariant_quick"}
#: recipes whose result files are copied as they are (they write their own tables and runtime.md)
COPY_ONLY = ("cross_survey", "token_format")
KEEP_EXTENSIONS = (".csv", ".md", ".json", ".png")
#: README headline: (column in summary.csv, short header)
HEADLINE = {
    "table1": [("BTS class AUROC (Lim.)", "BTS class AUROC, 512 labels"), ("BTS class AUROC (Full)", "BTS class AUROC, all"),
               ("BTS z MSE×10³ (Full)", "BTS z MSE×10³, all"), ("BTS anomaly AUROC (Full)", "BTS anomaly AUROC"),
               ("EROS-1 AUROC (Full)", "EROS-1 AUROC")],
    "table2": [("LSST z<0.4 MSE", "LSST z<0.4 MSE")],
}


def headline(folder: str, kind: str) -> str:
    """A compact Markdown table (rows x headline columns, mean [95% CI]) from ``summary.csv``."""
    summary = pd.read_csv(os.path.join(folder, "summary.csv"))
    cols = [(c, h) for c, h in HEADLINE[kind] if c in set(summary["column"])]
    rows = list(pd.unique(summary["row"]))
    digits = 4 if kind == "table2" else 3
    out = pd.DataFrame(index=pd.Index(rows, name="model"), columns=[h for _, h in cols], dtype=object)
    for _, r in summary.iterrows():
        for c, h in cols:
            if r["column"] == c:
                out.loc[r["row"], h] = format_cell(r["mean"], None, (r["ci_low"], r["ci_high"]), digits)
    return markdown_table(out.dropna(how="all").fillna("—"))


def comparisons_block(folder: str, kind: str) -> str:
    """The paired comparisons the README states: the dev-selected encoder and the hybrid against the
    features and the from-scratch baseline (table1), zero-shot rows against no pretraining (table2)."""
    path = os.path.join(folder, "comparisons.csv")
    if not os.path.exists(path):
        return "(no comparisons)\n"
    comps = pd.read_csv(path)
    if kind == "table1":
        with open(os.path.join(folder, "provenance.json")) as fh:
            selected = json.load(fh).get("selected_on_dev")
        from astrokeras.tasks import ENCODER_ROWS, FEATURE_ROW, SCRATCH_ROW

        sel_row = ENCODER_ROWS.get(selected, selected)
        cols = [c for c, _ in HEADLINE["table1"]]
        keep = (comps["a"].isin([sel_row]) | comps["a"].str.startswith("Features + latent")) & \
            comps["b"].isin([FEATURE_ROW, SCRATCH_ROW]) & comps["column"].isin(cols)
        keep |= (comps["a"] == FEATURE_ROW) & (comps["b"] == SCRATCH_ROW) & comps["column"].isin(cols)
        comps = comps[keep]
    digits = 4 if kind == "table2" else 3
    view = pd.DataFrame({"A": comps["a"], "B": comps["b"], "column": comps["column"],
                         "A − B [95% paired CI]": [format_cell(d, None, (lo, hi), digits) for d, lo, hi in
                                                  zip(comps["difference"], comps["ci_low"], comps["ci_high"])],
                         "verdict": comps["verdict"]})
    return markdown_table(view.set_index("A")) if len(view) else "(no comparisons)\n"


def previous_release_block(folder: str) -> str:
    """Each retrained encoder against its previous release (``NAME_sim1``, simulator v1) on the headline
    columns: both rows' values and the paired difference (current − previous) with its CI."""
    path = os.path.join(folder, "comparisons.csv")
    if not os.path.exists(path):
        return "(no comparisons)\n"
    comps = pd.read_csv(path)
    comps = comps[comps["b"].str.endswith("[simulator v1]") & comps["column"].isin([c for c, _ in HEADLINE["table1"]])]
    if not len(comps):
        return "(no previous-release rows in this run)\n"
    summary = pd.read_csv(os.path.join(folder, "summary.csv")).set_index(["row", "column"])

    def cell(row, column):
        if (row, column) not in summary.index:
            return "—"
        r = summary.loc[(row, column)]
        return format_cell(r["mean"], None, (r["ci_low"], r["ci_high"]), 3)

    short = dict(HEADLINE["table1"])
    view = pd.DataFrame({
        "encoder": comps["a"], "column": [short[c] for c in comps["column"]],
        "simulator v2 (now)": [cell(a, c) for a, c in zip(comps["a"], comps["column"])],
        "simulator v1 (`NAME_sim1`)": [cell(b, c) for b, c in zip(comps["b"], comps["column"])],
        "v2 − v1 [95% paired CI]": [format_cell(d, None, (lo, hi), 3) for d, lo, hi in
                                    zip(comps["difference"], comps["ci_low"], comps["ci_high"])],
        "verdict": comps["verdict"]})
    return markdown_table(view.set_index("encoder"))


def runtime_line(folder: str, log_path: str | None) -> str:
    """Wall time (provenance) and peak memory (``/usr/bin/time -v`` log next to the run, if any)."""
    with open(os.path.join(folder, "provenance.json")) as fh:
        prov = json.load(fh)
    text = (f"Measured {prov['date_utc'][:10]} at commit `{(prov.get('git_commit') or 'unknown')[:10]}`: "
            f"**{prov['wall_time_s'] / 60:.1f} min wall** on {prov['machine']['cpus']} CPU cores")
    if log_path and os.path.exists(log_path):
        with open(log_path, errors="replace") as fh:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", fh.read())
        if m:
            text += f", {int(m.group(1)) / 1024 ** 2:.2f} GB peak RSS"
    return text + f" (`{_user_command(prov)}`).\n"


def _user_command(prov: dict) -> str:
    """The recipe command recorded in a provenance, as a user types it (``python -m astrofm ...``)."""
    return re.sub(r"python \S*astrofm/__main__\.py", "python -m astrofm", prov.get("command", ""))


#: the quick released encoders whose sidecars make the pretraining table (current, then previous release)
PRETRAIN_VARIANTS = tuple(QUICK_ENCODER_ROWS)
#: the paper-size table also shows the paired-view encoders of issue 12
PAPER_SIZE_VARIANTS = PRETRAIN_VARIANTS + tuple(n for n in PAIRED_ENCODER_ROWS if not n.endswith("_full"))


def pretrain_summary(models_dir: str, results_dir: str = RESULTS, size: str = "quick") -> str:
    """``pretrain_<size>/summary.md``: the validation and alignment metrics recorded in the sidecars of
    the released encoders of one size (``"quick"``: ``NAME``; ``"full"``: ``NAME_full``; committed in
    ``saved_models/*.json``) and of their previous releases (``..._sim1``), one row each, with the total
    training time for the paper-size table; returns the Markdown."""
    suffix = {"quick": "", "full": "_full"}[size]
    rows, total_min, untimed = [], 0.0, []
    for variant in (PRETRAIN_VARIANTS if size == "quick" else PAPER_SIZE_VARIANTS):
        for name in (f"{variant}{suffix}", f"{variant}{suffix}_sim1"):
            path = os.path.join(models_dir, f"{name}.json")
            if not os.path.exists(path):
                continue
            with open(path) as fh:
                info = json.load(fh)
            m = info.get("validation_metrics", {})
            get = lambda key, fmt="{:.3f}": fmt.format(m[key]) if m.get(key) is not None else "—"  # noqa: E731
            minutes = m["train_wall_s"] / 60 if m.get("train_wall_s") is not None else None
            if info.get("simulator_version", 1) >= 2:
                if minutes is None:
                    untimed.append(name)
                else:
                    total_min += minutes
            rows.append({"encoder": name, "simulator": f"v{info.get('simulator_version', 1)}",
                         "train curves": get("n_train", "{:,}"), "epochs": get("epochs_run", "{:d}"),
                         "val accuracy": get("val_accuracy"), "survey-probe AUROC": get("alignment_probe_auroc"),
                         "redshift-matched probe AUROC": get("alignment_probe_auroc_matched"),
                         "kNN survey mixing": get("alignment_knn_mixing"), "MMD²": get("alignment_mmd2"),
                         "train curves/s": get("train_curves_per_s", "{:,.0f}"),
                         "train min": "—" if minutes is None else f"{minutes:.1f}"})
    if not rows:
        text = f"(no released {size} encoders)\n"
    else:
        text = markdown_table(pd.DataFrame(rows).set_index("encoder"))
        if size == "full":
            text += (f"\nTraining time of the simulator-v2 paper-size encoders above: **{total_min / 60:.1f} h** of "
                     "training epochs in all (sum of the sidecars' `train_wall_s`, per process; two processes "
                     "shared the 2 CPU cores, so the wall time is about half)"
                     + (f"; not timed: {', '.join(untimed)}" if untimed else "") + ".\n")
    dest = os.path.join(results_dir, f"pretrain_{size}")
    os.makedirs(dest, exist_ok=True)
    atomic_write_text(os.path.join(dest, "summary.md"), text)
    return text


#: the result folders of the ``--full`` tables (the parts run separately)
FULL_TABLE_RESULTS = ("table1_full", "table1_full_eros", "table1_full_sim", "table1_full_paired", "table2_full")


def paper_size_run_time(models_dir: str, results_dir: str = RESULTS, out_dir: str | None = None) -> str:
    """``pretrain_full/run_time.md``: the time of the whole paper-size run, pretraining + tables.

    One row per part: each simulator-v2 ``NAME_full`` encoder's training time (sidecar ``train_wall_s``)
    and each ``--full`` table part whose ``provenance.json`` measured the current ``NAME_full`` files
    (wall time); parts not done yet are named. Each part ran as one process with one TensorFlow thread,
    two at a time on the 2 cores, so the elapsed time is about half the sum; written under ``out_dir``
    (default ``results_dir``); returns the Markdown."""
    from astrokeras.presets import encoder_info, list_encoders

    infos = {name: encoder_info(name, models_dir) for name in list_encoders(models_dir) if name.endswith("_full")}
    rows, missing = [], []
    for variant in PAPER_SIZE_VARIANTS:
        name = f"{variant}_full"
        if name not in infos:
            missing.append(f"`{name}` (not released yet)")
            continue
        info = infos[name]
        seconds = (info.get("validation_metrics") or {}).get("train_wall_s")
        if info.get("simulator_version", 1) < 2 or seconds is None:
            missing.append(f"`{name}` (no simulator-v2 training time)")
            continue
        rows.append({"part": f"pretraining `{name}`", "minutes": seconds / 60,
                     "command": info.get("command", "")})
    current = {name: info["sha256"] for name, info in infos.items()}
    for run in FULL_TABLE_RESULTS:
        path = os.path.join(results_dir, run, "provenance.json")
        prov = {}
        if os.path.exists(path):
            with open(path) as fh:
                prov = json.load(fh)
        measured = {n: sha for n, sha in (prov.get("encoder_sha256") or {}).items() if n.endswith("_full")}
        if not measured or any(current.get(n) != sha for n, sha in measured.items()):
            missing.append(f"`{run}` (not yet run on the current paper-size encoders)")
            continue
        rows.append({"part": f"`{run}`", "minutes": prov["wall_time_s"] / 60, "command": _user_command(prov)})
    if rows:
        table = pd.DataFrame(rows)
        pre = table[table["part"].str.startswith("pretraining")]["minutes"].sum()
        total = table["minutes"].sum()
        table["minutes"] = table["minutes"].map(lambda m: f"{m:.1f}")
        # a "|" inside a cell (e.g. --scratch-settings "a|b") would split the Markdown cell: escaped
        table["command"] = table["command"].map(lambda c: "`" + c.replace("|", "\\|") + "`" if c else "")
        text = markdown_table(table.set_index("part"))
        text += (f"\nWhole paper-size run: **{total / 60:.1f} h** of process time ({pre / 60:.1f} h pretraining, "
                 f"{(total - pre) / 60:.1f} h tables); each process used one thread and two ran at a time on the "
                 f"2 CPU cores, so about **{total / 120:.1f} h** elapsed.\n")
    else:
        text = "(no part of the paper-size run is done yet)\n"
    if missing:
        text += "\nNot included yet: " + ", ".join(missing) + ".\n"
    dest = os.path.join(out_dir or results_dir, "pretrain_full")
    os.makedirs(dest, exist_ok=True)
    atomic_write_text(os.path.join(dest, "run_time.md"), text)
    return text


def encoder_versions(models_dir: str, results_dir: str = RESULTS) -> str:
    """``encoder_versions.md``: which published results measured an encoder *file* that has since been
    replaced, and the name that file is released under now (matched by the sha256 recorded in each
    result's ``provenance.json`` and in the sidecars). A retrained encoder keeps its name, so a table's row
    name alone cannot say which file it measured; returns the Markdown."""
    from astrokeras.presets import encoder_info, list_encoders

    by_sha = {encoder_info(name, models_dir)["sha256"]: name for name in list_encoders(models_dir)}
    released = set(by_sha.values())
    rows = []
    runs = sorted(os.path.relpath(folder, results_dir) for folder, _, files in os.walk(results_dir)
                  if "provenance.json" in files)  # nested too: simulator_v1_encoders/table1_full, ...
    for run in runs:
        path = os.path.join(results_dir, run, "provenance.json")
        with open(path) as fh:
            measured = json.load(fh).get("encoder_sha256") or {}
        # encoders a recipe trained for itself (token_format's) were never released: not listed
        moved = [f"`{name}` -> `{by_sha.get(sha, 'no longer released')}`" for name, sha in measured.items()
                 if sha is not None and by_sha.get(sha) != name and (sha in by_sha or name in released)]
        if moved:
            rows.append({"result": f"`{run}`", "rows measured with an earlier file (now released as)": ", ".join(moved)})
    if rows:
        text = markdown_table(pd.DataFrame(rows).set_index("result"))
    else:
        text = "Every published result measured the encoder files released now under the same names.\n"
    atomic_write_text(os.path.join(results_dir, "encoder_versions.md"), text)
    return text


#: files of ``publish_run``'s destination that it writes itself (never stale)
GENERATED = ("readme_headline.md", "readme_comparisons.md", "readme_previous_release.md", "runtime.md")


def _result_files(folder: str) -> list[str]:
    """The result files of a run or results folder (kept extensions; no hidden or temporary files)."""
    return [e for e in sorted(os.listdir(folder)) if os.path.isfile(os.path.join(folder, e))
            and e.endswith(KEEP_EXTENSIONS) and not e.startswith(".")]


def run_files(run_dir: str, slack_s: float = 120.0) -> tuple[list[str], list[str]]:
    """The result files of the last run in ``run_dir``, and those left there by an earlier run.

    A run writes ``provenance.json`` last, with its ``wall_time_s``; a file last written before that run
    started (more than ``slack_s`` before) is an earlier run's (e.g. a confusion matrix of a row since
    renamed). Without a wall time, every file counts as the run's.
    """
    entries = _result_files(run_dir)
    prov_path = os.path.join(run_dir, "provenance.json")
    try:
        with open(prov_path) as f:
            start = os.path.getmtime(prov_path) - float(json.load(f)["wall_time_s"]) - slack_s
    except (OSError, KeyError, TypeError, ValueError):
        return entries, []
    current = [e for e in entries if os.path.getmtime(os.path.join(run_dir, e)) >= start]
    return current, [e for e in entries if e not in current]


def publish_run(run_dir: str, name: str, results_dir: str = RESULTS) -> str:
    """Make ``results_dir/name`` hold the result files of the last run in ``run_dir``: copy them, remove
    files an earlier run left there or in the destination (:func:`run_files`), and write
    ``readme_headline.md`` and the other generated blocks."""
    dest = os.path.join(results_dir, name)
    os.makedirs(dest, exist_ok=True)
    current, stale = run_files(run_dir)
    if stale:
        print(f"[publish] {run_dir}: not copied, left by an earlier run: {', '.join(stale)}")
    for entry in current:
        tmp = os.path.join(dest, f".tmp_{entry}")
        shutil.copyfile(os.path.join(run_dir, entry), tmp)
        os.replace(tmp, os.path.join(dest, entry))
    for entry in _result_files(dest):
        if entry not in current and entry not in GENERATED:
            os.remove(os.path.join(dest, entry))
            print(f"[publish] removed {os.path.join(dest, entry)}: the last run did not write it")
    if name.startswith(COPY_ONLY):
        return dest
    kind = "table2" if name.startswith("table2") else "table1"
    atomic_write_text(os.path.join(dest, "readme_headline.md"), headline(dest, kind))
    atomic_write_text(os.path.join(dest, "readme_comparisons.md"), comparisons_block(dest, kind))
    if kind == "table1":
        atomic_write_text(os.path.join(dest, "readme_previous_release.md"), previous_release_block(dest))
    atomic_write_text(os.path.join(dest, "runtime.md"), runtime_line(dest, run_dir.rstrip("/") + ".log"))
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=["runs"], nargs="+", help="folder(s) holding the recipes' workdirs")
    parser.add_argument("--check", action="store_true", help="only check that the README blocks are current")
    parser.add_argument("--reference", action="store_true",
                        help="re-run table1's small reference configuration and commit-ready its summary")
    args = parser.parse_args(argv)
    if args.reference:
        from recipes import table1

        work = os.path.join(args.runs[0], "table1_reference")
        table1.run(table1.reference_config(), work)
        print(f"published {work} -> {publish_run(work, 'reference_small')}")
        return 0
    if args.check:
        stale = [f"{path}: {name}" for path in MARKDOWN_FILES for name in update_markdown_blocks(path, RESULTS, check=True)]
        print("\n".join(stale) if stale else "README blocks are current")
        return 1 if stale else 0
    for size in ("quick", "full"):
        print(f"pretraining summary from the sidecars -> {os.path.join(RESULTS, f'pretrain_{size}', 'summary.md')}")
        pretrain_summary(os.path.join(ROOT, "saved_models"), size=size)
    for runs in args.runs:
        for run_name, name in RUNS.items():
            folder = os.path.join(runs, run_name)
            if os.path.exists(os.path.join(folder, "provenance.json")):  # a finished run
                print(f"published {folder} -> {publish_run(folder, name)}")
    encoder_versions(os.path.join(ROOT, "saved_models"))
    print(f"encoders measured by each result -> {os.path.join(RESULTS, 'encoder_versions.md')}")
    paper_size_run_time(os.path.join(ROOT, "saved_models"))
    print(f"paper-size run time -> {os.path.join(RESULTS, 'pretrain_full', 'run_time.md')}")
    for path in MARKDOWN_FILES:
        changed = update_markdown_blocks(path, RESULTS)
        print(f"{path}: {len(changed)} block(s) regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
