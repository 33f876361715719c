"""Tests of astrokeras.predict (a saved task model -> one call on a table -> a DataFrame) and of the
README block between ``<!-- predict-example -->`` markers, run verbatim in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.models import Classifier, GRUEncoder, ProbabilisticRegressor, Regressor
from astrokeras.predict import predict_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)
NAMES = ["SN Ia", "SN II"]


def _table() -> pd.DataFrame:
    """Two ZTF objects in a user's column names (bare band names: needs survey='ztf')."""
    rng = np.random.default_rng(0)
    rows = []
    for oid, n in (("ZTF21aaa", 9), ("ZTF21bbb", 5)):
        for i in range(n):
            rows.append({"object_id": oid, "mjd": 59000.0 + 2.5 * i, "filter": "gr"[i % 2],
                         "flux": float(rng.uniform(50, 500)), "flux_err": 10.0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def classifier():
    keras.utils.set_random_seed(0)
    return Classifier(GRUEncoder(**TINY), n_classes=2, hidden_units=(4,), class_names=NAMES,
                      tokenizer=ak.Tokenizer())


def test_classifier_frame_matches_predict_in_order(classifier):
    table = _table()
    frame = predict_table(classifier, table, survey="ztf")
    lcs, _ = ak.LightCurves.from_table(table, survey="ztf").validate()
    expected = ds.predict_in_order(classifier, lcs, ak.Tokenizer())
    assert list(frame.columns) == ["object_id", "SN Ia", "SN II", "predicted_class"]
    assert list(frame["object_id"]) == ["ZTF21aaa", "ZTF21bbb"]
    np.testing.assert_allclose(frame[NAMES].to_numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(frame[NAMES].sum(axis=1), 1.0, rtol=1e-5)
    assert list(frame["predicted_class"]) == [NAMES[i] for i in np.argmax(expected, axis=1)]
    assert frame.attrs["validation_report"].n_repaired == 0 and frame.attrs["n_truncated"] == 0


def test_every_input_type_gives_the_same_frame(classifier, tmp_path):
    from astropy.table import Table

    table = _table()
    reference = classifier.predict_table(table, survey="ztf")
    lcs = ak.LightCurves.from_table(table, survey="ztf")
    table_ztf = table.assign(filter="ztf" + table["filter"])
    table_ztf.to_csv(tmp_path / "p.csv", index=False)
    others = [classifier.predict_table(Table.from_pandas(table), survey="ztf"),
              classifier.predict_table(lcs),
              classifier.predict_table(ak.Tokenizer().tokenize(lcs)),
              classifier.predict_table(str(tmp_path / "p.csv"))]
    for frame in others:
        pd.testing.assert_frame_equal(frame, reference, atol=1e-6)


def test_repairs_are_counted_and_empty_objects_get_no_row(classifier):
    table = _table()
    table.loc[0, "flux"] = np.nan                          # one bad observation: dropped, counted
    lone = pd.DataFrame({"object_id": ["ZTF21ccc"], "mjd": [59001.0], "filter": ["g"],
                         "flux": [np.nan], "flux_err": [1.0]})  # no valid observation: no row
    frame = classifier.predict_table(pd.concat([table, lone]), survey="ztf")
    report = frame.attrs["validation_report"]
    assert report.n_nonfinite == 2 and report.dropped_objects == ["ZTF21ccc"]
    assert list(frame["object_id"]) == ["ZTF21aaa", "ZTF21bbb"]
    assert np.isfinite(frame[NAMES].to_numpy()).all()
    with pytest.raises(ak.LightCurveError, match="ZTF21aaa"):
        classifier.predict_table(pd.concat([table, lone]), survey="ztf", policy="raise")


def test_class_names_default_and_override():
    model = Classifier(GRUEncoder(**TINY), n_classes=2, tokenizer=ak.Tokenizer())
    frame = model.predict_table(_table(), survey="ztf")
    assert list(frame.columns) == ["object_id", "class_0", "class_1", "predicted_class"]
    frame = model.predict_table(_table(), survey="ztf", class_names=["x", "y"])
    assert list(frame.columns) == ["object_id", "x", "y", "predicted_class"]
    with pytest.raises(ValueError, match="2-class"):
        model.predict_table(_table(), survey="ztf", class_names=["x", "y", "z"])


@pytest.mark.parametrize("bad, match", [(["a"], "n_classes=2"), (["a", "a"], "distinct"),
                                        (["a", "object_id"], "other than"), ("ab", "list of names")])
def test_bad_class_names_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        Classifier(GRUEncoder(**TINY), n_classes=2, class_names=bad)


def test_model_without_tokenizer_and_mismatched_tokens_raise_clearly():
    model = Classifier(GRUEncoder(**TINY), n_classes=2)
    with pytest.raises(ValueError, match="no tokenizer settings"):
        model.predict_table(_table(), survey="ztf")
    frame = model.predict_table(_table(), survey="ztf", tokenizer=ak.Tokenizer())
    assert len(frame) == 2
    with pytest.raises(ValueError, match="3 features"):
        model.predict_table(_table(), survey="ztf", tokenizer=ak.Tokenizer(include_flux_err=True))
    with pytest.raises(ValueError, match="not a Tokenizer"):
        Classifier(GRUEncoder(**TINY), n_classes=2, tokenizer={"flux_scale": 1.0, "colour": "red"})


@pytest.mark.parametrize("data", [_table(), "lcs", "tokens"])
def test_predict_on_a_table_points_to_predict_table(classifier, data):
    lcs = ak.LightCurves.from_table(_table(), survey="ztf")
    data = {"lcs": lcs, "tokens": ak.Tokenizer().tokenize(lcs)}.get(data, data) if isinstance(data, str) else data
    with pytest.raises(TypeError, match="predict_table"):
        classifier.predict(data, verbose=0)
    with pytest.raises(TypeError, match="predict_table"):
        classifier.encoder.predict(data, verbose=0)


def test_probabilistic_regressor_columns_are_the_log_normal_moments():
    keras.utils.set_random_seed(3)
    model = ProbabilisticRegressor(GRUEncoder(**TINY), hidden_units=(4,), loc=0.1, scale=0.3,
                                   tokenizer=ak.Tokenizer())
    frame = model.predict_table(_table(), survey="ztf")
    params = ds.predict_in_order(model, ak.LightCurves.from_table(_table(), survey="ztf"), ak.Tokenizer())
    dist = stats.lognorm(s=params[:, 1], scale=np.exp(params[:, 0]))  # 1 + z
    np.testing.assert_allclose(frame["redshift_mean"], dist.mean() - 1, rtol=1e-5)
    np.testing.assert_allclose(frame["redshift_std"], dist.std(), rtol=1e-4)
    np.testing.assert_allclose(frame["redshift_lower_68"], dist.ppf(0.16) - 1, rtol=1e-4, atol=1e-6)
    regressor = Regressor(GRUEncoder(**TINY), hidden_units=(4,), target="z", tokenizer=ak.Tokenizer())
    assert list(regressor.predict_table(_table(), survey="ztf").columns) == ["object_id", "z"]
    with pytest.raises(ValueError, match="not a classifier"):
        regressor.predict_table(_table(), survey="ztf", class_names=["a"])


def test_encoder_frame_and_from_preset(tmp_path):
    keras.utils.set_random_seed(0)
    encoder = GRUEncoder(**TINY)
    encoder.save(tmp_path / "tiny.keras")
    ak.presets.write_sidecar(str(tmp_path / "tiny.keras"), tokenizer=ak.Tokenizer(flux_scale=20.0).get_config())
    loaded = GRUEncoder.from_preset("tiny", str(tmp_path))
    assert loaded.preset_tokenizer == ak.Tokenizer(flux_scale=20.0)
    frame = loaded.predict_table(_table(), survey="ztf")
    assert list(frame.columns) == ["object_id"] + [f"z_{i}" for i in range(6)]
    lcs = ak.LightCurves.from_table(_table(), survey="ztf")
    np.testing.assert_allclose(frame.iloc[:, 1:].to_numpy(),
                               ds.embed(encoder, lcs, ak.Tokenizer(flux_scale=20.0)), atol=1e-6)
    task = Classifier.from_preset("tiny", str(tmp_path), n_classes=2, class_names=NAMES)
    assert task.tokenizer == ak.Tokenizer(flux_scale=20.0) and task.class_names == NAMES
    head = ds.build_head(6, "regression", hidden_units=(4,))
    with pytest.raises(ValueError, match="classification heads"):
        ds.attach_head(loaded, head, class_names=NAMES)
    assert ds.attach_head(encoder, head).tokenizer == ak.Tokenizer()  # embed's default


def test_empty_input_gives_an_empty_array_of_the_output_shape(classifier):
    tokens = ak.Tokenizer().tokenize(ak.LightCurves.empty())
    assert ds.predict_in_order(classifier, tokens).shape == (0, 2)
    frame = classifier.predict_table(tokens)
    assert list(frame.columns) == ["object_id", "SN Ia", "SN II", "predicted_class"] and len(frame) == 0


# ------------------------------------------------------------------------------ README
def _readme_block() -> str:
    with open(os.path.join(ROOT, "README.md")) as fh:
        readme = fh.read()
    start, end = "<!-- predict-example -->", "<!-- /predict-example -->"
    assert start in readme and end in readme, "README.md lacks the predict-example block"
    block = readme.split(start, 1)[1].split(end, 1)[0]
    return block.split("```python", 1)[1].split("```", 1)[0]


def test_readme_predict_example_runs_verbatim_in_a_fresh_process(classifier, tmp_path):
    """Save a classifier, then run the README block as is in a new Python process."""
    classifier.save(tmp_path / "my_classifier.keras")
    _table().to_csv(tmp_path / "photometry.csv", index=False)
    driver = ("import sys\nns = {}\nexec(compile(sys.stdin.read(), 'README.md', 'exec'), ns)\n"
              "ns['predictions'].to_csv('predictions.csv', index=False)\n")
    # this checkout's astrokeras (not another install), under the active backend
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(),
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    proc = subprocess.run([sys.executable, "-c", driver], input=_readme_block(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = pd.read_csv(tmp_path / "predictions.csv")
    want = classifier.predict_table(_table(), survey="ztf")
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got[NAMES].to_numpy(), want[NAMES].to_numpy(), atol=1e-6)
    assert list(got["predicted_class"]) == list(want["predicted_class"])
    assert "predicted_class" in proc.stdout  # the block prints the frame
