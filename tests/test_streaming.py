"""Incremental streaming (astrokeras.streaming, numpy_forward, state_store): incremental == full re-embed.

Real ZTF BTS light curves (the copy shipped with the package) are fed to the scorer in several
increments; after each increment the scorer's latents/probabilities must equal re-embedding each
object's whole history with ``astrokeras.downstream.embed`` / ``predict_in_order``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

import astrokeras as ak
from astrokeras.downstream import attach_head, build_head, embed, predict_in_order
from astrokeras.numpy_forward import NotStreamableError, NumpyGRUEncoder
from astrokeras.photometry import LightCurveError
from astrokeras.state_store import StateStore, StateStoreMismatch
from astrokeras.streaming import RecomputeRequired, StreamingScorer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOL = 2e-5  # float32 rounding of NumPy vs Keras over up to 256 GRU steps (latents are O(10))


@pytest.fixture(scope="module")
def bts():
    lcs = ak.datasets.load_bts()
    rng = np.random.default_rng(0)
    longest = lcs.object_ids[np.argsort(-lcs.lengths)[:3]]  # 792, ... points: beyond max_length=256
    ids = np.concatenate([longest, rng.choice(np.setdiff1d(lcs.object_ids, longest), 37, replace=False)])
    return lcs.subset(ids)


@pytest.fixture(scope="module")
def released():
    return ak.GRUEncoder.from_preset("classifier_ztf_lsst_full")


def _increments(lcs: ak.LightCurves, cuts=(0.25, 0.5, 0.8)) -> list[pd.DataFrame]:
    """Each object's observations split at the same fractions of its length (time order kept)."""
    ph = lcs.photometry
    frac = ph.groupby("object_id", sort=False).cumcount() / ph.groupby("object_id", sort=False)["time_mjd"].transform("size")
    edges = (0.0,) + tuple(cuts) + (1.01,)
    return [ph[(frac >= a) & (frac < b)] for a, b in zip(edges[:-1], edges[1:])]


def _history(lcs: ak.LightCurves, parts: list[pd.DataFrame]) -> ak.LightCurves:
    return ak.LightCurves.from_table(pd.concat(parts)).subset(
        [o for o in lcs.object_ids if o in set(pd.concat(parts)["object_id"])])


def test_released_encoder_incremental_equals_full_reembedding_on_bts(bts, released):
    tok = released.preset_tokenizer
    assert (tok.normalization, tok.window, tok.max_length) == ("absolute", "peak", 256)
    scorer = StreamingScorer(released)
    parts = _increments(bts)
    paths = []
    for i, part in enumerate(parts):
        result = scorer.update(part)
        paths += list(result.path)
        seen = _history(bts, parts[:i + 1])
        ref = embed(released, seen.subset(list(result.object_ids)), tok)
        np.testing.assert_allclose(result.latent, ref, atol=ATOL, rtol=1e-5)
        assert (result.n_points == seen.subset(list(result.object_ids)).lengths).all()
    # the three longest curves exceed max_length=256: the peak window moves, so those are re-embedded
    assert paths.count("recomputed") >= 3 and paths.count("incremental") > 100
    final = scorer.scores(bts.object_ids)
    np.testing.assert_allclose(final.latent, embed(released, bts, tok), atol=ATOL, rtol=1e-5)


def test_attached_classifier_probabilities_match_predict_in_order(bts, released):
    keras.utils.set_random_seed(0)
    head = build_head(released.output_shape[-1], "classification", n_classes=3, hidden_units=(16,))
    model = attach_head(released, head, class_names=["SN Ia", "SN II", "other"])
    scorer = StreamingScorer(model)  # a task model: its encoder, head, tokenizer and class names
    parts = _increments(bts, cuts=(0.5,))
    scorer.update(parts[0])
    result = scorer.update(parts[1])
    ref = predict_in_order(model, bts.subset(list(result.object_ids)), model.tokenizer)
    np.testing.assert_allclose(result.outputs, ref, atol=1e-5)
    frame = result.to_frame()
    assert list(frame.columns) == ["object_id", "n_points", "path", "SN Ia", "SN II", "other", "predicted_class"]
    assert (frame["predicted_class"] == np.array(["SN Ia", "SN II", "other"])[ref.argmax(1)]).all()


