"""Per-backend ``train_step`` / ``test_step`` for the pretraining task models.

Keras 3 runs a model's custom ``train_step`` through the active backend's trainer, whose contract
differs (TensorFlow: stateful, ``GradientTape``; JAX: stateless, state tuples in and out). The task
models (:mod:`astrokeras.models`) describe their objective backend-agnostically with ``keras.ops``
through four hooks, and the mixin chosen here at import (``keras.backend.backend()``) turns them
into an optimisation step:

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
metrics), optimizer gradient accumulation (the step counter is rewound between the two groups)
and mixed-precision loss scaling.

The torch backend is not implemented (torch is not installed where this was written): training a
task model there raises ``NotImplementedError``; inference and save/load do not need it.
"""

from __future__ import annotations

import keras

__all__ = ["TrainStepMixin"]

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from astrokeras._backend.tensorflow import TensorFlowTrainStep as TrainStepMixin
elif _BACKEND == "jax":
    from astrokeras._backend.jax import JaxTrainStep as TrainStepMixin
else:

    class TrainStepMixin:  # type: ignore[no-redef]
        """Placeholder for backends without a custom step: training raises clearly."""

        def train_step(self, *args, **kwargs):
            raise NotImplementedError(
                f"{type(self).__name__}: custom training is implemented for the tensorflow and "
                f"jax backends, not {_BACKEND!r}; set KERAS_BACKEND=tensorflow or jax."
            )

        def test_step(self, *args, **kwargs):
            raise NotImplementedError(
                f"{type(self).__name__}: evaluation is implemented for the tensorflow and "
                f"jax backends, not {_BACKEND!r}; set KERAS_BACKEND=tensorflow or jax."
            )
