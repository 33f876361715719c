"""Reports from a :class:`~astrokeras.results.RunLog`: comparison and calibration tables, per-class
AUROC, confusion matrices and reliability diagrams (shared by the table recipes).

Example:
    >>> import numpy as np
    >>> from astrokeras.results import RunLog
    >>> log = RunLog(n_boot=50); y = np.array([0, 1, 2] * 20)
    >>> p = np.eye(3)[y] * 0.7 + 0.1
    >>> _ = log.add("m", "AUROC (Full)", "macro_auroc", split=0, seed=0, y_true=y, y_pred=p)
    >>> import tempfile
    >>> per_class_reports(log, [("AUROC (Full)", ("a", "b", "c"), "t")], ["m"], ["m"], tempfile.mkdtemp())["auroc"].tolist()
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from astrokeras.caching import atomic_write_text
from astrokeras.evaluation import markdown_table
from astrokeras.results import format_cell

__all__ = ["comparisons_markdown", "calibration_table", "per_class_reports"]


def comparisons_markdown(comps: pd.DataFrame, digits: int = 3) -> str:
    """Paired comparisons (:meth:`RunLog.comparisons`) as Markdown: A, B, column, difference [CI], verdict."""
    if comps.empty:
        return "(no comparisons)\n"
    view = pd.DataFrame({
        "A": comps["a"], "B": comps["b"], "column": comps["column"],
        "A − B [95% paired CI]": [format_cell(d, None, (lo, hi), digits) for d, lo, hi in
                                 zip(comps["difference"], comps["ci_low"], comps["ci_high"])],
        "verdict": comps["verdict"]}).set_index("A")
    return markdown_table(view)


def calibration_table(summary: pd.DataFrame, rows) -> pd.DataFrame:
    """ECE / temperature cells of a :meth:`RunLog.summary` as a rows x columns table (mean ± std)."""
    cols = [c for c in pd.unique(summary["column"]) if "ECE" in c or "temperature" in c]
    out = pd.DataFrame(index=[r for r in rows], columns=cols, dtype=object)
    out.index.name = "row"
    for _, r in summary[summary["column"].isin(cols)].iterrows():
        if r["row"] in out.index:
            out.loc[r["row"], r["column"]] = format_cell(r["mean"], r["std"])
    return out.dropna(how="all").fillna("—")


def per_class_reports(log, tasks, rows, shown, workdir: str) -> pd.DataFrame:
    """Per-class AUROC (seed-averaged test probabilities, split 0) for every row; confusion matrices
    (CSV + PNG) and a reliability diagram for the ``shown`` rows.

    Args:
        log: the :class:`~astrokeras.results.RunLog`.
        tasks: ``[(column, class_names, tag)]`` classification columns to report.
        rows: table rows, in order.
        shown: rows that get confusion matrices and reliability curves.
        workdir: output folder (``confusion_{tag}_{row}.csv/png``, ``reliability_{tag}.png``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix, roc_auc_score

    from astrokeras.calibration import plot_reliability, reliability_curve

    out = []
    for column, classes, tag in tasks:
        if (column, 0) not in log.truth:
            continue
        y = log.truth[(column, 0)].astype(int)
        curves = {}
        for row in rows:
            runs = log.runs_for(row, column, 0)
            if not runs:
                continue
            p = np.mean([r.y_pred for r in runs], axis=0)
            for c, name in enumerate(classes):
                out.append({"row": row, "task": column, "class": name, "n_test": int(np.sum(y == c)),
                            "auroc": float(roc_auc_score(y == c, p[:, c]))})
            if row in shown:
                cm = confusion_matrix(y, p.argmax(1), labels=range(len(classes)))
                slug = "".join(ch if ch.isalnum() else "_" for ch in row.lower())[:50]
                frame = pd.DataFrame(cm, index=[f"true {c}" for c in classes], columns=[f"pred {c}" for c in classes])
                atomic_write_text(os.path.join(workdir, f"confusion_{tag}_{slug}.csv"), frame.to_csv())
                fig, ax = plt.subplots(figsize=(4.2, 3.6))
                ax.imshow(cm, cmap="Blues")
                for (i, j), v in np.ndenumerate(cm):
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
                ax.set_xticks(range(len(classes)), classes, rotation=30, fontsize=7)
                ax.set_yticks(range(len(classes)), classes, fontsize=7)
                ax.set_xlabel("predicted")
                ax.set_ylabel("true")
                ax.set_title(f"{row[:40]}\n{column}, split 0", fontsize=8)
                fig.tight_layout()
                fig.savefig(os.path.join(workdir, f"confusion_{tag}_{slug}.png"), dpi=110)
                plt.close(fig)
                curves[row[:40]] = reliability_curve(p, y)
        if curves:
            fig = plot_reliability(curves, title=f"{column} (test, split 0, before temperature scaling)")
            fig.savefig(os.path.join(workdir, f"reliability_{tag}.png"), dpi=110, bbox_inches="tight")
            plt.close(fig)
    return pd.DataFrame(out)


