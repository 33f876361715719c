"""Multi-device training (astrokeras.distribute): 2 virtual CPU devices give the losses of one device.

Each backend runs in a subprocess (devices are fixed when TensorFlow starts / JAX is imported):
TensorFlow with ``tf.distribute.MirroredStrategy`` over 2 logical CPUs, JAX with
``keras.distribution.DataParallel`` over ``--xla_force_host_platform_device_count=2``. The same
initial weights are trained for 3 epochs of 4 global batches (32 = 2 x 16) on one device and on
two; the per-epoch losses (and, for the custom steps, every logged metric) must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import keras
    import astrokeras as ak
    from astrokeras.distribute import data_parallel, n_replicas, virtual_cpu_devices

    backend = keras.backend.backend()
    if backend == "tensorflow":
        virtual_cpu_devices(2)
    rng = np.random.default_rng(0)
    n, T = 128, 12
    x = {"values": rng.normal(size=(n, T, 3)).astype("float32"),
         "mask": np.arange(T)[None, :] < rng.integers(3, T + 1, n)[:, None]}
    y = {"class": rng.integers(0, 3, n), "survey": rng.integers(0, 2, n)}

    def build(kind):
        keras.utils.set_random_seed(0)
        enc = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=6)
        if kind == "classifier":
            return ak.Classifier(enc, n_classes=3)
        if kind == "contrastive":
            return ak.ContrastiveClassifier(enc, n_classes=3)
        return ak.AdversarialClassifier(enc, n_classes=3, discriminator_units=8, contrastive_weight=0.5)

    def train(kind, weights):
        model = build(kind)
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      **({"jit_compile": False} if backend == "tensorflow" else {}))
        history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        return {k: [float(v) for v in vals] for k, vals in history.history.items()}, n_replicas()

    out = {}
    for kind in sys.argv[1].split(","):
        w0 = build(kind).get_weights()
        one, r1 = train(kind, w0)
        with data_parallel() as replicas:
            two, r2 = train(kind, w0)
        out[kind] = {"one": one, "two": two, "replicas": [r1, replicas, r2]}
    print("RESULT" + json.dumps(out))
""")


def _run(backend: str, kinds: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend,
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if backend == "jax":
        pytest.importorskip("jax", reason="jax is not installed (pip install 'astrokeras[jax]')")
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    proc = subprocess.run([sys.executable, "-c", _CHILD, kinds], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_devices_give_the_losses_of_one(backend):
    result = _run(backend, "classifier,contrastive,adversarial")
    for kind, r in result.items():
        assert r["replicas"] == [1, 2, 2], (kind, r["replicas"])
        assert set(r["one"]) == set(r["two"]), kind
        for metric, values in r["one"].items():
            np.testing.assert_allclose(r["two"][metric], values, rtol=2e-4, atol=2e-5,
                                       err_msg=f"{backend} {kind} {metric}")
        assert r["one"]["loss"][-1] < r["one"]["loss"][0], kind  # it trained


def test_torch_is_refused_and_virtual_devices_need_a_fresh_process():
    import keras

    from astrokeras.distribute import data_parallel, virtual_cpu_devices

    with pytest.raises(NotImplementedError, match="tensorflow and jax"):
        with data_parallel(backend="torch"):
            pass
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.constant(1.0)  # TensorFlow is running now
        with pytest.raises(RuntimeError, match="already initialised"):
            virtual_cpu_devices(2)
