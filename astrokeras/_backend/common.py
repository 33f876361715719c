"""What the custom train steps of every backend share: the model's own metric trackers and an
optimizer-only ``compile`` (see :mod:`astrokeras._backend`)."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["CustomStepBase"]


class CustomStepBase:
    """Mixin base of the per-backend custom steps (used by the pretraining task models).

    A model using it calls ``self._build_trackers()`` at the end of its ``__init__`` (once every
    attribute that ``_tracker_names()`` reads is set); its logged metrics are those trackers.
    """

    # Read by Task.compile: the loss and metrics are the model's own, compile takes an optimizer only.
    _uses_custom_step = True

    def _build_trackers(self) -> None:
        self._trackers = {n: keras.metrics.Mean(name=n) for n in self._tracker_names()}

    def _tracker_names(self) -> tuple[str, ...]:
        return ("loss",)

    @property
    def metrics(self):
        return list(getattr(self, "_trackers", {}).values())

    def _update_trackers(self, stats: dict, batch_size) -> dict:
        batch_size = ops.cast(batch_size, "float32")
        for name, value in stats.items():
            self._trackers[name].update_state(value, sample_weight=batch_size)
        return {name: tracker.result() for name, tracker in self._trackers.items()}
