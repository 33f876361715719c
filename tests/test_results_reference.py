"""Committed results: a small fixed table1 configuration reproduces its committed numbers, and the
README tables are exactly what the committed result files say."""

import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from astrokeras.results import update_markdown_blocks
from recipes import publish, table1

REFERENCE = os.path.join(publish.RESULTS, "reference_small", "summary.csv")
#: tolerance for re-running on another machine/BLAS: heads and forests are seeded, the encoder is
#: fixed, so differences come from float summation order only
TOLERANCE = {"macro_auroc": 0.01, "auroc": 0.02, "mse": 0.05}   # absolute; MSE x 10^3 relative 5%


@pytest.mark.needs_data("ztf_bts_antares")
def test_small_reference_configuration_reproduces_committed_numbers(tmp_path, data_home):
    committed = pd.read_csv(REFERENCE).set_index(["row", "column"])
    table1.run(table1.reference_config(data_home=data_home), str(tmp_path))
    now = pd.read_csv(tmp_path / "summary.csv").set_index(["row", "column"])
    assert set(now.index) == set(committed.index)
    for key, ref in committed.iterrows():
        got = now.loc[key, "mean"]
        if ref["metric"] == "mse":
            assert got == pytest.approx(ref["mean"], rel=TOLERANCE["mse"]), key
        elif ref["metric"] in TOLERANCE:
            assert abs(got - ref["mean"]) <= TOLERANCE[ref["metric"]], key
        else:  # ECE and temperatures
            assert abs(got - ref["mean"]) <= 0.03 * max(1.0, abs(ref["mean"])), key
    assert np.isfinite(now["ci_low"].dropna()).all()


def test_readme_tables_are_generated_from_committed_results():
    for path in publish.MARKDOWN_FILES:
        assert update_markdown_blocks(path, publish.RESULTS, check=True) == [], (
            f"{path} holds a results block that differs from recipes/results/; run `python -m astrofm recipes.publish`")


def test_markdown_blocks_are_replaced_from_files(tmp_path):
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "t.md").write_text("| a |\n|---|\n| 1 |\n")
    md = tmp_path / "README.md"
    md.write_text("intro\n<!-- results:t.md -->\nold pasted table\n<!-- /results:t.md -->\nend\n")
    assert update_markdown_blocks(str(md), str(tmp_path / "res"), check=True) == ["t.md"]
    assert update_markdown_blocks(str(md), str(tmp_path / "res")) == ["t.md"]
    assert md.read_text() == "intro\n<!-- results:t.md -->\n| a |\n|---|\n| 1 |\n<!-- /results:t.md -->\nend\n"
    assert update_markdown_blocks(str(md), str(tmp_path / "res"), check=True) == []


def test_pretraining_table_matches_the_released_sidecars(tmp_path):
    """recipes/results/pretrain_quick/summary.md is what the committed sidecars say (re-publish after a release)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = publish.pretrain_summary(os.path.join(root, "saved_models"), str(tmp_path))
    with open(os.path.join(root, "recipes", "results", "pretrain_quick", "summary.md"), encoding="utf-8") as fh:
        assert fh.read() == text
    assert "classifier_ztf_lsst_sim1" in text and text.count("\n") >= 2 + 2 * len(publish.PRETRAIN_VARIANTS)
    # the paper-size table: every NAME_full sidecar and the total training time of the simulator-v2 ones
    full = publish.pretrain_summary(os.path.join(root, "saved_models"), str(tmp_path), size="full")
    with open(os.path.join(root, "recipes", "results", "pretrain_full", "summary.md"), encoding="utf-8") as fh:
        assert fh.read() == full
    assert "| classifier_ztf_lsst_full_sim1 | v1 |" in full and "Training time of the simulator-v2" in full


def test_paper_size_run_time_is_what_the_sidecars_and_provenance_say(tmp_path):
    """pretrain_full/run_time.md: committed == regenerated; every paper-size part is listed or named as missing."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = publish.paper_size_run_time(os.path.join(root, "saved_models"), out_dir=str(tmp_path))
    with open(os.path.join(publish.RESULTS, "pretrain_full", "run_time.md"), encoding="utf-8") as fh:
        assert fh.read() == text
    for variant in publish.PAPER_SIZE_VARIANTS:
        assert f"`{variant}_full`" in text
    for run in publish.FULL_TABLE_RESULTS:
        assert f"`{run}`" in text
    for line in text.splitlines():  # every table row keeps its three cells ("|" in commands escaped)
        if line.startswith("| "):
            assert len(re.split(r"(?<!\\)\|", line)) == 5, line


