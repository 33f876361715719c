"""Spark pandas_udf (astrokeras.spark) in local[2] mode, Fink-style array columns."""

import json
import os
import shutil
import sys

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from astrokeras.downstream import embed, fit_head
from astrokeras.spark import score_arrays

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    lcs = ak.simulate("ztf", n=40, classes=["SN Ia", "SN II"], seed=12, sed="analytic", post_trigger_days=120.0)
    keras.utils.set_random_seed(2)
    encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    enc_path = str(folder / "encoder.keras")
    encoder.save(enc_path)
    z = embed(encoder, lcs)
    y = (lcs.metadata["label"] == "SN II").to_numpy().astype(int)
    head = fit_head(z, y, "classification", n_classes=2, hidden_units=(8,), epochs=3)
    head_path = str(folder / "head.keras")
    head.save(head_path)
    (folder / "head.json").write_text(json.dumps({"class_names": ["SN Ia", "SN II"]}))
    # one row per object, Fink style: JD times, fid codes, magnitudes (a NaN magnitude = an upper limit)
    rows = []
    for oid in lcs.object_ids:
        obs = lcs[oid]
        mag = 27.5 - 2.5 * np.log10(np.clip(obs["flux"].to_numpy(), 1e-3, None))
        keep = obs["flux"].to_numpy() > 0
        rows.append({"objectId": oid, "cjd": (obs["time_mjd"].to_numpy() + 2400000.5).tolist(),
                     "cfid": obs["band"].map({"ztf::g": 1, "ztf::r": 2, "ztf::i": 3}).astype(int).tolist(),
                     "cmagpsf": np.where(keep, mag, np.nan).tolist(),
                     "csigmapsf": (obs["flux_err"].to_numpy() / np.clip(obs["flux"].to_numpy(), 1e-3, None)
                                   * 2.5 / np.log(10)).tolist()})
    rows.append({"objectId": "only_limits", "cjd": [2460000.5], "cfid": [1], "cmagpsf": [np.nan],
                 "csigmapsf": [np.nan]})
    table = pd.DataFrame(rows)
    # the light curves the UDF sees: positive fluxes, from the magnitudes
    det = lcs.photometry[lcs.photometry["flux"] > 0]
    expected_lcs = ak.LightCurves(det["object_id"], det["time_mjd"], det["band"], det["flux"], det["flux_err"])
    z_det = embed(encoder, expected_lcs)
    return table, enc_path, head_path, z_det, head.predict(z_det, verbose=0), expected_lcs.object_ids


def _check(out: pd.DataFrame, object_ids, z, probs, ids_in_rows):
    index = {o: i for i, o in enumerate(object_ids)}
    for row, oid in enumerate(ids_in_rows):
        if oid == "only_limits":
            assert out["latent"].iloc[row] is None and pd.isna(out["predicted_class"].iloc[row])
            continue
        np.testing.assert_allclose(np.asarray(out["latent"].iloc[row]), z[index[oid]], atol=1e-4)
        np.testing.assert_allclose(np.asarray(out["probabilities"].iloc[row]), probs[index[oid]], atol=1e-4)
        assert out["predicted_class"].iloc[row] == ["SN Ia", "SN II"][int(np.argmax(probs[index[oid]]))]


def test_score_arrays_without_spark(setup):
    table, enc_path, head_path, z, probs, ids = setup
    out = score_arrays(table["cjd"], table["cfid"], table["cmagpsf"], table["csigmapsf"], encoder=enc_path,
                       head=head_path, magnitudes=True, time_format="jd")
    assert len(out) == len(table)
    _check(out, ids, z, probs, table["objectId"].tolist())
    with pytest.raises(ValueError, match="row 0: band has 2 values"):
        score_arrays(pd.Series([[1.0]]), pd.Series([[1, 2]]), pd.Series([[1.0]]), pd.Series([[1.0]]),
                     encoder=enc_path)


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
# pyspark 4.x warns that it does not yet support pandas >= 3 in full; this UDF's path works (checked below)
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_pandas_udf_in_spark_local_mode(setup, monkeypatch):
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from astrokeras.spark import make_pandas_udf

    table, enc_path, head_path, z, probs, ids = setup
    # Spark's Python workers: this interpreter, this checkout, quiet TensorFlow
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    spark = (SparkSession.builder.master("local[2]").appName("astrokeras-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "16").getOrCreate())
    try:
        spark.sparkContext.setLogLevel("ERROR")
        df = spark.createDataFrame(table).repartition(2)
        classify = make_pandas_udf(enc_path, head=head_path, magnitudes=True, time="jd")
        assert classify.class_names == ["SN Ia", "SN II"]
        scored = df.withColumn("ak", classify("cjd", "cfid", "cmagpsf", "csigmapsf"))
        collected = scored.select("objectId", "ak.latent", "ak.probabilities", "ak.predicted_class").collect()
        out = pd.DataFrame([r.asDict() for r in collected])  # collect(): no driver-side Arrow/pandas conversion
    finally:
        spark.stop()
    assert sorted(out["objectId"]) == sorted(table["objectId"])
    out = out.set_index("objectId").loc[table["objectId"]].reset_index()
    out["latent"] = [None if v is None else np.asarray(v) for v in out["latent"]]
    _check(out, ids, z, probs, table["objectId"].tolist())
    assert pyspark.__version__
