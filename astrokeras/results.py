"""Results a reviewer can trust: per-run records, bootstrap CIs, paired comparisons, provenance.

Recipes record every run (row, column, outer split, seed) with its **test predictions**
(:class:`RunLog`); :meth:`RunLog.summary` then gives, for every cell,

* ``mean ± std`` over training seeds on the fixed split (outer split 0),
* a 95% bootstrap CI of the seed-averaged metric on that split's test objects,
* ``mean ± std`` over the outer splits (one value per split: the mean over its seeds),

and :meth:`RunLog.compare` the paired bootstrap CI of the difference between two rows on the same
test objects; a README says "better" only when that CI excludes 0. :func:`provenance` records the
command, the git commit, package versions and checksums; :func:`write_table` writes CSV + Markdown
atomically; :func:`render_block` / :func:`update_markdown_blocks` generate README tables from the
committed result files (never pasted by hand).

Example:
    >>> import numpy as np
    >>> log = RunLog(n_boot=200)
    >>> y = np.array([0, 1] * 50); rng = np.random.default_rng(0)
    >>> for seed in range(3):
    ...     _ = log.add("A", "AUROC", "auroc", split=0, seed=seed, y_true=y, y_pred=y + rng.normal(0, .5, 100))
    ...     _ = log.add("B", "AUROC", "auroc", split=0, seed=seed, y_true=y, y_pred=y + rng.normal(0, 5, 100))
    >>> cell = log.summary().set_index(["row", "column"]).loc[("A", "AUROC")]
    >>> bool(cell["ci_low"] < cell["mean"] < cell["ci_high"])
    True
    >>> bool(log.compare("A", "B", "AUROC")["a_better"])
    True
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import platform
import re
import subprocess
import sys
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from astrokeras.bootstrap import bootstrap_ci, bootstrap_weights, paired_difference_ci, weighted_metric
from astrokeras.caching import atomic_write_text

__all__ = ["RunLog", "provenance", "file_sha256", "array_fingerprint", "write_table", "format_cell",
           "render_block", "update_markdown_blocks"]


@dataclasses.dataclass
class _Run:
    row: str
    column: str
    metric: str
    split: int
    seed: int
    value: float
    dev_value: float | None
    scale: float
    y_pred: np.ndarray | None
    key: str | None


class RunLog:
    """Per-run results with test predictions, for CIs and paired comparisons.

    Args:
        n_boot: bootstrap resamples (2,000 by default).
        seed: bootstrap seed (the same resamples for every row: paired).
    """

    def __init__(self, n_boot: int = 2000, seed: int = 0):
        self.n_boot = int(n_boot)
        self.seed = int(seed)
        self.runs: list[_Run] = []
        self.truth: dict[tuple[str, int], np.ndarray] = {}   # (column, split) -> y_true on test
        self._weights: dict[tuple[str, int], np.ndarray] = {}

    def add(self, row: str, column: str, metric: str, *, split: int, seed: int, y_true: np.ndarray,
            y_pred: np.ndarray, dev_value: float | None = None, scale: float = 1.0,
            test_key: str | None = None) -> float:
        """Record one run; returns its test value (``scale`` x metric, e.g. 1e3 for MSE x 10^3).

        ``y_true`` must be the same for every row of a (column, split): the test objects are shared.
        """
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred, dtype=np.float32)
        known = self.truth.get((column, split))
        if known is None:
            self.truth[(column, split)] = y_true
        elif len(known) != len(y_true) or not np.array_equal(known, y_true):
            raise ValueError(f"{row!r}: the test objects of column {column!r}, split {split} differ from "
                             "those of the rows recorded before; paired comparisons need the same objects")
        value = float(scale * weighted_metric(metric, y_true, y_pred)[0])
        self.runs.append(_Run(row, column, metric, int(split), int(seed), value,
                              None if dev_value is None else float(dev_value), float(scale), y_pred, test_key))
        return value

    def add_value(self, row: str, column: str, value: float, *, split: int, seed: int,
                  dev_value: float | None = None) -> None:
        """Record a scalar without predictions (e.g. an ECE): summarised as mean ± std, no CI."""
        self.runs.append(_Run(row, column, "value", int(split), int(seed), float(value),
                              None if dev_value is None else float(dev_value), 1.0, None, None))

    # ------------------------------------------------------------------ frames
    def frame(self) -> pd.DataFrame:
        """One line per run: row, column, metric, split, seed, value, dev_value."""
        return pd.DataFrame([{"row": r.row, "column": r.column, "metric": r.metric, "split": r.split,
                              "seed": r.seed, "value": r.value, "dev_value": r.dev_value} for r in self.runs],
                            columns=["row", "column", "metric", "split", "seed", "value", "dev_value"])

    def runs_for(self, row: str, column: str, split: int = 0) -> list:
        """The recorded runs (``.seed``, ``.value``, ``.y_pred``) of one cell on one split."""
        return [r for r in self.runs if r.row == row and r.column == column and r.split == split]


    def weights(self, column: str, split: int = 0) -> np.ndarray:
        if (column, split) not in self._weights:
            y = self.truth[(column, split)]
            self._weights[(column, split)] = bootstrap_weights(len(y), self.n_boot, self.seed)
        return self._weights[(column, split)]

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per cell: mean/std over seeds (split 0), bootstrap CI (split 0), mean/std over splits."""
        df = self.frame()
        out = []
        for (row, column), cell in df.groupby(["row", "column"], sort=False):
            first = cell[cell["split"] == cell["split"].min()]
            split0 = int(first["split"].iloc[0])
            entry = {"row": row, "column": column, "metric": cell["metric"].iloc[0], "fixed_split": split0,
                     "mean": first["value"].mean(), "std": first["value"].std(ddof=0),
                     "n_seeds": len(first), "dev_mean": first["dev_value"].mean(),
                     "ci_low": np.nan, "ci_high": np.nan}
            runs = self.runs_for(row, column, split0)
            if runs[0].y_pred is not None:
                ci = bootstrap_ci(runs[0].metric, self.truth[(column, split0)], [r.y_pred for r in runs],
                                  self.weights(column, split0), level)
                entry["ci_low"], entry["ci_high"] = (runs[0].scale * v for v in ci["ci"])
            per_split = cell.groupby("split")["value"].mean()
            entry.update(split_mean=per_split.mean(), split_std=per_split.std(ddof=0), n_splits=len(per_split))
            out.append(entry)
        return pd.DataFrame(out, columns=["row", "column", "metric", "fixed_split", "mean", "std", "n_seeds",
                                          "dev_mean", "ci_low", "ci_high", "split_mean", "split_std", "n_splits"])

    def compare(self, row_a: str, row_b: str, column: str, split: int = 0, level: float = 0.95) -> dict:
        """Paired bootstrap CI of ``column(row_a) - column(row_b)`` on the same test objects."""
        runs_a, runs_b = self.runs_for(row_a, column, split), self.runs_for(row_b, column, split)
        if not runs_a or not runs_b:
            raise KeyError(f"no runs for ({row_a!r} or {row_b!r}, {column!r}, split {split})")
        metric, scale = runs_a[0].metric, runs_a[0].scale
        res = paired_difference_ci(metric, self.truth[(column, split)], [r.y_pred for r in runs_a],
                                   [r.y_pred for r in runs_b], self.weights(column, split), level)
        return {"a": row_a, "b": row_b, "column": column, "difference": scale * res["difference"],
                "ci_low": scale * res["ci"][0], "ci_high": scale * res["ci"][1],
                "a_better": res["a_better"], "b_better": res["b_better"],
                "verdict": "A better" if res["a_better"] else ("B better" if res["b_better"] else "no significant difference")}

    def comparisons(self, pairs: Iterable[tuple[str, str]], columns: Sequence[str]) -> pd.DataFrame:
        """:meth:`compare` for every pair and column where both rows have runs."""
        have = {(r.row, r.column) for r in self.runs if r.y_pred is not None and r.split == 0}
        out = [self.compare(a, b, c) for a, b in pairs for c in columns if (a, c) in have and (b, c) in have]
        return pd.DataFrame(out, columns=["a", "b", "column", "difference", "ci_low", "ci_high", "a_better",
                                          "b_better", "verdict"])