def test_encoder_versions_name_the_files_each_result_measured(tmp_path):
    """encoder_versions.md is what the committed provenance and sidecars say; a replaced file is traced."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = publish.encoder_versions(os.path.join(root, "saved_models"))
    with open(os.path.join(publish.RESULTS, "encoder_versions.md"), encoding="utf-8") as fh:
        assert fh.read() == text
    models, results = tmp_path / "models", tmp_path / "results"
    models.mkdir()
    new, old = "1" * 64, "0" * 64  # sha256 of the retrained and of the previous file
    for name, sha in (("enc", new), ("enc_sim1", old)):  # a release: a .keras file and its sidecar
        (models / f"{name}.json").write_text(json.dumps({"name": name, "sha256": sha}))
        (models / f"{name}.keras").write_bytes(b"")
    for run, shas in (("a", {"enc": old}), ("b", {"enc": new}), ("c", {"own": "2" * 64}),
                      ("kept/d", {"enc": old})):  # a previous run kept in a subfolder is listed too
        (results / run).mkdir(parents=True)
        (results / run / "provenance.json").write_text(json.dumps({"encoder_sha256": shas}))
    text = publish.encoder_versions(str(models), str(results))
    assert "| `a` | `enc` -> `enc_sim1` |" in text and "`b`" not in text and "`c`" not in text
    assert "| `kept/d` | `enc` -> `enc_sim1` |" in text


def test_copy_only_runs_are_published_as_they_are(tmp_path):
    """cross_survey / token_format write their own tables: publishing copies the small files only."""
    run = tmp_path / "runs" / "cross_survey"
    (run / "cache").mkdir(parents=True)
    (run / "cross_survey.md").write_text("table\n")
    (run / "runtime.md").write_text("Wall time 1.0 min\n")
    (run / "provenance.json").write_text("{}")
    (run / "cache" / "enc.pkl").write_bytes(b"x")
    dest = publish.publish_run(str(run), publish.RUNS["cross_survey"], str(tmp_path / "results"))
    assert sorted(os.listdir(dest)) == ["cross_survey.md", "provenance.json", "runtime.md"]
    with open(os.path.join(dest, "runtime.md")) as fh:
        assert fh.read() == "Wall time 1.0 min\n"  # its own, not re-derived


def test_publishing_leaves_out_files_of_an_earlier_run(tmp_path):
    """A file the last run did not write (older than its start: provenance mtime - wall time) is neither
    copied nor kept in the destination; the files publish generates itself stay."""
    import json
    import time

    run = tmp_path / "runs" / "cross_survey"
    run.mkdir(parents=True)
    (run / "old_confusion.csv").write_text("earlier run\n")
    hour_ago = time.time() - 3600
    os.utime(run / "old_confusion.csv", (hour_ago, hour_ago))
    (run / "cross_survey.md").write_text("table\n")
    (run / "provenance.json").write_text(json.dumps({"wall_time_s": 30.0}))
    assert publish.run_files(str(run)) == (["cross_survey.md", "provenance.json"], ["old_confusion.csv"])
    dest = tmp_path / "results" / publish.RUNS["cross_survey"]
    dest.mkdir(parents=True)
    (dest / "renamed_row.png").write_bytes(b"stale")   # published before, not written by the last run
    (dest / "runtime.md").write_text("generated\n")      # publish's own kind of file: kept
    publish.publish_run(str(run), publish.RUNS["cross_survey"], str(tmp_path / "results"))
    assert sorted(os.listdir(dest)) == ["cross_survey.md", "provenance.json", "runtime.md"]
    (run / "provenance.json").write_text("{}")           # no wall time: every file counts as the run's
    assert publish.run_files(str(run))[1] == []
