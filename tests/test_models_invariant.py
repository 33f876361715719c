"""Tests of astrokeras.models.InvariantClassifier, its losses and the paired-view batches.

The custom step runs under the active backend here; ``test_backends_in_subprocesses`` also runs
a train + ``.keras`` round trip under TensorFlow, JAX and torch, each in its own process (Keras
picks its backend once per process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras_helpers import make_sequence_inputs, run_keras_model_checks

import astrokeras as ak
from astrokeras.losses import supervised_contrastive_loss, view_consistency_loss
from astrokeras.models import GRUEncoder, InvariantClassifier
from astrokeras.pipeline import make_paired_dataset
from astrokeras.tokens import TokenizedLightCurves

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = dict(gru_units=8, dense_units=(8,), latent_dim=6)


def paired_task_data(n_objects: int = 8, k: int = 2, length: int = 6, seed: int = 0):
    """``k`` noisy views per object; class = sign of the object's flux offset."""
    rng = np.random.default_rng(seed)
    objects = np.repeat(np.arange(n_objects), k)
    label = objects % 2
    x = make_sequence_inputs(n_objects * k, length, seed=seed)
    x["values"][..., 2] += np.where(label, 1.5, -1.5)[:, None] + rng.normal(size=n_objects)[objects, None]
    x["values"][~x["mask"]] = 0.0
    return x, {"class": label.astype("int32"), "object": objects.astype("int32")}


def test_view_consistency_loss_values():
    z = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], "float32")
    assert float(view_consistency_loss([0, 0, 1, 1], z)) == pytest.approx(0.0, abs=1e-7)
    # each object's views differ, objects share a mean: all variance is within objects
    z2 = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], "float32")
    assert float(view_consistency_loss([0, 0, 1, 1], z2)) == pytest.approx(1.0, rel=1e-6)
    # scale-free; single-view objects add nothing to the numerator
    assert float(view_consistency_loss([0, 0, 1, 1], 7 * z2)) == pytest.approx(1.0, rel=1e-6)
    assert float(view_consistency_loss([0, 1, 2, 3], z2)) == pytest.approx(0.0, abs=1e-7)
    collapsed = np.zeros((4, 3), "float32")
    assert np.isfinite(float(view_consistency_loss([0, 0, 1, 1], collapsed)))


def test_invariant_keras_checks(tmp_path):
    _, reloaded = run_keras_model_checks(
        lambda: InvariantClassifier(GRUEncoder(**TINY), n_classes=3, invariance_weight=0.5,
                                    consistency_weight=2.0, contrastive_weight=0.25, temperature=0.3),
        make_sequence_inputs(batch=2, length=7), tmp_path, expected_output_shape=(3,),
    )
    assert (reloaded.invariance_weight, reloaded.consistency_weight, reloaded.contrastive_weight,
            reloaded.temperature) == (0.5, 2.0, 0.25, 0.3)


def test_loss_is_the_sum_of_its_terms():
    keras.utils.set_random_seed(0)
    x, y = paired_task_data()
    model = InvariantClassifier(GRUEncoder(**TINY), n_classes=2, invariance_weight=0.7,
                                consistency_weight=1.3, contrastive_weight=0.4, temperature=0.5)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # lr 0: logs describe the initial weights
    z = model.encoder.predict(x, verbose=0)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["view_loss"] == pytest.approx(float(supervised_contrastive_loss(y["object"], z, 0.5)), rel=1e-4)
    assert logs["consistency_loss"] == pytest.approx(float(view_consistency_loss(y["object"], z)), rel=1e-4)
    assert logs["scl_loss"] == pytest.approx(float(supervised_contrastive_loss(y["class"], z, 0.5)), rel=1e-4)
    total = logs["class_loss"] + 0.7 * logs["view_loss"] + 1.3 * logs["consistency_loss"] + 0.4 * logs["scl_loss"]
    assert logs["loss"] == pytest.approx(total, rel=1e-5)


