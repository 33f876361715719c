"""Tests of astrokeras.early: truncation of light curves, RAPID-style augmentation, early tasks."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import astrokeras as ak
from astrokeras import downstream as ds
from astrokeras.early import (EARLY_DAYS, augment_truncations, draw_truncation_days, early_task,
                              first_observation_mjd, truncate_per_object, truncated_copies)
from astrokeras.protocol import Task


def _lcs(n=6, seed=0):
    """``n`` objects with 5-30 points over 0-120 days, first observation at a random MJD."""
    rng = np.random.default_rng(seed)
    ids, t, f = [], [], []
    for i in range(n):
        m = int(rng.integers(5, 30))
        t0 = 59000.0 + rng.uniform(0, 300)
        ids += [f"obj{i:02d}"] * m
        t.append(t0 + np.r_[0.0, np.sort(rng.uniform(0.1, 120.0, m - 1))])
        f.append(rng.uniform(50, 500, m))
    t, f = np.concatenate(t), np.concatenate(f)
    bands = np.where(rng.random(len(t)) < 0.5, "ztf::g", "ztf::r")
    meta = {"label": [["SN Ia", "SN II", "SN Ib/c"][i % 3] for i in range(n)]}
    import pandas as pd

    meta = pd.DataFrame(meta, index=[f"obj{i:02d}" for i in range(n)])
    return ak.LightCurves(ids, t, bands, f, f / 20, metadata=meta)


def test_truncate_per_object_keeps_points_within_days_and_first_point():
    lcs = _lcs()
    days = np.array([0.0, 2.5, 10.0, 30.0, 200.0, np.inf])
    cut = truncate_per_object(lcs, days)
    first = first_observation_mjd(lcs)
    assert cut.object_ids.tolist() == lcs.object_ids.tolist()
    for i, oid in enumerate(lcs.object_ids):
        whole, part = lcs[oid], cut[oid]
        expected = whole[whole["time_mjd"] - first[i] <= days[i]]
        np.testing.assert_array_equal(part["time_mjd"], expected["time_mjd"])   # times unchanged
        np.testing.assert_array_equal(part["flux"], expected["flux"])
        assert len(part) >= 1 and part["time_mjd"].iloc[0] == first[i]
    assert cut.lengths[0] == 1 and cut.lengths[-1] == lcs.lengths[-1]
    assert cut.metadata.equals(lcs.metadata)
    # a scalar equals downstream.truncate_light_curves
    a, b = truncate_per_object(lcs, 7.0), ds.truncate_light_curves(lcs, 7.0)
    np.testing.assert_array_equal(a.time_mjd, b.time_mjd)
    np.testing.assert_array_equal(a.lengths, b.lengths)


def test_truncated_tokens_are_a_prefix_of_the_whole_curve():
    lcs = _lcs()
    whole = ak.Tokenizer().tokenize(lcs)
    cut = ak.Tokenizer().tokenize(truncate_per_object(lcs, 15.0))
    for i in range(len(lcs)):
        w = whole.values[whole.offsets[i]:whole.offsets[i + 1]]
        c = cut.values[cut.offsets[i]:cut.offsets[i + 1]]
        np.testing.assert_array_equal(c, w[:len(c)])


@pytest.mark.parametrize("days, match", [(-1.0, ">= 0"), (np.nan, ">= 0"), (np.ones(3), "one value per object")])
def test_truncate_per_object_rejects_bad_days(days, match):
    with pytest.raises(ValueError, match=match):
        truncate_per_object(_lcs(), days)


def test_draw_truncation_days_log_uniform_deterministic_and_order_free():
    ids = [f"o{i}" for i in range(4000)]
    d = draw_truncation_days(ids, 5, seed=3, min_days=1.0, max_days=100.0)
    assert d.shape == (4000, 5) and np.isinf(d[:, 0]).all()
    r = np.log10(d[:, 1:]).ravel()
    assert r.min() >= 0 and r.max() <= 2
    # log-uniform: each decade holds about half the draws
    assert abs(np.mean(r < 1.0) - 0.5) < 0.02
    np.testing.assert_array_equal(d, draw_truncation_days(ids, 5, seed=3))
    assert not np.array_equal(d[:, 1:], draw_truncation_days(ids, 5, seed=4)[:, 1:])
    # reordering / subsetting the ids leaves each object's days unchanged
    sub = draw_truncation_days(ids[::-1][:10], 5, seed=3)
    np.testing.assert_array_equal(sub, d[::-1][:10])
    no_whole = draw_truncation_days(ids[:5], 2, seed=0, include_whole=False)
    assert np.isfinite(no_whole).all()
    with pytest.raises(ValueError, match="n_per_object"):
        draw_truncation_days(ids, 0)
    with pytest.raises(ValueError, match="min_days"):
        draw_truncation_days(ids, 2, min_days=0.0)


def test_augment_truncations_ids_metadata_and_contents():
    lcs = _lcs()
    aug = augment_truncations(lcs, n_per_object=4, seed=1, min_days=1.0, max_days=50.0)
    out = aug.light_curves
    assert len(out) == 4 * len(lcs)
    assert out.object_ids[:4].tolist() == [f"{lcs.object_ids[0]}@{k}" for k in range(4)]
    assert (out.metadata["source_id"].to_numpy() == lcs.object_ids[aug.source]).all()
    np.testing.assert_array_equal(out.metadata["truncation_days"].to_numpy(), aug.days)
    assert (out.metadata["label"].to_numpy() == lcs.metadata["label"].to_numpy()[aug.source]).all()
    whole = aug.days == np.inf
    assert whole.sum() == len(lcs)
    np.testing.assert_array_equal(out.lengths[whole], lcs.lengths)
    # every copy is the source truncated at its day
    for j in np.flatnonzero(~whole):
        src = lcs[lcs.object_ids[aug.source[j]]]
        expected = src[src["time_mjd"] - src["time_mjd"].iloc[0] <= aug.days[j]]
        np.testing.assert_array_equal(out[out.object_ids[j]]["time_mjd"], expected["time_mjd"])
    again = augment_truncations(lcs, n_per_object=4, seed=1, min_days=1.0, max_days=50.0)
    np.testing.assert_array_equal(again.light_curves.time_mjd, out.time_mjd)
    with pytest.raises(ValueError, match="distinct"):
        truncated_copies(lcs, np.ones((len(lcs), 2)), tags=["x", "x"])
    with pytest.raises(ValueError, match=r"days must be \(n_objects"):
        truncated_copies(lcs, np.ones(len(lcs)))


def test_early_task_positions_targets_and_scoring_days():
    lcs = _lcs(n=30, seed=2)
    target = np.arange(30) % 3
    task = Task(np.arange(0, 18), np.arange(18, 24), np.arange(24, 30), target)
    et = early_task(lcs, task, days=(3.0, 10.0), n_per_object=3, seed=0)
    src = et.light_curves.metadata["source_id"].to_numpy()
    assert len(et.train) == 54 and len(et.dev) == 18
    assert set(src[et.train]) == set(lcs.object_ids[task.train])
    assert set(src[et.dev]) == set(lcs.object_ids[task.dev])
    np.testing.assert_array_equal(src[et.train_whole], lcs.object_ids[task.train])
    np.testing.assert_array_equal(et.light_curves.lengths[et.train_whole], lcs.lengths[task.train])
    assert et.days == (3.0, 10.0, np.inf)
    for day in et.days:
        np.testing.assert_array_equal(src[et.test_at[day]], lcs.object_ids[task.test])   # task order kept
        np.testing.assert_array_equal(et.target[et.test_at[day]], target[task.test])
        np.testing.assert_array_equal(src[et.dev_at[day]], lcs.object_ids[task.dev])
        days = et.light_curves.metadata["truncation_days"].to_numpy()[et.test_at[day]]
        assert (days == day).all()
    assert (et.light_curves.lengths[et.test_at[3.0]] <= et.light_curves.lengths[et.test_at[10.0]]).all()
    np.testing.assert_array_equal(et.light_curves.lengths[et.test_at[np.inf]], lcs.lengths[task.test])
    np.testing.assert_array_equal(et.target[et.train], np.repeat(target[task.train], 3))
    assert EARLY_DAYS == (3.0, 5.0, 10.0, 20.0, 30.0, 50.0)


def test_truncation_trained_head_beats_whole_curve_head_on_early_curves(tmp_path):
    """Synthetic early signal: the class sets the flux of the first three days one way (class 1
    brighter) and of the 40 later points the other way, far more strongly (class 0 brighter). A
    head trained on whole curves learns the late signal, which early curves lack; one trained on
    truncated curves learns both. The truncation-trained head is then attached
    to its encoder (a saveable Classifier) and round-tripped through .keras."""
    rng = np.random.default_rng(0)
    n = 240
    ids, t, f, labels = [], [], [], []
    for i in range(n):
        c = i % 2
        early_t = np.array([0.0, 1.0, 2.0])
        late_t = np.linspace(5.0, 80.0, 40)
        early_f = (100.0 if c == 0 else 300.0) * np.exp(rng.normal(0, 0.1, 3))
        late_f = (3000.0 if c == 0 else 30.0) * np.exp(rng.normal(0, 0.1, 40))
        ids += [f"s{i:03d}"] * 43
        t.append(np.r_[early_t, late_t])
        f.append(np.r_[early_f, late_f])
        labels.append(c)
    t, f = np.concatenate(t), np.concatenate(f)
    lcs = ak.LightCurves(ids, t, ["ztf::g"] * len(t), f, f / 20)
    y = np.array(labels)
    task = Task(np.arange(0, 160), np.arange(160, 200), np.arange(200, 240), y)
    et = early_task(lcs, task, days=(3.0,), n_per_object=4, seed=0, min_days=1.0, max_days=100.0)
    keras.utils.set_random_seed(0)
    encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=6, name="gru_encoder")
    z = ds.embed(encoder, et.light_curves)
    learner = ak.learners.LatentLearner(z, hidden_grid=((16,),), epochs=200, patience=20)
    whole = learner.fit_classifier(et.train_whole, et.dev_whole, et.target, 2, seed=0)
    trunc = learner.fit_classifier(et.train, et.dev, et.target, 2, seed=0)
    test3 = et.test_at[3.0]
    auc_whole = ak.evaluation.macro_auroc(et.target[test3], whole.predict(test3))
    auc_trunc = ak.evaluation.macro_auroc(et.target[test3], trunc.predict(test3))
    assert auc_trunc > 0.9 and auc_whole < 0.7, (auc_trunc, auc_whole)

    head = ds.fit_head(z[et.train], et.target[et.train], n_classes=2, hidden_units=(16,), seed=0,
                       validation=(z[et.dev], et.target[et.dev]))
    model = ds.attach_head(encoder, head, class_names=["A", "B"])
    early_test = et.light_curves.subset(test3)
    before = ds.predict_in_order(model, early_test)
    np.testing.assert_allclose(before, ds.head_forward(head, z[test3]), atol=1e-5)
    path = str(tmp_path / "early.keras")
    model.save(path)
    after = ds.predict_in_order(keras.models.load_model(path), early_test)
    np.testing.assert_allclose(after, before, atol=1e-6)


def test_readme_early_snippet_runs():
    """The README's early-classification snippet, executed verbatim after the fine-tuning example's names."""
    import os
    import re

    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("### Early classification: train on truncated curves", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    lcs = _lcs(n=12, seed=3)
    classes, y = np.unique(lcs.labels("label"), return_inverse=True)
    keras.utils.set_random_seed(0)
    namespace = dict(lcs=lcs, classes=classes, y=y, embed=ds.embed, fit_head=ds.fit_head,
                     tokenizer_for=ds.tokenizer_for,
                     encoder=ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4, name="gru_encoder"))
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["aug"].light_curves) == 8 * len(lcs)
    assert namespace["z"].shape == (8 * len(lcs), 4)
    probs = ds.head_forward(namespace["head"], namespace["z"])
    assert probs.shape == (8 * len(lcs), len(classes)) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