def format_cell(mean: float, std: float | None = None, ci: tuple[float, float] | None = None,
                digits: int = 3) -> str:
    """``0.912 ± 0.004 [0.889, 0.934]`` (parts left out when missing or NaN)."""
    if mean is None or not np.isfinite(mean):
        return "—"
    text = f"{mean:.{digits}f}"
    if std is not None and np.isfinite(std) and std > 0:
        text += f" ± {std:.{digits}f}"
    if ci is not None and all(np.isfinite(ci)):
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


# ------------------------------------------------------------------ provenance
def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def array_fingerprint(*arrays) -> str:
    """sha256 (16 hex digits) of the bytes of ``arrays`` (e.g. a data set's ids, times and fluxes)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(a.astype(str).tobytes() if a.dtype == object else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _git(*args, strip: bool = True) -> str | None:
    """``git ARGS`` in the package's checkout (None outside one); ``strip=False`` keeps the leading blank
    of ``status --porcelain`` lines (`` M path``), which the path column is counted from."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=10,
                             check=True).stdout
    except Exception:
        return None
    return out.strip() if strip else out


_GIT_STATE: dict | None = None


def git_state(refresh: bool = False) -> dict:
    """The checkout's commit and uncommitted (tracked) paths, taken once per process.

    ``python -m astrofm`` takes it before it imports a recipe, so a run's provenance names the code
    it started from, not edits made to the tree while it ran. ``refresh=True`` takes it anew.

    >>> sorted(git_state())
    ['git_commit', 'git_dirty', 'git_dirty_paths']
    """
    global _GIT_STATE
    if _GIT_STATE is None or refresh:
        status = _git("status", "--porcelain", "--untracked-files=no", strip=False)
        paths = sorted(line[3:] for line in (status or "").splitlines() if line.strip())
        _GIT_STATE = {"git_commit": _git("rev-parse", "HEAD"), "git_dirty": None if status is None else bool(paths),
                      "git_dirty_paths": paths[:50]}
    return dict(_GIT_STATE)