def test_training_pulls_views_together():
    keras.utils.set_random_seed(1)
    x, y = paired_task_data(n_objects=8, k=2)
    model = InvariantClassifier(GRUEncoder(**TINY), n_classes=2, consistency_weight=1.0)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(x, y, epochs=15, batch_size=16, shuffle=False, verbose=0).history
    assert history["consistency_loss"][-1] < 0.5 * history["consistency_loss"][0]
    assert history["view_loss"][-1] < history["view_loss"][0]
    assert history["class_loss"][-1] < history["class_loss"][0]


def test_bad_arguments_and_targets_raise():
    with pytest.raises(ValueError, match="loss weights"):
        InvariantClassifier(GRUEncoder(**TINY), n_classes=2, consistency_weight=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        InvariantClassifier(GRUEncoder(**TINY), n_classes=2, temperature=0.0)
    model = InvariantClassifier(GRUEncoder(**TINY), n_classes=2)
    model.compile(optimizer="adam")
    x, y = paired_task_data(n_objects=2)
    with pytest.raises(ValueError, match="'object'"):
        model.train_on_batch(x, {"class": y["class"]})


# ------------------------------------------------------------------------ paired batches
def _tokens(lengths):
    offsets = np.r_[0, np.cumsum(lengths)]
    values = np.arange(offsets[-1] * 3, dtype=np.float32).reshape(-1, 3)
    return TokenizedLightCurves(values=values, offsets=offsets,
                                object_ids=np.array([f"c{i}" for i in range(len(lengths))]))


def test_paired_batches_hold_k_views_of_each_object():
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(30), 4)[rng.permutation(120)]  # 30 objects, 4 views each, shuffled
    codes = np.r_[codes, 99]  # an object with a single view: left out
    tokens = _tokens(rng.integers(1, 120, size=codes.size))
    ds = make_paired_dataset(tokens, codes, {"class": codes % 3}, objects_per_batch=8, views_per_object=2,
                             shuffle=True, seed=3)
    assert int(ds.cardinality()) == 4

    def one_pass():
        seen = []
        for x, y in ds:
            obj = y["object"].numpy()
            values, mask = x["values"].numpy(), x["mask"].numpy()
            assert values.shape[1] in (64, 96, 128) and set(np.bincount(obj)[np.unique(obj)]) == {2}
            np.testing.assert_array_equal(y["class"].numpy(), obj % 3)
            for row, c in enumerate(obj):  # each row is one of that object's curves, right-padded
                n = int(mask[row].sum())
                assert mask[row, :n].all() and not values[row, n:].any()
                candidates = [i for i in np.flatnonzero(codes == c) if tokens.lengths[i] == n]
                assert any(np.array_equal(values[row, :n], tokens.values[tokens.offsets[i]:tokens.offsets[i + 1]])
                           for i in candidates)
            seen.append(obj)
        return np.concatenate(seen)

    first, second = one_pass(), one_pass()
    assert sorted(set(first)) == list(range(30)) and len(first) == 60
    assert not np.array_equal(first, second)  # a new draw each pass
    ds.shuffle_epoch.assign(0)
    np.testing.assert_array_equal(one_pass(), first)  # epoch 0 again: the same batches (resumable)


def test_paired_dataset_rejects_bad_input():
    tokens = _tokens([3, 4, 5])
    with pytest.raises(ValueError, match="object_codes"):
        make_paired_dataset(tokens, np.array([0, 0]))
    with pytest.raises(ValueError, match="no object has two views"):
        make_paired_dataset(tokens, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="views_per_object"):
        make_paired_dataset(tokens, np.array([0, 0, 1]), views_per_object=1)


