"""Tests of astrokeras.progress (an injected clock, so the times are exact)."""

import io

import pytest

from astrokeras.progress import Progress, format_seconds


def _clock(values):
    it = iter(values)
    return lambda: next(it)


def test_lines_elapsed_and_weighted_eta():
    out = io.StringIO()
    # a took 20 s for 10 expected (rate 2): at b the ETA is 2 x (30 + 60) s, at c 2 x 60 s
    p = Progress({"a": 10, "b": 30, "c": 60}, name="t1", stream=out, clock=_clock([0, 0, 20, 20, 80, 80, 200, 200]))
    with p.stage("a"):
        pass
    with p.stage("b"):
        pass
    p.start("c")
    p.finish()
    lines = out.getvalue().splitlines()
    assert lines == ["[t1 1/3] a | elapsed 0:00 | ETA 1:40",
                     "[t1 2/3] b | elapsed 0:20 | ETA 3:00",
                     "[t1 3/3] c | elapsed 1:20 | ETA 2:00",
                     "[t1] done: 3 stages in 3:20"]
    assert p.durations == {"a": 20, "b": 60, "c": 120}


def test_unweighted_eta_is_unknown_first_then_the_mean_and_skips_drop_out():
    out = io.StringIO()
    p = Progress(["load", "fit", "eros", "write"], stream=out, clock=_clock([0, 0, 30, 30, 90, 90, 95, 95]))
    with p.stage("load"):
        pass
    with p.stage("fit"):
        pass
    p.skip("eros", "no data: python -m astrofm fetch eros1_ramp")
    assert p.eta() == pytest.approx(45.0)  # one stage left at the mean of 30 and 60 s
    with p.stage("write"):
        pass
    p.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/4] load | elapsed 0:00 | ETA ?"
    assert lines[1] == "[2/4] fit | elapsed 0:30 | ETA 1:30"
    assert lines[2] == "[3/4] eros skipped: no data: python -m astrofm fetch eros1_ramp"
    assert lines[3] == "[4/4] write | elapsed 1:30 | ETA 0:45"
    assert lines[4] == "done: 3 stages in 1:35, 1 skipped"


def test_stage_ends_when_the_body_raises_and_misuse_is_reported():
    p = Progress(["a", "b"], stream=io.StringIO(), clock=_clock([0, 0, 5, 5, 6]))
    with pytest.raises(RuntimeError, match="boom"):
        with p.stage("a"):
            raise RuntimeError("boom")
    assert p.durations == {"a": 5} and p.current is None
    with pytest.raises(KeyError, match="unknown stage 'c'.*'a', 'b'"):
        p.start("c")
    with pytest.raises(ValueError, match="already ran"):
        p.start("a")
    with pytest.raises(RuntimeError, match="no stage"):
        p.end()
    with pytest.raises(ValueError, match="unique"):
        Progress(["a", "a"])
    with pytest.raises(ValueError, match="at least one"):
        Progress([])


def test_format_seconds():
    assert [format_seconds(s) for s in (0, 59.6, 61, 3600, 3725)] == ["0:00", "1:00", "1:01", "1:00:00", "1:02:05"]
    assert format_seconds(float("nan")) == "?"
