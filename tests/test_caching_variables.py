"""astrokeras.caching.cached_light_curves: sets holding periodic variables are keyed on VARIABLES_VERSION."""

from __future__ import annotations

import os

import pandas as pd

import astrokeras as ak
from astrokeras import caching
from astrokeras.simulation import SIMULATOR_VERSION
from astrokeras.simulation import variables as V


def _lcs(label: str) -> ak.LightCurves:
    meta = pd.DataFrame({"label": [label]}, index=pd.Index(["a"], name="object_id"))
    return ak.LightCurves(["a", "a"], [0.0, 1.0], ["ztf::g", "ztf::g"], [1.0, 2.0], [0.1, 0.1], metadata=meta)


def test_variable_sets_are_rebuilt_when_the_variables_code_changes(tmp_path, monkeypatch):
    calls = []

    def build():
        calls.append(1)
        return _lcs("Cepheid")

    first = caching.cached_light_curves(str(tmp_path), "v", {"k": 1}, build)
    again = caching.cached_light_curves(str(tmp_path), "v", {"k": 1}, build)
    assert len(calls) == 1 and again.metadata["label"].tolist() == first.metadata["label"].tolist() == ["Cepheid"]
    monkeypatch.setattr(V, "VARIABLES_VERSION", V.VARIABLES_VERSION + 1)
    caching.cached_light_curves(str(tmp_path), "v", {"k": 1}, build)
    assert len(calls) == 2  # a new variables version: never the stale file


def test_transient_sets_keep_their_key_and_stale_variables_are_not_reused(tmp_path, monkeypatch):
    calls = []

    def build():
        calls.append(1)
        return _lcs("SN Ia")

    caching.cached_light_curves(str(tmp_path), "t", {}, build)
    plain = os.path.join(tmp_path, f"t_{caching.cache_key('t', {}, SIMULATOR_VERSION)}.parquet")
    assert os.path.exists(plain)  # the key of transient-only sets is unchanged
    monkeypatch.setattr(V, "VARIABLES_VERSION", V.VARIABLES_VERSION + 5)
    caching.cached_light_curves(str(tmp_path), "t", {}, build)
    assert len(calls) == 1
    # variables written by older code under the transient-only key are not trusted
    stale = os.path.join(tmp_path, f"s_{caching.cache_key('s', {}, SIMULATOR_VERSION)}.parquet")
    caching.write_light_curves(_lcs("Mira"), stale)
    logs = []
    fresh = caching.cached_light_curves(str(tmp_path), "s", {}, lambda: _lcs("RR Lyrae ab"), log=logs.append)
    assert fresh.metadata["label"].tolist() == ["RR Lyrae ab"] and "VARIABLES_VERSION" in logs[0]