@pytest.mark.parametrize("tokenizer, expected_path", [
    (ak.Tokenizer(normalization="per_object"), "recomputed"),   # the scale grows with a brighter point
    (ak.Tokenizer(max_length=24, window="first"), "frozen"),    # beyond the first 24 points
    (ak.Tokenizer(max_length=24, window="last"), "recomputed"),
    (ak.Tokenizer(max_length=24, window="peak"), "recomputed"),
    (ak.Tokenizer(include_flux_err=True), "incremental"),
], ids=["per_object", "first", "last", "peak", "flux_err"])
def test_non_causal_tokenizer_settings_fall_back_exactly(bts, tokenizer, expected_path):
    keras.utils.set_random_seed(1)
    enc = ak.GRUEncoder(n_features=tokenizer.n_features, gru_units=16, n_gru_layers=2, dense_units=(16,),
                        latent_dim=8)
    scorer = StreamingScorer(enc, tokenizer=tokenizer)
    parts = _increments(bts)
    paths = []
    for part in parts:
        paths += list(scorer.update(part).path)
    assert expected_path in paths
    final = scorer.scores(bts.object_ids)
    np.testing.assert_allclose(final.latent, embed(enc, bts, tokenizer), atol=ATOL, rtol=1e-5)


def _tiny(seed=2):
    keras.utils.set_random_seed(seed)
    return ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)


def test_out_of_order_and_repeated_points(bts):
    enc = _tiny()
    scorer = StreamingScorer(enc, tokenizer=ak.Tokenizer())
    one = bts.subset(bts.object_ids[3:5])
    ph = one.photometry
    late = ph.groupby("object_id").nth(2)                   # each object's 3rd point arrives last
    scorer.update(ph.drop(index=late.index))
    result = scorer.update(late)
    assert list(result.path) == ["recomputed", "recomputed"]
    np.testing.assert_allclose(result.latent, embed(enc, one, ak.Tokenizer()), atol=ATOL)
    # a whole alert packet repeats earlier points: they are dropped, the state is unchanged
    again = scorer.update(ph)
    assert list(again.path) == ["unchanged", "unchanged"] and again.n_duplicates == len(ph)
    np.testing.assert_array_equal(again.latent, result.latent)
    assert (again.n_points == one.lengths).all()


def test_allow_recompute_false_raises_and_writes_nothing(bts):
    scorer = StreamingScorer(_tiny(), tokenizer=ak.Tokenizer(), allow_recompute=False)
    ph = bts.subset(bts.object_ids[5:6]).photometry
    scorer.update(ph.iloc[1:])
    before = scorer.scores(ph["object_id"].iloc[:1])
    with pytest.raises(RecomputeRequired, match=r"earlier than the latest.*allow_recompute=False"):
        scorer.update(ph.iloc[:1])
    after = scorer.scores(ph["object_id"].iloc[:1])
    assert after.n_points[0] == before.n_points[0] == len(ph) - 1


def test_bad_values_are_an_error_naming_the_object_and_write_nothing():
    scorer = StreamingScorer(_tiny(), tokenizer=ak.Tokenizer())
    table = pd.DataFrame({"object_id": ["ok", "bad"], "mjd": [1.0, 2.0], "band": ["ztfg", "ztfg"],
                          "flux": [5.0, np.nan], "flux_err": [1.0, 1.0]})
    with pytest.raises(LightCurveError, match="object 'bad'.*validate"):
        scorer.update(table)
    assert len(scorer.store) == 0


def test_non_causal_encoders_are_refused():
    values = keras.Input((None, 3), name="values")
    mask = keras.Input((None,), dtype="bool", name="mask")
    bi = keras.layers.Bidirectional(keras.layers.GRU(4), name="bigru")(values, mask=mask)
    model = keras.Model({"values": values, "mask": mask}, keras.layers.Dense(2, name="latent")(bi))
    with pytest.raises(NotStreamableError, match="Bidirectional"):
        StreamingScorer(model)
    seq = keras.layers.GRU(4, return_sequences=True, name="gru")(values, mask=mask)
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(seq, mask=mask)
    model = keras.Model({"values": values, "mask": mask}, keras.layers.Dense(2, name="latent")(pooled))
    with pytest.raises(NotStreamableError, match="'pool'.*not causal"):
        NumpyGRUEncoder(model)
    with pytest.raises(ValueError, match="reads 3 features.*include_flux_err"):
        StreamingScorer(_tiny(), tokenizer=ak.Tokenizer(include_flux_err=True))


