"""recipes.pretrain end to end at a tiny scale: simulate, split, train, measure alignment, release."""

import json
import os

import numpy as np
import pytest

import astrokeras as ak
from recipes import pretrain


def test_pretrain_recipe_releases_an_encoder(tmp_path):
    models = str(tmp_path / "models")
    config = pretrain.get_config(quick=True, variants=("contrastive_ztf_lsst",), scale=0.003, epochs=1,
                                 n_jobs=1, release=True, models_dir=models, max_val_alignment=200)
    table = pretrain.run(config, str(tmp_path / "work"))
    row = table.loc["contrastive_ztf_lsst"]
    assert row["epochs_run"] == 1 and row["n_train"] > row["n_val"] > 0
    assert 0.0 <= row["alignment_probe_auroc"] <= 1.0 and np.isfinite(row["alignment_mmd2"])
    assert (tmp_path / "work" / "pretrain_summary.md").read_text().startswith("| ")

    info = ak.presets.encoder_info("contrastive_ztf_lsst", models)
    assert info["data_presets"] == ["ztf_pretrain", "lsst_pretrain"] and info["data_scale"] == 0.003
    assert "--variant contrastive_ztf_lsst --scale 0.003 --epochs 1 --release" in info["command"]
    assert pretrain.get_config(quick=False).release_suffix == "_full"  # --full releases <variant>_full
    assert info["photometry_views"] == {"ztf": ["forced", "alerts"], "lsst": ["forced"]}
    encoder = ak.load_encoder("contrastive_ztf_lsst", models)
    assert isinstance(encoder, ak.GRUEncoder)
    ref = pretrain.reference_inputs(models)
    with np.load(os.path.join(models, "contrastive_ztf_lsst.reference.npz")) as stored:
        np.testing.assert_allclose(encoder.predict(ref, verbose=0), stored["outputs"], atol=1e-5)
    metrics = json.loads((tmp_path / "work" / "contrastive_ztf_lsst" / "metrics.json").read_text())
    assert metrics["variant"] == "contrastive_ztf_lsst"
    assert metrics["train_wall_s"] > 0 and metrics["train_curves_per_s"] > 0  # all epochs, timed by the checkpoint
    assert info["validation_metrics"]["train_wall_s"] == metrics["train_wall_s"]


def test_timing_of_a_resumed_run_covers_every_epoch_or_says_it_cannot():
    class History:
        history = {"loss": [1.0] * 10}
    done = History()
    done.train_seconds, done.resumed_epochs = 200.0, 4
    assert pretrain._timing(done, 50.0, 1000) == {"train_wall_s": 200.0, "train_curves_per_s": 50.0}
    old = History()  # resumed from a checkpoint that predates the record: 6 epochs timed in 50 s
    old.train_seconds, old.resumed_epochs = None, 4
    assert pretrain._timing(old, 50.0, 1000) == {"train_wall_s_this_session": 50.0, "epochs_resumed": 4,
                                                 "train_curves_per_s": 120.0}


def test_photometry_views_keep_both_views_of_an_object_on_one_side():
    lcs = ak.LightCurves.concat([ak.simulate(s, n=40, seed=5, id_prefix=f"{s}_") for s in ("ztf", "lsst")])
    config = pretrain.get_config(quick=True, scale=0.001)
    assert config.ztf_views == ("forced", "alerts") and config.lsst_views == ("forced",)
    train, val = pretrain._split(lcs, config)
    views = pretrain.photometry_views(train, config)
    ztf_ids = train.object_ids[train.metadata["survey"].to_numpy() == "ztf"]
    alert_ids = [i for i in views.object_ids if i.endswith("#alerts")]
    assert 0 < len(alert_ids) <= len(ztf_ids) and {i[:-len("#alerts")] for i in alert_ids} <= set(ztf_ids)
    assert not set(alert_ids) & set(pretrain.photometry_views(val, config).object_ids)
    for i in alert_ids[:5]:  # the alert view holds the detections of the forced view, and nothing else
        forced = views[i[:-len("#alerts")]]
        np.testing.assert_array_equal(views[i].flux.to_numpy(), forced.flux[forced.flux >= 5 * forced.flux_err])
    assert views.metadata.loc[alert_ids[0], "label"] == views.metadata.loc[alert_ids[0][:-7], "label"]
    only_alerts = pretrain.photometry_views(train, pretrain.get_config(ztf_views=("alerts",)))
    assert not any(i.endswith("#alerts") for i in only_alerts.object_ids)
    with pytest.raises(ValueError, match="ztf_views"):
        pretrain.photometry_views(train, pretrain.get_config(ztf_views=("raw",)))


