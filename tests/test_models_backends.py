"""Run the layer, loss and model tests under the JAX backend too (CI covers TF and JAX).

The default backend of the test session is TensorFlow; Keras picks its backend once per process,
so each test file is re-run in a subprocess with ``KERAS_BACKEND=jax``. The JAX custom
``train_step`` is thereby checked step-for-step against compiled reference models (Algorithm 1,
CE + SCL, gradient reversal) and on the tiny training problems.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import keras
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# The custom train/test steps (the backend-specific code) run in the default suite; the layer,
# loss and encoder tests (keras.ops only, no custom step) under JAX are marked slow.
GROUPS = [
    pytest.param(["test_models_classifier.py", "test_models_contrastive.py",
                  "test_models_adversarial.py", "test_models_heads.py"], id="task_models"),
    pytest.param(["test_layers.py", "test_losses.py", "test_models_encoder.py"],
                 id="layers_losses_encoder", marks=pytest.mark.slow),
]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.skipif(keras.backend.backend() == "jax", reason="already running under JAX")
@pytest.mark.parametrize("test_files", GROUPS)
def test_under_jax(test_files):
    platforms = os.environ.get("JAX_PLATFORMS", "cpu")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS=platforms)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
         *[os.path.join(HERE, f) for f in test_files]],
        cwd=os.path.dirname(HERE), env=env, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, f"{test_files} failed under JAX:\n{result.stdout[-6000:]}"
