"""JAX ``train_step`` / ``test_step`` for the task models (see :mod:`astrokeras._backend`).

JAX steps are stateless: ``state = (trainable, non_trainable, optimizer, metrics)`` value lists
come in and go out. Following the Keras guide "Customizing what happens in fit() with JAX", the
layers and the optimizer run inside ``keras.StatelessScope`` mappings from their variables to the
current values; ``jax.vjp`` gives the encoder's pullback so the encoder runs forward once per step.
"""

from __future__ import annotations

import jax
import keras

from astrokeras._backend.common import CustomStepBase

__all__ = ["JaxTrainStep"]


def _replace(values: list, positions: list[int], new_values) -> list:
    values = list(values)
    for i, v in zip(positions, new_values):
        values[i] = v
    return values


class JaxTrainStep(CustomStepBase):
    """Stateless step: ``jax.vjp`` through the encoder, ``value_and_grad`` for the heads."""

    def _stateless(self, fn, trainable, non_trainable):
        """Run ``fn()`` with the model variables mapped to the given values."""
        mapping = list(zip(self.trainable_variables, trainable)) + list(
            zip(self.non_trainable_variables, non_trainable)
        )
        with keras.StatelessScope(state_mapping=mapping) as scope:
            out = fn()
        new_non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]
        return out, new_non_trainable

    def _apply_to(self, grads, positions, trainable, optimizer_values, count_step: bool):
        variables = [self.trainable_variables[i] for i in positions]
        mapping = list(zip(self.trainable_variables, trainable)) + list(
            zip(self.optimizer.variables, optimizer_values)
        )
        with keras.StatelessScope(state_mapping=mapping) as scope:
            self.optimizer.apply(grads, variables)
            if not count_step:
                # Two groups, one optimizer step (see astrokeras._backend).
                self.optimizer.iterations.assign_sub(1)
        trainable = [scope.get_current_value(v) for v in self.trainable_variables]
        optimizer_values = [scope.get_current_value(v) for v in self.optimizer.variables]
        return trainable, optimizer_values

    def _update_metric_values(self, metric_values, stats, batch_size):
        mapping = list(zip(self.metrics_variables, metric_values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._update_trackers(stats, batch_size)
        metric_values = [scope.get_current_value(v) for v in self.metrics_variables]
        return logs, metric_values

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_values, metric_values = state
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        aux_variables, main_variables = self._objective_variables()
        position = {id(v): i for i, v in enumerate(self.trainable_variables)}
        encoder_ids = {id(v) for v in self.encoder.trainable_variables}
        encoder_pos = [position[id(v)] for v in main_variables if id(v) in encoder_ids]
        head_pos = [position[id(v)] for v in main_variables if id(v) not in encoder_ids]
        aux_pos = [position[id(v)] for v in aux_variables]

        # 1. Encoder forward once, keeping its pullback.
        def encode(encoder_values):
            return self._stateless(
                lambda: self.encoder(x, training=True),
                _replace(trainable, encoder_pos, encoder_values),
                non_trainable,
            )

        z, encoder_vjp, non_trainable = jax.vjp(
            encode, [trainable[i] for i in encoder_pos], has_aux=True
        )
        stats = {}

        # 2. Discriminator step on stop_gradient(z) (Algorithm 1, step 1).
        if aux_pos:
            z_fixed = jax.lax.stop_gradient(z)

            def aux_loss(aux_values):
                (loss, aux_stats), new_nt = self._stateless(
                    lambda: self._aux_objective(z_fixed, y, sample_weight),
                    _replace(trainable, aux_pos, aux_values),
                    non_trainable,
                )
                return loss, (aux_stats, new_nt)

            (_, (aux_stats, non_trainable)), aux_grads = jax.value_and_grad(
                aux_loss, has_aux=True
            )([trainable[i] for i in aux_pos])
            trainable, optimizer_values = self._apply_to(
                aux_grads, aux_pos, trainable, optimizer_values, count_step=False
            )
            stats.update(aux_stats)

        # 3. Main step w.r.t. (z, head variables); encoder gradients through the pullback.
        def main_loss(z_in, head_values):
            (loss, main_stats), new_nt = self._stateless(
                lambda: self._main_objective(z_in, y, sample_weight, training=True),
                _replace(trainable, head_pos, head_values),
                non_trainable,
            )
            return loss, (main_stats, new_nt)

        (_, (main_stats, non_trainable)), (dz, head_grads) = jax.value_and_grad(
            main_loss, argnums=(0, 1), has_aux=True
        )(z, [trainable[i] for i in head_pos])
        (encoder_grads,) = encoder_vjp(dz)
        grads_by_pos = dict(zip(encoder_pos, encoder_grads))
        grads_by_pos.update(zip(head_pos, head_grads))
        main_pos = [position[id(v)] for v in main_variables]
        trainable, optimizer_values = self._apply_to(
            [grads_by_pos[i] for i in main_pos], main_pos, trainable, optimizer_values,
            count_step=True,
        )
        stats.update(main_stats)

        logs, metric_values = self._update_metric_values(metric_values, stats, z.shape[0])
        return logs, (trainable, non_trainable, optimizer_values, metric_values)

    def test_step(self, state, data):
        trainable, non_trainable, metric_values = state
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

        def evaluate():
            z = self.encoder(x, training=False)
            stats = {}
            if self._objective_variables()[0]:
                stats.update(self._aux_objective(z, y, sample_weight)[1])
            stats.update(self._main_objective(z, y, sample_weight, training=False)[1])
            return z.shape[0], stats

        (batch_size, stats), non_trainable = self._stateless(evaluate, trainable, non_trainable)
        logs, metric_values = self._update_metric_values(metric_values, stats, batch_size)
        return logs, (trainable, non_trainable, metric_values)
