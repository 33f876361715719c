"""Data-parallel training on several devices: one context manager for TensorFlow and JAX.

Inside :func:`data_parallel`, build, compile and fit (or :func:`astrokeras.training.pretrain` /
``finetune``) as usual; every global batch is split over the devices:

* TensorFlow: ``tf.distribute.MirroredStrategy`` (variables mirrored, gradients all-reduced).
  The per-backend custom steps of :class:`~astrokeras.models.AdversarialClassifier` and
  :class:`~astrokeras.models.ContrastiveClassifier` gather the latents, targets and weights of
  all replicas (``all_gather``) before their objective, so the supervised contrastive loss pairs
  objects across replicas and every loss is the global-batch loss of one device; gradients are
  scaled by ``1 / n_replicas`` as Keras does for its own step.
* JAX: ``keras.distribution.DataParallel`` (batch sharded over the devices, one SPMD program;
  the objective is the global-batch one as written).
* torch: not supported (raises).

Tested on 2 virtual CPU devices (same losses as one device, ``tests/test_distribute.py``). For
virtual devices on a CPU-only machine: :func:`virtual_cpu_devices` (TensorFlow, before it starts)
or ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (JAX, before it is imported).

Example:
    >>> import astrokeras as ak
    >>> from astrokeras.distribute import data_parallel
    >>> with data_parallel():                                     # doctest: +SKIP
    ...     model = ak.Classifier(ak.GRUEncoder(), n_classes=8)
    ...     ak.training.pretrain(model, train_ds, val_ds)
"""

from __future__ import annotations

import contextlib
import os

import keras

__all__ = ["data_parallel", "n_replicas", "virtual_cpu_devices", "xla_host_devices_flag"]


def virtual_cpu_devices(n: int) -> list:
    """Split the CPU into ``n`` logical devices (TensorFlow; call before TensorFlow runs anything).

    Returns:
        The logical CPU devices.

    Raises:
        RuntimeError: TensorFlow was already initialised (devices cannot change any more).
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * int(n))
    except RuntimeError as err:
        raise RuntimeError(f"virtual_cpu_devices({n}): TensorFlow is already initialised; call it first "
                           f"thing in the process ({err})") from None
    return tf.config.list_logical_devices("CPU")


def _devices(backend: str, devices):
    if backend == "tensorflow":
        import tensorflow as tf

        if devices is not None:
            return list(devices)
        gpus = tf.config.list_logical_devices("GPU")
        return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
    import jax

    if devices is not None:
        return list(devices)
    return jax.devices()


@contextlib.contextmanager
def data_parallel(devices=None, backend: str | None = None, cross_device_ops=None):
    """Train data-parallel on ``devices`` (default: every GPU, else every CPU device) in this block.

    Args:
        devices: TensorFlow device names (``"/cpu:0"``, ``"/gpu:1"``) or JAX devices; default all.
        backend: the Keras backend (default: the active one).
        cross_device_ops: TensorFlow's gradient reduction; default
            ``tf.distribute.ReductionToOneDevice()``: the adversarial step's two optimizer updates
            per batch make collective all-reduces pair up wrongly across replicas (seen on CPU).

    Yields:
        The number of replicas.

    Raises:
        NotImplementedError: the torch backend.
        ValueError: fewer than one device.
    """
    backend = backend or keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise NotImplementedError(f"data_parallel supports the tensorflow and jax backends, not {backend!r}")
    devs = _devices(backend, devices)
    if not devs:
        raise ValueError("data_parallel: no device")
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(
            devs, cross_device_ops=cross_device_ops or tf.distribute.ReductionToOneDevice())
        with strategy.scope():
            yield strategy.num_replicas_in_sync
        return
    from keras.distribution import DataParallel, distribution, set_distribution

    previous = distribution()
    set_distribution(DataParallel(devices=devs))
    try:
        yield len(devs)
    finally:
        set_distribution(previous)


def n_replicas() -> int:
    """Replicas of the current TensorFlow strategy / JAX distribution (1 when none)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return int(tf.distribute.get_strategy().num_replicas_in_sync)
    if keras.backend.backend() == "jax":
        from keras.distribution import distribution

        dist = distribution()
        return 1 if dist is None else int(dist.device_mesh.devices.size)
    return 1


def xla_host_devices_flag(n: int) -> dict[str, str]:
    """Environment for a JAX process with ``n`` virtual CPU devices (merge into ``os.environ``)."""
    flags = os.environ.get("XLA_FLAGS", "")
    return {"XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count={int(n)}".strip()}
