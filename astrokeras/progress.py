"""One progress line per stage of a long run, with the elapsed time and an ETA.

A recipe names its stages up front (optionally with expected durations in seconds, used to weigh
the ETA), then wraps each stage in ``with progress.stage(name):``. A line is printed when a stage
starts::

    [table1 2/5] embed BTS | elapsed 0:12 | ETA 1:40

The ETA is the expected time of the stages not yet finished, scaled by how long the finished
stages took relative to their expectation (without expectations every stage counts as the mean
of those finished; before any stage finishes it is unknown, ``?``). :meth:`Progress.skip` marks
a stage that will not run (for example, missing data) and :meth:`Progress.finish` prints the total.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> clock = iter([0.0, 0.0, 10.0, 10.0, 30.0, 30.0]).__next__
    >>> p = Progress({"load": 10, "embed": 20}, name="demo", stream=out, clock=clock)
    >>> with p.stage("load"):
    ...     pass
    >>> with p.stage("embed"):
    ...     pass
    >>> p.finish()
    >>> print(out.getvalue(), end="")
    [demo 1/2] load | elapsed 0:00 | ETA 0:30
    [demo 2/2] embed | elapsed 0:10 | ETA 0:20
    [demo] done: 2 stages in 0:30
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Mapping, Sequence

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above (``?`` for an unknown duration)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Stage-by-stage progress lines with elapsed time and ETA.

    Args:
        stages: stage names in run order, or ``{name: expected seconds}`` (weights for the ETA).
        name: prefix of every line (for example the recipe name).
        stream: where lines go (default ``sys.stdout``, flushed after every line).
        clock: seconds counter (default ``time.monotonic``; injectable for tests).

    Raises:
        ValueError: no stages, repeated names, or a negative expected duration.
    """

    def __init__(self, stages: Sequence[str] | Mapping[str, float], name: str = "", stream=None,
                 clock: Callable[[], float] = time.monotonic):
        if isinstance(stages, Mapping):
            expected = {str(k): float(v) for k, v in stages.items()}
            self._weighted = True
        else:
            expected = {str(k): 1.0 for k in stages}
            self._weighted = False
            if len(expected) != len(stages):
                raise ValueError(f"stage names must be unique, got {list(stages)}")
        if not expected:
            raise ValueError("Progress needs at least one stage")
        if any(v < 0 for v in expected.values()):
            raise ValueError(f"expected stage durations must be >= 0 seconds, got {expected}")
        self.stages = list(expected)
        self.expected = expected
        self.name = name
        self.stream = stream
        self.clock = clock
        self.durations: dict[str, float] = {}
        self.skipped: dict[str, str] = {}
        self.current: str | None = None
        self._t0 = clock()
        self._stage_t0 = self._t0

    # ------------------------------------------------------------------ public
    @property
    def elapsed(self) -> float:
        """Seconds since the :class:`Progress` was created."""
        return self.clock() - self._t0

    def eta(self) -> float:
        """Estimated seconds until every stage not finished or skipped is done (NaN: unknown)."""
        left = [s for s in self.stages if s not in self.durations and s not in self.skipped]
        if not left:
            return 0.0
        done = list(self.durations)
        if self._weighted:
            expected_done = sum(self.expected[s] for s in done)
            rate = sum(self.durations.values()) / expected_done if expected_done > 0 else 1.0
            return rate * sum(self.expected[s] for s in left)
        if not done:
            return float("nan")
        return sum(self.durations.values()) / len(done) * len(left)

    def start(self, stage: str) -> None:
        """Begin ``stage`` (ending the current one, if any) and print its line."""
        self._check(stage)
        if self.current is not None:
            self.end()
        self.current = stage
        now = self.clock()
        self._print(f"[{self._prefix(stage)}] {stage} | elapsed {format_seconds(now - self._t0)} | "
                    f"ETA {format_seconds(self.eta())}")
        self._stage_t0 = now

    def end(self) -> float:
        """End the current stage; returns its duration in seconds."""
        if self.current is None:
            raise RuntimeError("no stage is running")
        seconds = self.clock() - self._stage_t0
        self.durations[self.current] = seconds
        self.current = None
        return seconds

    @contextlib.contextmanager
    def stage(self, stage: str):
        """``with progress.stage(name):`` runs one stage (ended even when the body raises)."""
        self.start(stage)
        try:
            yield self
        finally:
            if self.current == stage:
                self.end()

    def skip(self, stage: str, reason: str) -> None:
        """Mark ``stage`` as not run, print why, and drop it from the ETA."""
        self._check(stage)
        self.skipped[stage] = reason
        self._print(f"[{self._prefix(stage)}] {stage} skipped: {reason}")

    def finish(self) -> None:
        """End the current stage (if any) and print the total time."""
        if self.current is not None:
            self.end()
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        label = f"[{self.name}] " if self.name else ""
        self._print(f"{label}done: {len(self.durations)} stages in {format_seconds(self.elapsed)}{skipped}")

    # ------------------------------------------------------------------ helpers
    def _check(self, stage: str) -> None:
        if stage not in self.expected:
            raise KeyError(f"unknown stage {stage!r}; the stages are {self.stages}")
        if stage in self.durations or stage in self.skipped:
            raise ValueError(f"stage {stage!r} already {'ran' if stage in self.durations else 'skipped'}")

    def _prefix(self, stage: str) -> str:
        count = f"{self.stages.index(stage) + 1}/{len(self.stages)}"
        return f"{self.name} {count}" if self.name else count

    def _print(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        print(line, file=stream, flush=True)
