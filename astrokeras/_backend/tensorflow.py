"""TensorFlow ``train_step`` / ``test_step`` of the task models (see :mod:`astrokeras._backend`).

Under ``tf.distribute`` (e.g. :func:`astrokeras.distribute.data_parallel`) each replica sees a
slice of the global batch. The step gathers the latents, targets and sample weights of all
replicas (``ReplicaContext.all_gather``, differentiable) so the objective, including the
supervised contrastive loss over pairs, is the global-batch one; the gradient of the gathered
loss reaches each replica's own slice summed over the n replicas and the optimizer all-reduces
the variables' gradients, so the loss is scaled by ``1 / n`` for the gradients (Keras does the
same for its own step).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from astrokeras._backend.common import CustomStepBase

__all__ = ["TensorFlowTrainStep", "first_replica_batch"]


def _replicas():
    """(replica context, number of replicas in sync); (None, 1) outside a multi-replica step."""
    ctx = tf.distribute.get_replica_context()
    n = 1 if ctx is None else int(ctx.num_replicas_in_sync)
    return (ctx, n) if n > 1 else (None, 1)


def first_replica_batch(strategy, iterator):
    """The first replica's part of the first batch of a Keras epoch iterator (for the symbolic build)."""
    for _, _, it in iterator:
        batch = next(it)
        return tf.nest.map_structure(
            lambda v: strategy.experimental_local_results(v)[0]
            if isinstance(v, tf.distribute.DistributedValues) else v, batch)
    return None


def _gathered(ctx, z, y, sample_weight):
    """``(z, y, sample_weight)`` of every replica, concatenated along the batch, in one ``all_gather``.

    One collective for everything: several gathers of different dtypes in one step can be paired
    up wrongly by the collective executor. Targets and weights travel as float32 (class and survey
    codes are small integers, exact in float32) and are cast back.
    """
    if ctx is None:
        return z, y, sample_weight
    leaves = [z] + tf.nest.flatten(y) + tf.nest.flatten(sample_weight)
    present = [i for i, p in enumerate(leaves) if p is not None]
    flat = [tf.reshape(tf.cast(leaves[i], tf.float32), (tf.shape(leaves[i])[0], -1)) for i in present]
    widths = [int(f.shape[1]) for f in flat]
    gathered = tf.split(ctx.all_gather(tf.concat(flat, axis=1), axis=0), widths, axis=1)
    for i, g in zip(present, gathered):
        p = leaves[i]
        leaves[i] = tf.reshape(tf.cast(g, p.dtype), tf.concat([[-1], tf.shape(p)[1:]], axis=0))
    n_y = len(tf.nest.flatten(y))
    y = tf.nest.pack_sequence_as(y, leaves[1:1 + n_y])
    sample_weight = tf.nest.pack_sequence_as(sample_weight, leaves[1 + n_y:])
    return leaves[0], y, sample_weight


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
        ctx, n = _replicas()
        stats = {}
        with tf.GradientTape() as tape:
            z, y, sample_weight = _gathered(ctx, self.encoder(x, training=True), y, sample_weight)
            if aux_variables:
                with tape.stop_recording():
                    with tf.GradientTape() as aux_tape:
                        aux_loss, aux_stats = self._aux_objective(
                            tf.stop_gradient(z), y, sample_weight
                        )
                        aux_loss = aux_loss / n  # the same loss on every replica, gradients summed
                    aux_grads = aux_tape.gradient(aux_loss, aux_variables)
                    self._apply_to(aux_grads, aux_variables, count_step=False)
                stats.update(aux_stats)
            loss, main_stats = self._main_objective(z, y, sample_weight, training=True)
            loss = loss / n
        grads = tape.gradient(loss, main_variables)
        self._apply_to(grads, main_variables, count_step=True)
        stats.update(main_stats)
        return self._update_trackers(stats, tf.shape(z)[0])

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        ctx, _ = _replicas()
        z, y, sample_weight = _gathered(ctx, self.encoder(x, training=False), y, sample_weight)
        stats = {}
        if self._objective_variables()[0]:
            stats.update(self._aux_objective(z, y, sample_weight)[1])
        stats.update(self._main_objective(z, y, sample_weight, training=False)[1])
        return self._update_trackers(stats, tf.shape(z)[0])
