"""Bounded-memory scoring (astrokeras.scoring, astrokeras.chunking): same latents as embed()."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from astrokeras.chunking import UngroupedInputError, iter_light_curve_chunks
from astrokeras.downstream import embed, fit_head
from astrokeras.scoring import ScoringSummary, embed_stream, score_to_parquet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def lcs():
    sim = ak.simulate("ztf", n=300, classes=["SN Ia", "SN II"], seed=4, sed="analytic",
                      post_trigger_days=120.0)
    assert sim.lengths.max() <= 256  # no windowing: the test compares with embed() exactly
    return sim


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(0)
    return ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)


@pytest.fixture(scope="module")
def reference(lcs, encoder):
    return embed(encoder, lcs, batch_size=128)


def _latents(frame):
    return frame[[c for c in frame.columns if c.startswith("z_")]].to_numpy()


def test_stream_of_chunks_matches_embed_in_input_order(lcs, encoder, reference):
    parts = [lcs.subset(np.arange(0, 130)), lcs.subset(np.arange(130, 131)), lcs.subset(np.arange(131, 300))]
    summary = ScoringSummary()
    frames = list(embed_stream(encoder, parts, chunk_size=70, batch_size=32, summary=summary, inference_threads=2))
    assert [len(f) for f in frames] == [70, 70, 70, 70, 20]  # chunks refilled across the input parts
    out = pd.concat(frames, ignore_index=True)
    assert out["object_id"].tolist() == lcs.object_ids.tolist()
    np.testing.assert_allclose(_latents(out), reference, atol=1e-5)
    assert summary.n_objects == 300 and summary.n_observations == lcs.n_observations


def test_parquet_file_read_in_small_batches_splits_no_object(lcs, encoder, reference, tmp_path):
    table = lcs.photometry.rename(columns={"object_id": "snid", "time_mjd": "mjd"})
    path = tmp_path / "photometry.parquet"
    table.to_parquet(path, row_group_size=997)
    out_path = tmp_path / "latents.parquet"
    summary = score_to_parquet(encoder, str(path), str(out_path), chunk_size=64, rows_per_read=997)
    out = pd.read_parquet(out_path)
    assert out["object_id"].tolist() == lcs.object_ids.tolist()
    np.testing.assert_allclose(_latents(out), reference, atol=1e-5)
    assert summary.n_chunks == 5 and out["z_0"].dtype == np.float32
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_unsorted_rows_raise_unless_partitioned(lcs, encoder, reference, tmp_path):
    rows = lcs.photometry.sample(frac=1.0, random_state=0)
    with pytest.raises(UngroupedInputError, match="appears again"):
        list(embed_stream(encoder, [rows.iloc[:5000], rows.iloc[5000:]], chunk_size=50))
    frames = list(embed_stream(encoder, [rows.iloc[:5000], rows.iloc[5000:]], chunk_size=50, grouped=False,
                               n_partitions=4, tmp_dir=str(tmp_path)))
    out = pd.concat(frames, ignore_index=True).set_index("object_id")
    assert sorted(out.index) == sorted(lcs.object_ids) and out.index.is_unique
    np.testing.assert_allclose(_latents(out.loc[lcs.object_ids]), reference, atol=1e-5)
    assert os.listdir(tmp_path) == []  # partitions removed


def test_csv_in_chunks_keeps_text_ids_and_converts_magnitudes(encoder, tmp_path):
    text = ("oid,mjd,fid,magpsf,sigmapsf\n"
            "00101,59000.0,1,18.0,0.05\n00101,59001.0,2,18.2,0.05\n00101,59003.0,1,18.1,0.05\n"
            "00102,59000.5,2,19.0,0.1\n00102,59002.5,2,19.3,0.1\n")
    path = tmp_path / "alerts.csv"
    path.write_text(text)
    frames = list(embed_stream(encoder, str(path), rows_per_read=2, chunk_size=1))
    assert [f["object_id"].tolist() for f in frames] == [["00101"], ["00102"]]
    whole = embed(encoder, ak.LightCurves.read_csv(str(path)))
    np.testing.assert_allclose(np.concatenate([_latents(f) for f in frames]), whole, atol=1e-5)


def test_simulation_folder_and_head_probabilities(encoder, tmp_path):
    from astrokeras.simulation.cli import main as simulate_main
    from astrokeras.simulation.shards import read_simulation

    out = tmp_path / "sims"
    simulate_main(["--survey", "lsst", "--n", "80", "--classes", "SN Ia", "SN II", "--seed", "2",
                   "--out", str(out), "--shard-size", "30"])
    whole = read_simulation(str(out))
    z = embed(encoder, whole)
    y = (whole.metadata["label"] == "SN II").to_numpy().astype(int)
    head = fit_head(z, y, "classification", n_classes=2, hidden_units=(8,), epochs=3)
    head_path = tmp_path / "head.keras"
    head.save(head_path)
    (tmp_path / "head.json").write_text(json.dumps({"class_names": ["SN Ia", "SN II"]}))
    frame = pd.concat(embed_stream(encoder, str(out), head=str(head_path), chunk_size=25, verify=True),
                      ignore_index=True)
    assert frame["object_id"].tolist() == whole.object_ids.tolist()
    np.testing.assert_allclose(_latents(frame), z, atol=1e-5)
    probs = head.predict(z, verbose=0)
    np.testing.assert_allclose(frame[["SN Ia", "SN II"]].to_numpy(), probs, atol=1e-5)
    assert frame["predicted_class"].tolist() == np.array(["SN Ia", "SN II"])[probs.argmax(1)].tolist()


def test_failed_run_leaves_previous_output_untouched(lcs, encoder, tmp_path):
    out_path = tmp_path / "latents.parquet"
    out_path.write_bytes(b"previous")
    good = lcs.subset(np.arange(100)).photometry
    bad = lcs.subset(np.arange(100, 150)).photometry
    bad.loc[bad.index[-1], "band"] = "no_such_band"  # a later chunk fails after 10 were written
    with pytest.raises(ValueError, match="no_such_band"):  # UnknownBandError
        score_to_parquet(encoder, [good, bad], str(out_path), chunk_size=10, prefetch=False)
    assert out_path.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["latents.parquet"]


def test_validation_repairs_are_counted_and_empty_input_gives_empty_file(encoder, tmp_path):
    table = pd.DataFrame({"object_id": ["a", "a", "b"], "mjd": [1.0, 2.0, 1.0], "band": ["ztfg"] * 3,
                          "flux": [5.0, np.nan, np.nan], "flux_err": [1.0, 1.0, 1.0]})
    summary = ScoringSummary()
    out = pd.concat(embed_stream(encoder, table, summary=summary))
    assert out["object_id"].tolist() == ["a"]
    assert summary.n_dropped_objects == 1 and summary.n_repaired_observations == 2
    path = tmp_path / "empty.parquet"
    assert score_to_parquet(encoder, ak.LightCurves.empty(), str(path)).n_objects == 0
    assert len(pd.read_parquet(path)) == 0


def test_bad_arguments_are_clear(encoder):
    with pytest.raises(ValueError, match="chunk_size"):
        list(iter_light_curve_chunks(ak.LightCurves.empty(), chunk_size=0))
    with pytest.raises(ak.LightCurveError, match="no such file"):
        list(embed_stream(encoder, "/no/such/file.parquet"))
    with pytest.raises(KeyError, match="neither a file nor a released encoder"):
        list(embed_stream("no_such_encoder", ak.LightCurves.empty()))


def test_cli_embed_with_a_released_encoder(lcs, tmp_path):
    from astrokeras.downstream import tokenizer_for

    path = tmp_path / "photometry.parquet"
    small = lcs.subset(np.arange(40))
    small.photometry.to_parquet(path)
    out_path = tmp_path / "latents.parquet"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "astrofm", "embed", "--encoder", "contrastive_ztf_lsst",
                           "--input", str(path), "--output", str(out_path), "--chunk-size", "16", "--no-progress"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "40 objects" in proc.stdout
    out = pd.read_parquet(out_path)
    released = ak.load_encoder("contrastive_ztf_lsst")
    z = embed(released, small, tokenizer=tokenizer_for("contrastive_ztf_lsst"))
    assert out["object_id"].tolist() == small.object_ids.tolist()
    np.testing.assert_allclose(_latents(out), z, atol=1e-4)
