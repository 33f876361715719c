"""Models shared by the benchmark scripts (run them as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

#: the four classes of the benchmark head (an untrained head: speed, not accuracy, is measured)
HEAD_CLASSES = ["SN Ia", "SN II", "SN Ib/c", "other"]


def released_encoder_with_head(preset: str = "classifier_ztf_lsst_full", seed: int = 0):
    """``(encoder, task_model)``: a released encoder and the same encoder with a seeded (64,) head.

    Example: ``encoder, model = released_encoder_with_head()``
    """
    import keras

    import astrokeras as ak
    from astrokeras.downstream import attach_head, build_head

    encoder = ak.GRUEncoder.from_preset(preset)
    keras.utils.set_random_seed(seed)
    head = build_head(128, "classification", n_classes=len(HEAD_CLASSES), hidden_units=(64,))
    return encoder, attach_head(encoder, head, class_names=HEAD_CLASSES)