def test_simulated_views_stack_and_train():
    views = ak.paired.simulate_paired_views(("ztf", "lsst", "ztf:r", "ztf#alerts"),
                                            classes={"SN Ia": 6, "SN II": 6}, seed=5)
    assert set(views["ztf#alerts"].band) <= set(views["ztf"].band)
    assert (views["ztf#alerts"].flux >= 5 * views["ztf#alerts"].flux_err).all()
    stacked = ak.paired.stack_views(views)
    meta = stacked.metadata
    assert set(meta["view"]) <= set(views) and meta["object_code"].nunique() == 12
    for key, group in meta.groupby("object_key"):  # one code and one truth per object
        assert group["object_code"].nunique() == 1 and group["redshift"].nunique() == 1
    ds = ak.paired.paired_dataset(stacked, label_columns={"class": "label"},
                                  class_names={"class": list(ak.simulation.CLASSES)},
                                  objects_per_batch=4, views_per_object=3, shuffle=True, seed=0)
    keras.utils.set_random_seed(0)
    model = InvariantClassifier(GRUEncoder(**TINY), n_classes=len(ak.simulation.CLASSES), consistency_weight=1.0)
    model.compile(optimizer="adam")
    history = ak.training.pretrain(model, ds, epochs=2, patience=0, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_split_objects_keeps_every_view_of_an_object_on_one_side():
    stacked = ak.paired.stack_views(ak.paired.simulate_paired_views(
        ("ztf", "lsst", "ztf:r"), classes={"SN Ia": 10, "SN II": 10}, seed=2))
    train, val = ak.paired.split_objects(stacked, 0.25, seed=0)
    keys = lambda lcs: set(lcs.metadata["object_key"])  # noqa: E731
    assert keys(train).isdisjoint(keys(val)) and keys(train) | keys(val) == keys(stacked)
    assert len(train) + len(val) == len(stacked) and 3 <= len(keys(val)) <= 6  # about a quarter of 20 objects
    # the same subsets as the split by ids it replaces (np.isin; quadratic on string ids at scale)
    all_keys = stacked.metadata["object_key"].astype(str).to_numpy()
    assert list(train.object_ids) == list(stacked.object_ids[np.isin(all_keys, sorted(keys(train)))])
    again, _ = ak.paired.split_objects(stacked, 0.25, seed=0)
    assert list(again.object_ids) == list(train.object_ids)  # deterministic for a seed
    with pytest.raises(ValueError, match="object_key"):
        ak.paired.split_objects(ak.LightCurves.from_table(stacked.photometry), 0.25)


# ------------------------------------------------------------------------------ backends
_BACKEND_SCRIPT = r"""
import json, sys, numpy as np, keras
sys.path.insert(0, "tests")
from test_models_invariant import paired_task_data, TINY
from astrokeras.models import GRUEncoder, InvariantClassifier
keras.utils.set_random_seed(0)
x, y = paired_task_data(n_objects=8, k=2)
model = InvariantClassifier(GRUEncoder(**TINY), n_classes=2, consistency_weight=1.0, contrastive_weight=0.5)
model.compile(optimizer=keras.optimizers.Adam(0.02))
h = model.fit(x, y, epochs=8, batch_size=8, shuffle=False, verbose=0).history
path = sys.argv[1]
model.save(path)
reloaded = keras.models.load_model(path)
same = bool(np.allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), atol=1e-5))
print(json.dumps({"backend": keras.backend.backend(), "type": type(reloaded).__name__, "same": same,
                  "iterations": int(reloaded.optimizer.iterations),
                  "first": {k: h[k][0] for k in h}, "last": {k: h[k][-1] for k in h}}))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_backends_in_subprocesses(backend, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-c", _BACKEND_SCRIPT, str(tmp_path / "m.keras")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend and out["type"] == "InvariantClassifier" and out["same"]
    assert out["iterations"] == 2 * 8
    for key in ("class_loss", "consistency_loss"):
        assert np.isfinite(out["last"][key]) and out["last"][key] < out["first"][key], (key, out)