def test_reset_before_gru_and_a_regression_head_match_keras(bts):
    values = keras.Input((None, 3), name="values")
    mask = keras.Input((None,), dtype="bool", name="mask")
    keras.utils.set_random_seed(3)
    h = keras.layers.GRU(6, reset_after=False, name="gru")(values, mask=mask)
    model = keras.Model({"values": values, "mask": mask}, keras.layers.Dense(3, activation="tanh")(h))
    head = build_head(3, "normal", hidden_units=(4,))
    scorer = StreamingScorer(model, head, tokenizer=ak.Tokenizer())
    lcs = bts.subset(bts.object_ids[10:16])
    ph = lcs.photometry
    scorer.update(ph.groupby("object_id").head(3))
    result = scorer.update(ph.drop(index=ph.groupby("object_id").head(3).index))
    z = embed(model, lcs.subset(list(result.object_ids)), ak.Tokenizer())
    np.testing.assert_allclose(result.latent, z, atol=1e-5)
    np.testing.assert_allclose(result.outputs, head.predict(z, verbose=0), atol=1e-5)


def test_store_refuses_another_encoder(tmp_path):
    path = tmp_path / "states.sqlite"
    scorer = StreamingScorer(_tiny(2), tokenizer=ak.Tokenizer(), state_store=path)
    scorer.update(pd.DataFrame({"object_id": ["a"], "mjd": [1.0], "band": ["ztfg"], "flux": [5.0],
                                "flux_err": [1.0]}))
    scorer.store.close()
    with pytest.raises(StateStoreMismatch, match="encoder_sha256.*new store"):
        StreamingScorer(_tiny(3), tokenizer=ak.Tokenizer(), state_store=path)
    with pytest.raises(StateStoreMismatch, match="tokenizer"):
        StreamingScorer(_tiny(2), tokenizer=ak.Tokenizer(flux_scale=5.0), state_store=path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        StateStore(tmp_path / "no" / "such" / "folder.sqlite")


_CHILD = textwrap.dedent("""
    import os, signal, sys
    import keras, pandas as pd
    import astrokeras as ak
    from astrokeras.streaming import StreamingScorer

    model_path, store_path, batches_dir, n_ok = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    scorer = StreamingScorer(keras.models.load_model(model_path), tokenizer=ak.Tokenizer(),
                             state_store=store_path)
    for i in range(n_ok):
        scorer.update(pd.read_parquet(os.path.join(batches_dir, f"{i}.parquet")))

    class KillAtCommit:  # SIGKILL after the batch's rows were written, before COMMIT
        def __init__(self, db):
            self.db = db
        def execute(self, sql, *args):
            if sql == "COMMIT":
                os.kill(os.getpid(), signal.SIGKILL)
            return self.db.execute(sql, *args)
        def __getattr__(self, name):
            return getattr(self.db, name)

    scorer.store._db = KillAtCommit(scorer.store._db)
    scorer.update(pd.read_parquet(os.path.join(batches_dir, f"{n_ok}.parquet")))
    print("not killed")
""")


def test_state_store_survives_a_kill_and_restart_with_identical_outputs(bts, tmp_path):
    enc = _tiny(5)
    enc.save(tmp_path / "enc.keras")
    parts = _increments(bts.subset(bts.object_ids[3:23]), cuts=(0.2, 0.4, 0.6, 0.8))
    for i, part in enumerate(parts):
        part.to_parquet(tmp_path / f"{i}.parquet")
    store = tmp_path / "states.sqlite"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "enc.keras"), str(store), str(tmp_path), "2"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    # restart: the killed batch 2 left nothing; replaying from batch 1 drops batch 1's points as repeats
    restarted = StreamingScorer(keras.models.load_model(tmp_path / "enc.keras"), tokenizer=ak.Tokenizer(),
                                state_store=store)
    seen = pd.concat(parts[:2])
    assert len(restarted.store) == seen["object_id"].nunique()
    assert restarted.scores(seen["object_id"].unique()).n_points.sum() == len(seen)
    for part in parts[1:]:
        restarted.update(part)
    uninterrupted = StreamingScorer(enc, tokenizer=ak.Tokenizer())
    for part in parts:
        uninterrupted.update(part)
    ids = list(pd.concat(parts)["object_id"].unique())
    a, b = restarted.scores(ids), uninterrupted.scores(ids)
    np.testing.assert_array_equal(a.n_points, b.n_points)
    np.testing.assert_array_equal(a.latent, b.latent)
