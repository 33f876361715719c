"""Tests for astrokeras.pipeline (tf.data batches from ragged tokens)."""

import os
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from astrokeras.photometry import LightCurves  # noqa: E402
from astrokeras.pipeline import (  # noqa: E402
    DEFAULT_BUCKET_BOUNDARIES,
    class_weights,
    dataset_from_light_curves,
    make_dataset,
    padding_fraction,
)
from astrokeras.tokens import TokenizedLightCurves, Tokenizer  # noqa: E402


def _tokens(n=300, n_features=3, max_len=256, seed=0):
    """Synthetic tokens whose values say where they come from: channel 0 = object index,
    channel 1 = 1 + position in the curve; the rest random (some exact zeros)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(50), 0.8, n).astype(int), 1, max_len)
    lengths[:3] = [1, max_len, 64]  # edge cases: single point, longest, exactly a padded length
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    obj = np.repeat(np.arange(n), lengths)
    pos = np.arange(offsets[-1]) - offsets[:-1][obj]
    values = rng.normal(size=(offsets[-1], n_features)).astype(np.float32)
    values[:, 0] = obj
    values[:, 1] = pos + 1
    values[::7, 2] = 0.0
    ids = np.array([f"obj{i}" for i in range(n)], dtype=object)
    return TokenizedLightCurves(values=values, offsets=offsets, object_ids=ids)


def _epoch(ds):
    """All batches of one pass, as numpy."""
    return [tf.nest.map_structure(lambda t: t.numpy(), el) for el in ds]


def _indices(ds):
    return np.concatenate([y["index"] for _, y in _epoch(ds)])


@pytest.fixture(scope="module")
def tok():
    return _tokens()


def test_shapes_dtypes_mask_and_padding(tok):
    labels = {"class": np.arange(len(tok)) % 5, "redshift": np.linspace(0, 1, len(tok))}
    ds = make_dataset(tok, labels, batch_size=32, include_index=True)
    allowed = {b - 1 for b in DEFAULT_BUCKET_BOUNDARIES}
    lengths = tok.lengths
    bounds = np.r_[0, DEFAULT_BUCKET_BOUNDARIES]
    for x, y in _epoch(ds):
        v, m, idx = x["values"], x["mask"], y["index"]
        B, T, F = v.shape
        assert v.dtype == np.float32 and m.dtype == bool and m.shape == (B, T) and F == 3
        assert y["class"].dtype == np.int32 and y["redshift"].dtype == np.float32
        assert T in allowed  # bucket shapes only from the boundary set
        # every curve of the batch belongs to the bucket whose padded length is T
        k = sorted(allowed).index(T)
        assert ((lengths[idx] >= bounds[k]) & (lengths[idx] < bounds[k + 1])).all()
        # mask = right-padded prefix of the true length
        np.testing.assert_array_equal(m, np.arange(T)[None, :] < lengths[idx][:, None])
        assert (v[~m] == 0).all()
        # real values are the object's own tokens, in order
        for b in range(B):
            start, L = tok.offsets[idx[b]], lengths[idx[b]]
            np.testing.assert_array_equal(v[b, :L], tok.values[start:start + L])


def test_labels_aligned_with_objects(tok):
    n = len(tok)
    labels = {"obj": np.arange(n) * 10, "z": np.arange(n) * 0.5, "onehot": np.eye(n, 4)}
    ds = make_dataset(tok, labels, batch_size=16, shuffle=True, seed=3)
    for x, y in _epoch(ds):
        obj = x["values"][:, 0, 0].astype(int)  # channel 0 holds the object index
        np.testing.assert_array_equal(y["obj"], obj * 10)
        np.testing.assert_allclose(y["z"], obj * 0.5)
        np.testing.assert_array_equal(y["onehot"], np.eye(n, 4)[obj])


@pytest.mark.parametrize("drop_remainder", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_object_once_per_epoch(tok, shuffle, drop_remainder):
    ds = make_dataset(tok, batch_size=32, shuffle=shuffle, seed=1, include_index=True,
                      drop_remainder=drop_remainder)
    idx = _indices(ds)
    assert len(np.unique(idx)) == len(idx)
    if drop_remainder:  # at most one incomplete batch per bucket is dropped
        assert len(tok) - len(idx) < 32 * len(DEFAULT_BUCKET_BOUNDARIES)
        assert len(idx) % 32 == 0
    else:
        np.testing.assert_array_equal(np.sort(idx), np.arange(len(tok)))
    assert ds.cardinality().numpy() == len(_epoch(ds))


def test_nondeterministic_mode_still_yields_each_object_once(tok):
    ds = make_dataset(tok, batch_size=16, shuffle=True, include_index=True, deterministic=False)
    np.testing.assert_array_equal(np.sort(_indices(ds)), np.arange(len(tok)))


def test_seed_determinism_and_reshuffle(tok):
    def orders(seed):
        ds = make_dataset(tok, batch_size=32, shuffle=True, seed=seed, include_index=True)
        return _indices(ds), _indices(ds)  # two epochs (two iterators, as Keras makes)

    a1, a2 = orders(7)
    b1, b2 = orders(7)
    c1, _ = orders(8)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # new order every epoch
    assert not np.array_equal(a1, c1)  # seed matters
    # batches of different buckets interleave (the batch order is shuffled, not sorted by length)
    T = [x["values"].shape[1] for x, _ in _epoch(make_dataset(
        tok, batch_size=16, shuffle=True, seed=7, include_index=True))]
    assert T != sorted(T)


def test_seed_determinism_across_processes(tok, tmp_path):
    code = ("import numpy as np; from astrokeras.pipeline import make_dataset;"
            "from astrokeras.tokens import TokenizedLightCurves as T;"
            "tok = T(values=np.zeros((60, 3), np.float32), offsets=np.arange(0, 61, 3), "
            "object_ids=np.arange(20));"
            "ds = make_dataset(tok, batch_size=4, shuffle=True, seed=5, include_index=True);"
            "print([int(i) for _ in range(2) for _, y in ds for i in y['index']])")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    assert outs[0][0].strip().splitlines()[-1] == outs[1][0].strip().splitlines()[-1]


def test_unshuffled_without_bucketing_keeps_input_order_and_static_shape(tok):
    ds = make_dataset(tok, {"i": np.arange(len(tok))}, batch_size=50, bucket_boundaries=None)
    assert ds.element_spec[0]["values"].shape.as_list() == [None, tok.lengths.max(), 3]
    got = np.concatenate([y["i"] for _, y in _epoch(ds)])
    np.testing.assert_array_equal(got, np.arange(len(tok)))
    ds = make_dataset(tok, batch_size=50, bucket_boundaries=None, max_length=300,
                      drop_remainder=True)
    assert ds.element_spec["values"].shape.as_list() == [50, 300, 3]


def test_pad_to_batch_max_when_not_padding_to_boundary(tok):
    ds = make_dataset(tok, batch_size=32, pad_to_bucket_boundary=False, include_index=True,
                      bucket_boundaries=(40, 100))  # 256-token curves go to the overflow bucket
    for x, y in _epoch(ds):
        assert x["values"].shape[1] == tok.lengths[y["index"]].max()
    assert padding_fraction(tok, ds) < padding_fraction(
        tok, make_dataset(tok, batch_size=32, bucket_boundaries=None))


def test_predict_style_dataset_without_labels(tok):
    ds = make_dataset(tok, batch_size=64)
    el = next(iter(ds))
    assert isinstance(el, dict) and set(el) == {"values", "mask"}
    assert sum(x["mask"].shape[0] for x in ds) == len(tok)


def test_real_zero_flux_stays_unmasked():
    values = np.array([[0.48, 0.0, 0.0], [0.62, 0.1, 0.0], [0.48, 0.0, 1.5]], np.float32)
    tok = TokenizedLightCurves(values=values, offsets=np.array([0, 2, 3]),
                               object_ids=np.array(["a", "b"]))
    x = next(iter(make_dataset(tok, batch_size=2, bucket_boundaries=None)))
    np.testing.assert_array_equal(x["mask"].numpy(), [[True, True], [True, False]])
    np.testing.assert_array_equal(x["values"].numpy()[0], values[:2])


def test_sample_weight_and_repeat(tok):
    n = len(tok)
    ds = make_dataset(tok, {"i": np.arange(n)}, sample_weight=np.arange(n) / n, batch_size=32,
                      shuffle=True, seed=0)
    for _, y, w in _epoch(ds):
        np.testing.assert_allclose(w, y["i"] / n, rtol=1e-6)
    rep = make_dataset(tok, batch_size=32, shuffle=True, seed=0, repeat=True, include_index=True)
    assert rep.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    n_batches = make_dataset(tok, batch_size=32).cardinality().numpy()
    idx = np.concatenate([y["index"].numpy() for _, y in rep.take(2 * n_batches)])
    counts = np.bincount(idx, minlength=n)
    assert counts.min() == 2 and counts.max() == 2  # two full epochs, each object twice


def test_four_channels():
    tok = _tokens(n=40, n_features=4)
    x = next(iter(make_dataset(tok, batch_size=8)))
    assert x["values"].shape[-1] == 4


def test_bad_inputs_raise_clear_errors(tok):
    empty = TokenizedLightCurves(values=np.zeros((0, 3), np.float32), offsets=np.array([0]),
                                 object_ids=np.array([], dtype=object))
    with pytest.raises(ValueError, match="empty"):
        make_dataset(empty)
    with pytest.raises(ValueError, match="'redshift'"):
        make_dataset(tok, {"class": np.zeros(len(tok), int), "redshift": np.zeros(len(tok) - 1)})
    with pytest.raises(ValueError, match="'class'.*strings"):
        make_dataset(tok, {"class": np.array(["Ia"] * len(tok))})
    with pytest.raises(TypeError, match="dict"):
        make_dataset(tok, np.zeros(len(tok)))
    with pytest.raises(ValueError, match="256 tokens.*boundary 200"):
        make_dataset(tok, bucket_boundaries=(100, 200))
    with pytest.raises(ValueError, match="max_length=100"):
        make_dataset(tok, bucket_boundaries=None, max_length=100)
    with pytest.raises(ValueError, match="needs labels"):
        make_dataset(tok, sample_weight=np.ones(len(tok)))
    with pytest.raises(ValueError, match="no complete batch"):
        make_dataset(_tokens(n=10), batch_size=32, drop_remainder=True)
    hole = TokenizedLightCurves(values=np.zeros((2, 3), np.float32), offsets=np.array([0, 2, 2]),
                                object_ids=np.array(["a", "b"], dtype=object))
    with pytest.raises(ValueError, match="'b' has no tokens"):
        make_dataset(hole)


def _light_curves():
    ids = ["a"] * 3 + ["b"] * 2 + ["c"] * 4
    t = [0.0, 2.0, 5.0, 1.0, 4.0, 0.0, 1.0, 2.0, 3.0]
    meta = {"object_id": ["a", "b", "c"], "label": ["SN Ia", "SN II", "SN Ia"],
            "survey": ["ztf", "lsst", "ztf"], "redshift": [0.05, 0.1, 0.2]}
    return LightCurves(ids, t, ["ztf::g"] * 9, np.linspace(10, 90, 9), np.ones(9), metadata=meta)


def test_dataset_from_light_curves_maps_metadata():
    lcs = _light_curves()
    ds = dataset_from_light_curves(
        lcs, Tokenizer(include_flux_err=True),
        label_columns={"class": "label", "domain": "survey", "redshift": "redshift"},
        class_names={"class": ["SN II", "SN Ia"], "domain": ["ztf", "lsst"]},
        batch_size=8, bucket_boundaries=None, include_index=True)
    x, y = next(iter(ds))
    idx = y["index"].numpy()
    assert x["values"].shape == (3, 4, 4)
    np.testing.assert_array_equal(x["mask"].numpy().sum(1), lcs.lengths[idx])
    np.testing.assert_array_equal(y["class"].numpy(), np.array([1, 0, 1])[idx])
    np.testing.assert_array_equal(y["domain"].numpy(), np.array([0, 1, 0])[idx])
    np.testing.assert_allclose(y["redshift"].numpy(), np.array([0.05, 0.1, 0.2])[idx], rtol=1e-6)


def test_dataset_from_light_curves_errors():
    lcs = _light_curves()
    with pytest.raises(ValueError, match="'a' has 'SN Ia', not in class_names.*2 objects"):
        dataset_from_light_curves(lcs, label_columns={"class": "label"},
                                  class_names={"class": ["SN II", "SN Ib"]})
    with pytest.raises(ValueError, match="class_names="):
        dataset_from_light_curves(lcs, label_columns=["label"])
    with pytest.raises(KeyError, match="nope"):
        dataset_from_light_curves(lcs, label_columns=["nope"])
    lcs.metadata.loc["b", "redshift"] = np.nan
    with pytest.raises(ValueError, match="object 'b' has no value"):
        dataset_from_light_curves(lcs, label_columns=["redshift"])


def test_keras_model_with_dict_input_fits_one_step(tok):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the in-process Keras test runs on the TensorFlow backend")
    keras.utils.set_random_seed(0)
    values = keras.Input(shape=(None, 3), name="values")
    mask = keras.Input(shape=(None,), dtype="bool", name="mask")
    h = keras.layers.GRU(4)(values, mask=mask)
    out = keras.layers.Dense(3, name="class")(h)
    model = keras.Model({"values": values, "mask": mask}, {"class": out})
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile("adam", loss={"class": loss})
    labels = {"class": np.arange(len(tok)) % 3}
    ds = make_dataset(tok, labels, batch_size=16, shuffle=True, seed=0)
    history = model.fit(ds, epochs=1, steps_per_epoch=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # class weights as per-object sample weights (dict outputs cannot take Keras' class_weight)
    weights = class_weights(labels["class"], 3)[labels["class"]]
    ds = make_dataset(tok, labels, sample_weight=weights, batch_size=16, shuffle=True, seed=0)
    history = model.fit(ds, epochs=1, steps_per_epoch=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pred = model.predict(make_dataset(tok, batch_size=64, include_index=True), verbose=0)
    assert pred["class"].shape == (len(tok), 3)


def test_imports_under_jax_backend_and_feeds_a_jax_model():
    code = """
import sys, numpy as np, astrokeras
assert 'astrokeras.pipeline' not in sys.modules  # lazy: import astrokeras does not load TF
import astrokeras.pipeline, keras
assert keras.backend.backend() == 'jax'
assert astrokeras.make_dataset is astrokeras.pipeline.make_dataset
from astrokeras.tokens import TokenizedLightCurves
L = np.arange(1, 41); off = np.r_[0, np.cumsum(L)]
tok = TokenizedLightCurves(values=np.ones((off[-1], 3), np.float32), offsets=off,
                           object_ids=np.arange(40))
v = keras.Input((None, 3), name='values'); m = keras.Input((None,), dtype='bool', name='mask')
out = keras.layers.Dense(2, name='class')(keras.layers.GRU(4)(v, mask=m))
model = keras.Model({'values': v, 'mask': m}, {'class': out})
model.compile('adam', loss={'class': keras.losses.SparseCategoricalCrossentropy(from_logits=True)})
ds = astrokeras.make_dataset(tok, {'class': np.arange(40) % 2}, batch_size=16, shuffle=True, seed=0)
loss = model.fit(ds, epochs=1, steps_per_epoch=1, shuffle=False, verbose=0).history['loss'][0]
assert np.isfinite(loss), loss
"""
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