def provenance(command: str | None = None, **extra) -> dict:
    """Command, time, git commit (and the uncommitted paths, when the run started: :func:`git_state`),
    versions, machine."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("astrokeras", "keras", "tensorflow", "jax", "torch", "numpy", "scikit-learn", "pandas",
                "light-curve"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    if command is None:
        argv = list(sys.argv)
        if argv and argv[0].replace(os.sep, "/").endswith("astrofm/__main__.py"):
            argv = ["-m", "astrofm"] + argv[1:]
        command = " ".join(["python"] + argv)
    return {
        "command": command,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **git_state(),
        "python": platform.python_version(),
        "versions": versions,
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        **extra,
    }


def load_note() -> str:
    """How busy the machine was, for runtime lines: CPUs, this process's nice value, 1-min load.

    >>> load_note().split(",")[0].endswith("CPUs")
    True
    """
    try:
        load = f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):  # not on every platform
        load = "unknown"
    niceness = os.nice(0) if hasattr(os, "nice") else 0
    return f"{os.cpu_count()} CPUs, this process at nice {niceness}, 1-min load average {load} when it finished"


def commit_label(prov: dict) -> str:
    """``Commit `abc1234567``` and, when the run started from a tree with uncommitted changes, which.

    >>> commit_label({"git_commit": "0123456789abcdef", "git_dirty": True, "git_dirty_paths": ["README.md"]})
    'Commit `0123456789` (uncommitted changes: README.md)'
    """
    label = f"Commit `{(prov.get('git_commit') or 'unknown')[:10]}`"
    if prov.get("git_dirty"):
        paths = list(prov.get("git_dirty_paths") or [])
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        label += f" (uncommitted changes{': ' + shown if shown else ''})"
    return label


def write_table(df: pd.DataFrame, folder: str, name: str, markdown: str | None = None) -> None:
    """``name.csv`` (and ``name.md`` when ``markdown`` is given) written atomically."""
    os.makedirs(folder, exist_ok=True)
    atomic_write_text(os.path.join(folder, f"{name}.csv"), df.to_csv(index=False))
    if markdown is not None:
        atomic_write_text(os.path.join(folder, f"{name}.md"), markdown)


# ---------------------------------------------------------------- README blocks
_BLOCK = re.compile(r"(<!-- results:(?P<name>[\w./-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)


def render_block(results_dir: str, name: str) -> str:
    """The text a README block ``<!-- results:NAME -->`` must hold: the file ``results_dir/NAME``."""
    path = os.path.join(results_dir, name)
    with open(path, encoding="utf-8") as fh:
        return fh.read().rstrip("\n") + "\n"


def update_markdown_blocks(markdown_path: str, results_dir: str, check: bool = False) -> list[str]:
    """Replace every ``<!-- results:NAME -->...<!-- /results:NAME -->`` block of a Markdown file by
    :func:`render_block`; with ``check=True`` change nothing and return the names that differ."""
    with open(markdown_path, encoding="utf-8") as fh:
        text = fh.read()
    stale = []

    def repl(m):
        body = render_block(results_dir, m.group("name"))
        if body != m.group("body"):
            stale.append(m.group("name"))
        return m.group(1) + body + m.group(4)

    new = _BLOCK.sub(repl, text)
    if not check and new != text:
        atomic_write_text(markdown_path, new)
    return stale