# a validation set of a few objects leaves classes without a cross-survey neighbour in the alignment metrics
@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_pretrain_invariant_variant_on_paired_views(tmp_path):
    models = str(tmp_path / "models")
    config = pretrain.get_config(quick=True, variants=("invariant_ztf_lsst",), paired_scale=0.0005, epochs=1,
                                 release=True, models_dir=models, objects_per_batch=8,
                                 ztf_paired_views=("ztf", "lsst", "ztf:r", "ztf#alerts"),
                                 lsst_paired_views=("lsst", "lsst@0.3"))
    table = pretrain.run(config, str(tmp_path / "work"))
    row = table.loc["invariant_ztf_lsst"]
    assert row["epochs_run"] == 1 and row["n_train"] > row["n_val"] > 0
    assert np.isfinite(row["val_view_loss"]) and 0.0 <= row["val_consistency_loss"] <= 1.0
    assert 0.0 <= row["alignment_probe_auroc_matched"] <= 1.0
    info = ak.presets.encoder_info("invariant_ztf_lsst", models)
    assert "--variant invariant_ztf_lsst --scale 0.2 --epochs 1 --paired-scale 0.0005 --release" in info["command"]
    assert info["data_scale"] == 0.0005 and "paired" in info["data_presets"][0]
    assert isinstance(ak.load_encoder("invariant_ztf_lsst", models), ak.GRUEncoder)
    # the paired sets are cached with their object codes, distinct across the ZTF- and LSST-detected sets
    lcs = pretrain._simulate_paired(config, str(tmp_path / "work"))
    per_object = lcs.metadata.groupby("object_code")["object_key"].nunique()
    assert (per_object == 1).all() and lcs.metadata["object_key"].nunique() == len(per_object)
    assert pretrain.VARIANTS["classifier_paired_ztf_lsst"]["invariance_weight"] == 0.0


