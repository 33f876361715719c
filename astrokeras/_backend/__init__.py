"""Per-backend ``train_step`` / ``test_step`` for the pretraining task models with a custom step.

The plain supervised models (:class:`~astrokeras.models.Classifier`,
:class:`~astrokeras.models.Regressor`, :class:`~astrokeras.models.ProbabilisticRegressor`) train
through Keras' own step (``compile(loss=..., metrics=...)``). The pretraining models whose update
is not "one loss, all weights" (:class:`~astrokeras.models.AdversarialClassifier`: Algorithm 1's
two updates; :class:`~astrokeras.models.ContrastiveClassifier`: a loss on the latent) use the
mixin chosen here at import (``keras.backend.backend()``). Keras 3 runs a custom ``train_step``
through the active backend's trainer, whose contract differs (TensorFlow: stateful,
``GradientTape``; JAX: stateless, state tuples in and out; torch: stateful, ``torch.autograd``).
The models describe their objective backend-agnostically with ``keras.ops`` through four hooks:

* ``_objective_variables() -> (aux_variables, main_variables)``
* ``_aux_objective(z, y, sample_weight) -> (loss, stats)``: the discriminator step of
  Algorithm 1, on a stopped-gradient latent; skipped when ``aux_variables`` is empty;
* ``_main_objective(z, y, sample_weight, training) -> (loss, stats)``: everything else;
* ``_update_trackers(stats, batch_size) -> logs``.

One step: encode once (``z = encoder(x)``), update the auxiliary variables on ``stop_gradient(z)``,
then minimise the main loss (which sees the *updated* discriminator) w.r.t. the main variables,
back-propagating through the same encoder forward pass. The compiled optimizer is applied to the
two disjoint variable groups in two ``apply`` calls; its per-variable slots (Adam's moments) make
that exactly two optimizers with shared hyperparameters, and the step counter advances once per
batch.

Not supported by these steps: ``compile(loss=..., metrics=...)`` (the models log their own
metrics; ``compile`` raises), optimizer gradient accumulation (the step counter is rewound between
the two groups) and mixed-precision loss scaling.
"""

from __future__ import annotations

import keras

from astrokeras._backend.common import CustomStepBase

__all__ = ["CustomStepBase", "TrainStepMixin"]

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from astrokeras._backend.tensorflow import TensorFlowTrainStep as TrainStepMixin
elif _BACKEND == "jax":
    from astrokeras._backend.jax import JaxTrainStep as TrainStepMixin
elif _BACKEND == "torch":
    from astrokeras._backend.torch import TorchTrainStep as TrainStepMixin
else:

    class TrainStepMixin(CustomStepBase):  # type: ignore[no-redef]
        """Placeholder for other backends: training a custom-step model raises clearly."""

        def train_step(self, *args, **kwargs):
            raise NotImplementedError(
                f"{type(self).__name__}: the custom training step is implemented for the "
                f"tensorflow, jax and torch backends, not {_BACKEND!r}.")

        test_step = train_step
