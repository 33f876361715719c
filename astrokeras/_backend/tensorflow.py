"""TensorFlow ``train_step`` / ``test_step`` of the task models (see :mod:`astrokeras._backend`)."""

from __future__ import annotations

import keras
import tensorflow as tf

from astrokeras._backend.common import CustomStepBase

__all__ = ["TensorFlowTrainStep"]


class TensorFlowTrainStep(CustomStepBase):
    """Stateful step: one ``GradientTape`` over the encoder, a nested one for the discriminator."""

    def _apply_to(self, grads, variables, count_step: bool) -> None:
        if not self.optimizer.built:
            # Build on all trainable variables (a first subset `apply` would build on the subset).
            self.optimizer.build(self.trainable_variables)
        self.optimizer.apply(grads, variables)
        if not count_step:
            # Two groups, one optimizer step: keep Adam's bias correction / schedules per batch.
            self.optimizer.iterations.assign_sub(1)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        aux_variables, main_variables = self._objective_variables()
        stats = {}
        with tf.GradientTape() as tape:
            z = self.encoder(x, training=True)
            if aux_variables:
                with tape.stop_recording():
                    with tf.GradientTape() as aux_tape:
                        aux_loss, aux_stats = self._aux_objective(
                            tf.stop_gradient(z), y, sample_weight
                        )
                    aux_grads = aux_tape.gradient(aux_loss, aux_variables)
                    self._apply_to(aux_grads, aux_variables, count_step=False)
                stats.update(aux_stats)
            loss, main_stats = self._main_objective(z, y, sample_weight, training=True)
        grads = tape.gradient(loss, main_variables)
        self._apply_to(grads, main_variables, count_step=True)
        stats.update(main_stats)
        return self._update_trackers(stats, tf.shape(z)[0])

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        z = self.encoder(x, training=False)
        stats = {}
        if self._objective_variables()[0]:
            stats.update(self._aux_objective(z, y, sample_weight)[1])
        stats.update(self._main_objective(z, y, sample_weight, training=False)[1])
        return self._update_trackers(stats, tf.shape(z)[0])