@pytest.mark.slow
def test_pretrain_data_parallel_on_two_virtual_cpus_matches_one_device(tmp_path):
    """`--data-parallel --virtual-cpu-devices 2` (MirroredStrategy) trains like one device.

    Not bit-equal; the likely cause: each epoch ends with a partial global batch that MirroredStrategy splits unevenly
    over the replicas, and the replicas' means are weighted equally (with batches that split evenly the
    losses are equal to float rounding: tests/test_distribute.py). Measured difference here: < 0.5%.
    """
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "astrofm", "recipes.pretrain", "--variant", "classifier_ztf", "--scale", "0.01",
           "--epochs", "2", "--seed", "0", "--workdir"]
    runs = {"one": [], "two": ["--data-parallel", "--virtual-cpu-devices", "2"]}
    procs = {k: subprocess.Popen(cmd + [str(tmp_path / k)] + extra, cwd=root, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for k, extra in runs.items()}
    for k, p in procs.items():
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, (k, err[-2000:])
    hist = {k: json.loads((tmp_path / k / "classifier_ztf" / "history.json").read_text())["history"] for k in runs}
    assert len(hist["one"]["loss"]) == len(hist["two"]["loss"]) == 2
    np.testing.assert_allclose(hist["two"]["loss"], hist["one"]["loss"], rtol=0.02)
    np.testing.assert_allclose(hist["two"]["val_loss"], hist["one"]["val_loss"], rtol=0.02)
    assert hist["two"]["loss"][1] < hist["two"]["loss"][0]


def test_variables_variant_predicts_transients_and_variables_and_keeps_eros_curves():
    from astrokeras.simulation import ALL_CLASSES, CLASSES

    assert pretrain.variant_classes("classifier_variables_ztf_lsst") == ALL_CLASSES
    assert pretrain.variant_classes("classifier_ztf_lsst") == CLASSES
    assert "classifier_variables_ztf_lsst" not in pretrain.PAPER_VARIANTS
    eros = ak.simulate_preset("eros_variables", scale=0.01)
    views = pretrain.photometry_views(eros, pretrain.get_config())
    assert len(views) == len(eros) and set(views.metadata["survey"]) == {"eros"}   # every visit, no alert view
    model = pretrain.build_model("classifier_variables_ztf_lsst")
    assert model.get_config()["n_classes"] == len(ALL_CLASSES)


@pytest.mark.slow  # three processes importing TensorFlow: ~2 min on 2 idle cores
def test_processes_train_variants_in_parallel_workers_and_release_them(tmp_path):
    """--processes 2: two worker processes, one variant each, logs in the workdir; a failing worker is named."""
    work, models = tmp_path / "work", tmp_path / "models"
    argv = ["--variant", "classifier_ztf_lsst,contrastive_ztf_lsst", "--scale", "0.003", "--epochs", "1",
            "--workdir", str(work), "--models-dir", str(models), "--release", "--threads", "1", "--processes", "2"]
    assert pretrain.main(argv) == 0
    assert sorted(ak.list_encoders(str(models))) == ["classifier_ztf_lsst", "contrastive_ztf_lsst"]
    for variant in ("classifier_ztf_lsst", "contrastive_ztf_lsst"):
        assert (work / f"{variant}.log").stat().st_size > 0
        info = ak.presets.encoder_info(variant, str(models))
        assert "--threads 1" in info["command"] and "--scale 0.003 --epochs 1" in info["command"]
    summary = (work / "pretrain_summary.csv").read_text()
    assert "classifier_ztf_lsst" in summary and "contrastive_ztf_lsst" in summary
    # one shared simulation: the workers found the sets the parent cached
    assert len(list((work / "data").glob("ztf_pretrain_*.parquet"))) == 2  # the set and its metadata
    with pytest.raises(SystemExit):
        pretrain.main(argv[:-1] + ["0"])


class _FakeWorker:
    """Stands in for a worker process: its first poll writes an epoch line to its log, the second ends it."""

    def __init__(self, cmd, stdout, events, **kwargs):
        self.variant, self.log, self.events, self.polls = cmd[cmd.index("--variant") + 1], stdout, events, 0
        self.returncode = None
        events.append(("start", self.variant))

    def poll(self):
        self.polls += 1
        if self.polls == 1:
            self.log.write(b"Epoch 1/1\n")
            self.log.flush()
            self.events.append(("epoch", self.variant))
            return None
        self.returncode = 0
        return 0


@pytest.mark.parametrize("stagger_timeout_s", [1800.0, 0.0])
def test_workers_start_one_after_another_once_the_previous_one_trains(monkeypatch, tmp_path, stagger_timeout_s):
    """A worker's peak memory is in preparing its data, so the next starts after its first epoch line
    (two paper-size paired-view workers preparing at once were OOM-killed on 24 GB); 0 starts all at once."""
    import subprocess

    events = []
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: _FakeWorker(cmd, events=events, **kw))
    monkeypatch.setattr(pretrain, "_simulate", lambda config, workdir: None)
    monkeypatch.setattr(pretrain, "summarize", lambda workdir: None)
    config = pretrain.get_config(quick=True, variants=("classifier_ztf_lsst", "contrastive_ztf_lsst"))
    code = pretrain.run_processes(config, str(tmp_path), [], processes=2, threads=1, poll_s=0.01,
                                  stagger_timeout_s=stagger_timeout_s)
    assert code == 0
    starts = [i for i, (kind, _) in enumerate(events) if kind == "start"]
    first_epoch = events.index(("epoch", "classifier_ztf_lsst"))
    if stagger_timeout_s:
        assert starts[1] > first_epoch   # the second started after the first one's epoch line
    else:
        assert starts == [0, 1]          # both at once


def test_a_worker_killed_by_the_kernel_is_named_with_its_signal():
    assert pretrain._exit_description(1) == "exit status 1"
    killed = pretrain._exit_description(-9)
    assert "SIGKILL" in killed and "out-of-memory" in killed and "--processes" in killed
    assert "SIGTERM" in pretrain._exit_description(-15) and "out-of-memory" not in pretrain._exit_description(-15)


def test_variant_groups_expand_in_order_without_repeats(monkeypatch):
    seen = {}
    monkeypatch.setattr(pretrain, "run", lambda config, workdir: seen.setdefault("variants", config.variants))
    assert pretrain.main(["--variant", "paper,invariant_ztf_lsst,classifier_ztf", "--full"]) == 0
    assert seen["variants"] == (*pretrain.PAPER_VARIANTS, "invariant_ztf_lsst")
    assert len(pretrain.PAPER_VARIANTS) == 5 and "adversarial_confusion_ztf_lsst" not in pretrain.PAPER_VARIANTS
    with pytest.raises(SystemExit):
        pretrain.main(["--variant", "paper,nonsense"])
    with pytest.raises(SystemExit):
        pretrain.main(["--variant", "paper", "--processes", "2", "--data-parallel"])
