"""torch ``train_step`` / ``test_step`` of the custom-step task models (see :mod:`astrokeras._backend`).

The torch trainer is stateful like TensorFlow's: Keras variables hold ``torch.nn.Parameter``
values (``variable.value``) that the optimizer updates in place. Gradients come from
``torch.autograd.grad`` on explicit variable groups (not ``loss.backward()``, which would fill
``.grad`` of every parameter): the discriminator's on a detached latent, then the main group's
through the single encoder forward pass, as in the TensorFlow and JAX steps.
"""

from __future__ import annotations

import keras
import torch

from astrokeras._backend.common import CustomStepBase

__all__ = ["TorchTrainStep"]


def _gradients(loss, variables) -> list:
    """d loss / d variable for each Keras variable (zeros where the loss does not depend on it)."""
    values = [v.value for v in variables]
    grads = torch.autograd.grad(loss, values, allow_unused=True)
    return [torch.zeros_like(value) if g is None else g for g, value in zip(grads, values)]


def _detached(stats: dict) -> dict:
    return {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in stats.items()}


class TorchTrainStep(CustomStepBase):
    """Stateful step: ``autograd.grad`` for the discriminator on ``z.detach()``, then for the rest."""

    def _apply_to(self, grads, variables, count_step: bool) -> None:
        if not self.optimizer.built:
            # Build on all trainable variables (a first subset `apply` would build on the subset).
            self.optimizer.build(self.trainable_variables)
        with torch.no_grad():
            self.optimizer.apply(grads, variables)
            if not count_step:
                # Two groups, one optimizer step: keep Adam's bias correction / schedules per batch.
                self.optimizer.iterations.assign_sub(1)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        aux_variables, main_variables = self._objective_variables()
        stats = {}
        z = self.encoder(x, training=True)
        if aux_variables:
            aux_loss, aux_stats = self._aux_objective(z.detach(), y, sample_weight)
            self._apply_to(_gradients(aux_loss, aux_variables), aux_variables, count_step=False)
            stats.update(_detached(aux_stats))
        loss, main_stats = self._main_objective(z, y, sample_weight, training=True)
        if main_variables:
            self._apply_to(_gradients(loss, main_variables), main_variables, count_step=True)
        stats.update(_detached(main_stats))
        return self._update_trackers(stats, z.shape[0])

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with torch.no_grad():
            z = self.encoder(x, training=False)
            stats = {}
            if self._objective_variables()[0]:
                stats.update(self._aux_objective(z, y, sample_weight)[1])
            stats.update(self._main_objective(z, y, sample_weight, training=False)[1])
            return self._update_trackers(stats, z.shape[0])
