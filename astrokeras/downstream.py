"""Downstream tasks on a pretrained encoder: embed once, MLP heads on the embeddings, fine-tuning.

Gupta et al. (2025, Sec. 3.5, App. B.4) freeze the pretrained encoder and train a two-layer MLP
head per task (classification, redshift), fit isolation forests on a classifier's penultimate
latent (anomalies), and unfreeze the GRU for a new domain (variable stars). With a frozen encoder
the latents never change, so the efficient way to train many heads (seeds, Limited/Full, tasks)
is to **embed each data set once** and train the heads on the embeddings:

* :func:`embed` - latents of light curves, in input order (bucketed batches, order restored);
* :func:`fit_head` - a small Keras MLP on embeddings (classification, regression, or a Normal on
  ``log(1+z)``), with early stopping; inputs and regression targets are standardised during
  training and the scalings folded back into the weights, so the head takes raw latents;
* :func:`attach_head` - the same head on the (frozen) encoder as a saveable task model
  (:class:`~astrokeras.models.Classifier`, :class:`~astrokeras.models.Regressor` or
  :class:`~astrokeras.models.ProbabilisticRegressor`): identical predictions, one ``.keras`` file;
* :func:`head_penultimate` - the head's last hidden layer (the anomaly detector's input);
* :func:`finetune_sequence_model` - train a task model end to end on light curves (a partly
  unfrozen pretrained encoder for a new domain, or a fresh encoder: the no-pretraining baseline);
* :func:`predict_in_order`, :func:`truncate_light_curves` (early classification),
  :func:`tokenizer_for` (the tokenizer a released encoder was trained with).

Example:
    >>> import numpy as np
    >>> import astrokeras as ak
    >>> from astrokeras.downstream import embed, fit_head, attach_head
    >>> lcs = ak.simulate("ztf", n=40, classes=["SN Ia", "SN II"], seed=1)
    >>> encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    >>> z = embed(encoder, lcs)
    >>> y = (lcs.metadata["label"] == "SN II").to_numpy().astype(int)
    >>> head = fit_head(z, y, "classification", n_classes=2, hidden_units=(8,), epochs=3)
    >>> model = attach_head(encoder, head)          # a Classifier: encoder (frozen) + head
    >>> bool(np.allclose(head.predict(z, verbose=0), predict_in_order(model, lcs), atol=1e-5))
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from astrokeras.photometry import LightCurves
from astrokeras.tokens import TokenizedLightCurves, Tokenizer

__all__ = [
    "TASKS",
    "attach_head",
    "build_head",
    "copy_encoder",
    "embed",
    "finetune_sequence_model",
    "fit_head",
    "head_forward",
    "head_penultimate",
    "predict_in_order",
    "set_encoder_trainable",
    "tokenizer_for",
    "truncate_light_curves",
]

TASKS = ("classification", "regression", "normal")
"""Head types: softmax classes, a point value (MSE), a Normal on ``log(1 + z)`` (NLL)."""


# ------------------------------------------------------------------------------------ inputs
def tokenizer_for(encoder_name: str | None = None, models_dir: str | None = None) -> Tokenizer:
    """The tokenizer a released encoder was trained with (its sidecar), else the default."""
    if encoder_name is None:
        return Tokenizer()
    from astrokeras.presets import encoder_info

    config = encoder_info(encoder_name, models_dir).get("tokenizer")
    return Tokenizer(**config) if config else Tokenizer()


def _tokens(data: LightCurves | TokenizedLightCurves, tokenizer: Tokenizer | None) -> TokenizedLightCurves:
    if isinstance(data, TokenizedLightCurves):
        return data
    if isinstance(data, LightCurves):
        return (tokenizer or Tokenizer()).tokenize(data)
    raise TypeError(f"expected LightCurves or TokenizedLightCurves, got {type(data).__name__}")


def predict_in_order(model: keras.Model, data: LightCurves | TokenizedLightCurves,
                     tokenizer: Tokenizer | None = None, batch_size: int = 512) -> np.ndarray:
    """``model`` outputs for every object, in input order (batches bucketed by length for speed).

    Batches come from the ``tf.data`` pipeline; under the JAX and torch backends they enter the
    model as numpy arrays.

    Args:
        model: any Keras model over ``{"values", "mask"}`` (an encoder or a task model).
        data: light curves (tokenized with ``tokenizer``) or tokens.
        tokenizer: default ``Tokenizer()``; use :func:`tokenizer_for` for a released encoder.
        batch_size: objects per batch.

    Returns:
        ``(n_objects, ...)`` float32 array (``(0, ...)`` for no object).
    """
    from astrokeras.pipeline import make_dataset

    tokens = _tokens(data, tokenizer)
    if len(tokens.object_ids) == 0:
        return np.zeros((0,) + tuple(model.output_shape[1:]), dtype=np.float32)
    max_len = int(np.max(np.diff(tokens.offsets)))
    boundaries = tuple(b for b in (65, 97, 129, 161, 193, 225, 257) if b <= max_len) + (max_len + 1,)
    ds = make_dataset(tokens, None, batch_size=batch_size, include_index=True,
                      bucket_boundaries=boundaries)
    as_numpy = keras.backend.backend() != "tensorflow"
    out, index = [], []
    for x, y in ds:
        if as_numpy:  # JAX and torch do not take TensorFlow tensors
            x = {key: value.numpy() for key, value in x.items()}
        out.append(np.asarray(model.predict_on_batch(x)))
        index.append(y["index"].numpy())
    index = np.concatenate(index)
    result = np.empty((len(index),) + out[0].shape[1:], dtype=np.float32)
    result[index] = np.concatenate(out)
    return result


def embed(encoder: keras.Model, data: LightCurves | TokenizedLightCurves, tokenizer: Tokenizer | None = None,
          batch_size: int = 512) -> np.ndarray:
    """Latent vectors ``(n_objects, latent_dim)`` float32 of ``data`` in input order.

    A set that fits in one batch goes to ``encoder.predict_on_batch`` as padded numpy arrays;
    larger sets go through :func:`predict_in_order` (length-bucketed batches, order restored).
    Curves longer than the tokenizer's ``max_length`` are windowed (see
    :class:`~astrokeras.tokens.Tokenizer`) and a :class:`~astrokeras.tokens.TruncationWarning`
    says how many. An empty set gives a ``(0, latent_dim)`` array, so catalogue loops need no
    special case.

    Args:
        encoder: a Keras model over ``{"values", "mask"}`` giving ``(B, latent_dim)``.
        data: light curves (tokenized with ``tokenizer``) or tokens.
        tokenizer: default ``Tokenizer()``; use :func:`tokenizer_for` for a released encoder.
        batch_size: objects per batch.

    Raises:
        ValueError: the encoder gave non-finite latents (naming up to three objects), or light
            curves come with a tokenizer whose band-code channel the encoder does not read.

    Example:
        >>> import astrokeras as ak
        >>> encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
        >>> embed(encoder, ak.LightCurves.empty()).shape
        (0, 4)
    """
    import warnings

    from astrokeras.predict import check_band_codes
    from astrokeras.tokens import TruncationWarning

    if isinstance(data, LightCurves):
        check_band_codes(encoder, tokenizer or Tokenizer())
    tokens = _tokens(data, tokenizer)
    if len(tokens) == 0:  # latent width from the output shape, else from one call on a one-token input
        try:
            width = encoder.output_shape[-1]
        except (AttributeError, ValueError, TypeError, IndexError, RuntimeError):
            width = None
        if not isinstance(width, int):
            x = {"values": np.zeros((1, 1, tokens.n_features), np.float32), "mask": np.ones((1, 1), bool)}
            width = np.asarray(encoder.predict_on_batch(x)).shape[-1]
        return np.zeros((0, int(width)), dtype=np.float32)
    if tokens.n_truncated:
        warnings.warn(tokens.truncation_message(), TruncationWarning, stacklevel=2)
    if len(tokens) <= batch_size:  # one batch: numpy straight in, no tf.data pipeline to build (~0.5 s)
        longest = int(tokens.lengths.max())
        padded = tokens.padded(max(32, -(-longest // 32) * 32))  # lengths rounded up: few retraces
        z = np.asarray(encoder.predict_on_batch(padded), dtype=np.float32)
    else:
        z = np.asarray(predict_in_order(encoder, tokens, None, batch_size), dtype=np.float32)
    if not np.isfinite(z).all():
        bad = np.flatnonzero(~np.isfinite(z).all(axis=1))
        ids = tokens.object_ids[bad[:3]]
        raise ValueError(f"encoder gave non-finite latents for {len(bad)} objects, e.g. {list(ids)}")
    return z


# ----------------------------------------------------------------------------------- heads
def build_head(latent_dim: int, task: str = "classification", n_classes: int | None = None,
               hidden_units: Sequence[int] = (64,), activation: str = "relu",
               min_scale: float = 1e-3, loc: float = 0.0, scale: float = 1.0) -> keras.Model:
    """An MLP head on latent vectors, with the layer names of the matching task model.

    Args:
        latent_dim: input width.
        task: one of :data:`TASKS`.
        n_classes: number of classes (classification).
        hidden_units: hidden Dense widths (``head_dense_i``).
        activation: hidden activation.
        min_scale: ``sigma`` floor (``"normal"``).
        loc, scale: standardisation of ``log(1 + z)`` (``"normal"``, see
            :class:`~astrokeras.models.probabilistic_regressor.NormalParameters`).

    Returns:
        A Functional ``keras.Model`` (latent ``(B, D)`` -> probabilities ``(B, K)``, value
        ``(B, 1)`` or ``[mu, sigma]`` ``(B, 2)``), uncompiled.
    """
    from astrokeras.models.probabilistic_regressor import NormalParameters

    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    inputs = keras.Input(shape=(int(latent_dim),), name="latent")
    x = inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(int(units), activation=activation, name=f"head_dense_{i}")(x)
    if task == "classification":
        if n_classes is None or int(n_classes) < 2:
            raise ValueError(f"classification needs n_classes >= 2, got {n_classes}")
        x = keras.layers.Dense(int(n_classes), name="class_logits")(x)
        out = keras.layers.Activation("softmax", name="class_probabilities", dtype="float32")(x)
    elif task == "regression":
        out = keras.layers.Dense(1, name="prediction", dtype="float32")(x)
    else:
        x = keras.layers.Dense(2, name="distribution_raw", dtype="float32")(x)
        out = NormalParameters(min_scale, loc, scale, name="normal_parameters", dtype="float32")(x)
    return keras.Model(inputs, out, name=f"{task}_head")


def _stratified_val(n: int, labels: np.ndarray | None, val_fraction: float, seed: int):
    from astrokeras.evaluation import train_test_split_ids

    ids = np.array([f"{i:09d}" for i in range(n)])
    tr, va = train_test_split_ids(ids, labels, test_fraction=val_fraction, seed=seed)
    return tr.astype(int), va.astype(int)


def fit_head(latent: np.ndarray, target: np.ndarray, task: str = "classification", *,
             n_classes: int | None = None, hidden_units: Sequence[int] = (64,), activation: str = "relu",
             val_fraction: float = 0.2, epochs: int = 300, patience: int = 20, batch_size: int | None = None,
             learning_rate: float = 1e-3, l2: float = 1e-4, balanced: bool = True, seed: int = 0,
             validation: tuple[np.ndarray, np.ndarray] | None = None, verbose=0) -> keras.Model:
    """Train an MLP head on fixed embeddings (= a frozen encoder + MLP head), early-stopped.

    Latents are standardised, and for ``"regression"`` the target too, during training; the
    scalings are folded into the first and last Dense layers afterwards, so the returned Keras
    head takes raw latents and predicts in the target's units.

    Classification and regression heads are trained with scikit-learn's MLP (Adam, L2 ``l2``,
    early stopping on a held-out ``val_fraction`` with the best weights kept; single-threaded
    BLAS), then copied into the :func:`build_head` Keras model: on a few hundred to a few thousand
    embeddings ``keras.Model.fit``'s per-epoch overhead dominates (one trial on this project's
    2-core machine: 512 x 128 embeddings, 3.8 s with Keras vs 0.2 s here), and Table 1 trains
    hundreds of heads. ``"normal"`` heads (a custom likelihood) train with Keras ``fit``.

    Args:
        latent: ``(n, D)`` embeddings (:func:`embed`).
        target: ``(n,)`` integer classes, or real values (``"normal"``: redshifts ``z > -1``).
        task: one of :data:`TASKS`.
        n_classes: number of classes (default ``max(target) + 1``).
        hidden_units: hidden widths (paper: a two-layer MLP, ``(64,)``); at least one layer.
        activation: hidden activation (``"relu"`` or ``"tanh"`` for the scikit-learn path).
        val_fraction: held-out fraction for early stopping (0 disables early stopping).
        epochs: maximum epochs.
        patience: early-stopping patience (epochs).
        batch_size: batch size; default ``clip(n_train // 16, 16, 128)``, so that even a
            Limited set of 512 objects gets >= 16 updates per epoch.
        learning_rate: Adam learning rate.
        l2: L2 penalty of the scikit-learn path.
        balanced: weight classes by inverse frequency (classification).
        seed: seed of the initial weights, shuffling and the validation split.
        validation: ``(latent_dev, target_dev)``: early-stop on this development split (the
            epoch with the lowest development loss is kept) instead of holding out
            ``val_fraction`` of the training objects; every training object is then used.
        verbose: training verbosity.

    Returns:
        The trained head (:func:`build_head` layout).
    """
    latent = np.asarray(latent, dtype=np.float32)
    target = np.asarray(target)
    if latent.ndim != 2 or len(latent) != len(target) or len(latent) < 2:
        raise ValueError(f"latent must be (n, D) with n >= 2 matching target; got {latent.shape} and "
                         f"{target.shape}")
    if not np.isfinite(latent).all():
        raise ValueError("latent contains NaN or inf")
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not hidden_units:
        raise ValueError("fit_head needs at least one hidden layer (hidden_units)")
    if task == "classification":
        target = target.astype(np.int64)
        n_classes = int(target.max()) + 1 if n_classes is None else int(n_classes)
        if target.min() < 0 or target.max() >= n_classes:
            raise ValueError(f"class targets must be in [0, {n_classes}), got [{target.min()}, {target.max()}]")
    else:
        target = target.astype(np.float32)
        if not np.isfinite(target).all():
            raise ValueError(f"{task} targets contain NaN or inf at positions "
                             f"{np.flatnonzero(~np.isfinite(target))[:5].tolist()}")
        if task == "normal" and (target <= -1).any():
            raise ValueError("'normal' heads model log(1 + z): targets must be > -1")

    if validation is not None:
        val_latent = np.asarray(validation[0], dtype=np.float32)
        val_target = np.asarray(validation[1]).astype(target.dtype)
        if val_latent.ndim != 2 or val_latent.shape[1] != latent.shape[1] or len(val_latent) != len(val_target):
            raise ValueError(f"validation must be (latent (m, {latent.shape[1]}), target (m,)); got "
                             f"{val_latent.shape} and {val_target.shape}")
        if len(val_target) == 0 or not np.isfinite(val_latent).all():
            raise ValueError("validation latents must be non-empty and finite")
        val_fraction = 0.0
    if batch_size is None:
        n_train = len(target) * (1.0 - (val_fraction or 0.0))
        batch_size = int(np.clip(n_train // 16, 16, 128))
    x_mean, x_std = latent.mean(axis=0), latent.std(axis=0) + 1e-6
    xs = (latent - x_mean) / x_std
    loc, scale = 0.0, 1.0
    if task == "normal":
        loc, scale = float(np.log1p(target).mean()), float(np.log1p(target).std() + 1e-6)
    from astrokeras.training import set_global_seed

    set_global_seed(seed, deterministic_ops=False)  # before any weight exists
    head = build_head(latent.shape[1], task, n_classes, hidden_units, activation, loc=loc, scale=scale)
    val_std = None if validation is None else ((val_latent - x_mean) / x_std, val_target)
    if task == "normal":
        _fit_keras_head(head, xs, target, val_fraction, epochs, patience, batch_size, learning_rate,
                        seed, verbose, val_std)
    else:
        _fit_sklearn_head(head, xs, target, task, n_classes, hidden_units, activation, val_fraction,
                          epochs, patience, batch_size, learning_rate, l2, balanced, seed, verbose, val_std)
    first = head.get_layer("head_dense_0")
    kernel, bias = first.get_weights()
    first.set_weights([kernel / x_std[:, None], bias - (x_mean / x_std) @ kernel])
    return head


def _fit_sklearn_head(head, xs, target, task, n_classes, hidden_units, activation, val_fraction, epochs,
                      patience, batch_size, learning_rate, l2, balanced, seed, verbose, validation=None):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from threadpoolctl import threadpool_limits

    if activation not in ("relu", "tanh", "logistic"):
        raise ValueError(f"activation {activation!r} is not available for scikit-learn heads")
    early = bool(val_fraction) and len(target) >= 10
    n_fit = len(target) - (int(np.ceil(float(val_fraction) * len(target))) if early else 0)
    kwargs = dict(hidden_layer_sizes=tuple(int(u) for u in hidden_units), activation=activation,
                  solver="adam", alpha=float(l2), batch_size=max(1, min(int(batch_size), n_fit)),
                  learning_rate_init=float(learning_rate), max_iter=int(epochs), random_state=int(seed),
                  early_stopping=early, validation_fraction=float(val_fraction) if early else 0.1,
                  n_iter_no_change=int(patience), tol=1e-4, verbose=bool(verbose))
    y_mean, y_std = 0.0, 1.0
    weights = None
    if task == "classification":
        model = MLPClassifier(**kwargs)
        y = target
        if balanced:
            counts = np.bincount(target, minlength=n_classes).astype(float)
            w_class = np.where(counts > 0, len(target) / (n_classes * np.maximum(counts, 1)), 0.0)
            weights = w_class[target]
    else:
        model = MLPRegressor(**kwargs)
        y_mean, y_std = float(target.mean()), float(target.std() + 1e-12)
        y = (target - y_mean) / y_std
    if validation is not None:
        model.set_params(early_stopping=False)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: a documented stop
        if validation is None:
            model.fit(xs, y, sample_weight=weights)
        else:
            _partial_fit_with_dev(model, xs, y, weights, validation, task, n_classes, epochs, patience,
                                  (y_mean, y_std))
    hidden = [layer for layer in head.layers if layer.name.startswith("head_dense_")]
    for layer, w, b in zip(hidden, model.coefs_[:-1], model.intercepts_[:-1]):
        layer.set_weights([w.astype(np.float32), b.astype(np.float32)])
    w, b = model.coefs_[-1].astype(np.float32), model.intercepts_[-1].astype(np.float32)
    if task == "classification":
        full_w = np.zeros((w.shape[0], n_classes), np.float32)
        full_b = np.full(n_classes, -1e4, np.float32)   # classes never seen get ~zero probability
        classes = model.classes_.astype(int)
        if len(classes) == 2:  # scikit-learn's binary MLP has one logistic unit: logits [0, l]
            full_w[:, classes[0]], full_b[classes[0]] = 0.0, 0.0
            full_w[:, classes[1]], full_b[classes[1]] = w[:, 0], b[0]
        else:
            full_w[:, classes], full_b[classes] = w, b
        head.get_layer("class_logits").set_weights([full_w, full_b])
    else:
        head.get_layer("prediction").set_weights([w * y_std, b * y_std + y_mean])
    head.n_epochs_ = int(model.n_iter_)


def _partial_fit_with_dev(model, xs, y, weights, validation, task, n_classes, epochs, patience, y_scaling):
    """Epochs of scikit-learn's Adam (``partial_fit``) with early stopping on a development split:
    the weights of the epoch with the lowest development loss are kept."""
    from sklearn.metrics import log_loss

    xv, yv = validation
    if task == "classification":
        counts = np.bincount(yv.astype(int), minlength=n_classes).astype(float)
        w_dev = (len(yv) / (n_classes * np.maximum(counts, 1)))[yv.astype(int)]
        classes = np.arange(n_classes)

        def dev_loss():
            return log_loss(yv, model.predict_proba(xv), labels=classes, sample_weight=w_dev)
    else:
        y_mean, y_std = y_scaling

        def dev_loss():
            return float(np.mean((model.predict(xv) - (yv - y_mean) / y_std) ** 2))

    best, best_state, wait, n_epochs = np.inf, None, 0, 0
    for epoch in range(int(epochs)):
        if task == "classification":
            model.partial_fit(xs, y, sample_weight=weights, classes=classes)
        else:
            model.partial_fit(xs, y, sample_weight=weights)
        n_epochs += 1
        loss = dev_loss()
        if loss < best - 1e-4:  # scikit-learn's default ``tol``
            best, wait = loss, 0
            best_state = ([c.copy() for c in model.coefs_], [b.copy() for b in model.intercepts_], epoch + 1)
        else:
            wait += 1
            if wait >= patience:
                break
    model.coefs_, model.intercepts_ = best_state[0], best_state[1]
    model.n_iter_ = best_state[2]
    model.dev_loss_ = best


def _fit_keras_head(head, xs, target, val_fraction, epochs, patience, batch_size, learning_rate, seed,
                    verbose, validation=None):
    from astrokeras.models.probabilistic_regressor import normal_log1p_nll
    from astrokeras.training import set_global_seed

    set_global_seed(seed, deterministic_ops=False)
    head.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=normal_log1p_nll)
    callbacks, tr = [], np.arange(len(target))
    if validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=int(patience), restore_best_weights=True))
    elif val_fraction and len(target) >= 10:
        tr, va = _stratified_val(len(target), None, val_fraction, seed)
        validation = (xs[va], target[va])
        callbacks.append(keras.callbacks.EarlyStopping(patience=int(patience), restore_best_weights=True))
    history = head.fit(xs[tr], target[tr], validation_data=validation, epochs=int(epochs),
                       batch_size=int(batch_size), shuffle=True, callbacks=callbacks, verbose=verbose)
    head.n_epochs_ = len(history.history["loss"])


def _task_model_for(encoder: keras.Model, head: keras.Model, class_names=None, tokenizer=None):
    from astrokeras.models import Classifier, ProbabilisticRegressor, Regressor

    names = {layer.name for layer in head.layers}
    hidden = [layer for layer in head.layers if layer.name.startswith("head_dense_")]
    hidden_units = tuple(layer.units for layer in hidden)
    activation = keras.activations.serialize(hidden[0].activation) if hidden else "relu"
    activation = activation if isinstance(activation, str) else activation.get("config", {}).get("name", "relu")
    if "class_logits" in names:
        return Classifier(encoder, n_classes=head.get_layer("class_logits").units, hidden_units=hidden_units,
                          activation=activation, class_names=class_names, tokenizer=tokenizer,
                          name="classifier")
    if class_names is not None:
        raise ValueError("class_names are for classification heads; this head is a regression head")
    if "prediction" in names:
        return Regressor(encoder, hidden_units=hidden_units, activation=activation, tokenizer=tokenizer,
                         name="regressor")
    if "normal_parameters" in names:
        params = head.get_layer("normal_parameters")
        return ProbabilisticRegressor(encoder, hidden_units=hidden_units, activation=activation,
                                      min_scale=params.min_scale, loc=params.loc, scale=params.scale,
                                      tokenizer=tokenizer)
    raise ValueError(f"not a head from build_head/fit_head (layers {sorted(names)})")


def copy_encoder(encoder: keras.Model) -> keras.Model:
    """An independent copy (same config and weights) of an encoder."""
    clone = type(encoder).from_config(encoder.get_config())
    clone.set_weights(encoder.get_weights())
    return clone


def attach_head(encoder: keras.Model, head: keras.Model, *, class_names: Sequence[str] | None = None,
                tokenizer: Tokenizer | None = None, copy: bool = True) -> keras.Model:
    """Put a head trained on embeddings on top of its (frozen) encoder: a saveable task model.

    The model stores ``class_names`` and the tokenizer settings in its config, so after
    ``keras.models.load_model`` one call predicts from a table (``model.predict_table(df)``,
    :mod:`astrokeras.predict`).

    Args:
        encoder: the encoder the embeddings came from.
        head: a head from :func:`fit_head` / :func:`build_head`.
        class_names: names of the classes in label order (classification heads).
        tokenizer: the tokenizer the embeddings were made with; default: the encoder's preset
            tokenizer when it came from :meth:`GRUEncoder.from_preset`, else ``Tokenizer()`` (the
            default of :func:`embed`).
        copy: attach a copy of the encoder (the caller's encoder is left untouched).

    Returns:
        A :class:`~astrokeras.models.Classifier`, :class:`~astrokeras.models.Regressor` or
        :class:`~astrokeras.models.ProbabilisticRegressor` with ``encoder.trainable = False``
        and the head's weights; it predicts exactly what ``head(embed(encoder, x))`` does.
    """
    if tokenizer is None:
        tokenizer = getattr(encoder, "preset_tokenizer", None) or Tokenizer()
    encoder = copy_encoder(encoder) if copy else encoder
    encoder.trainable = False
    model = _task_model_for(encoder, head, class_names=class_names, tokenizer=tokenizer)
    for layer in head.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def head_forward(head: keras.Model, latent: np.ndarray, penultimate: bool = False) -> np.ndarray:
    """A :func:`build_head` head evaluated in NumPy (no Keras call: fast for the many small heads of
    an evaluation). ``penultimate=True`` returns the last hidden layer (the anomaly detector's input).

    Example:
        >>> head = build_head(4, "classification", n_classes=3, hidden_units=(8,))
        >>> x = np.ones((2, 4), np.float32)
        >>> bool(np.allclose(head_forward(head, x), head.predict(x, verbose=0), atol=1e-6))
        True
    """
    x = np.asarray(latent, dtype=np.float64)
    acts = {"relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh, "linear": lambda a: a,
            "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a))}
    names = [layer.name for layer in head.layers]
    for layer in head.layers:
        if layer.name.startswith("head_dense_"):
            kernel, bias = layer.get_weights()
            act = keras.activations.serialize(layer.activation)
            act = act if isinstance(act, str) else act.get("config", {}).get("name", "linear")
            if act not in acts:
                raise ValueError(f"head_forward does not know activation {act!r}")
            x = acts[act](x @ kernel + bias)
    if penultimate:
        return x.astype(np.float32)
    if "class_logits" in names:
        kernel, bias = head.get_layer("class_logits").get_weights()
        z = x @ kernel + bias
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    if "prediction" in names:
        kernel, bias = head.get_layer("prediction").get_weights()
        return (x @ kernel + bias).astype(np.float32)
    return np.asarray(head.predict(np.asarray(latent, np.float32), verbose=0))  # "normal" heads


def head_penultimate(head: keras.Model, latent: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Output of the head's last hidden layer (the classifier's penultimate latent)."""
    hidden = [layer for layer in head.layers if layer.name.startswith("head_dense_")]
    if not hidden:
        return np.asarray(latent, dtype=np.float32)
    sub = keras.Model(head.input, hidden[-1].output)
    return np.asarray(sub.predict(np.asarray(latent, dtype=np.float32), batch_size=batch_size, verbose=0))


# ------------------------------------------------------------------------ end-to-end training
def set_encoder_trainable(encoder: keras.Model, trainable: str = "gru") -> keras.Model:
    """Freeze/unfreeze an encoder in place: ``"none"``, ``"gru"`` (recurrent layers only, the
    paper's cross-domain setting, B.4.1) or ``"all"``."""
    if trainable not in ("none", "gru", "all"):
        raise ValueError(f"trainable must be 'none', 'gru' or 'all', got {trainable!r}")
    encoder.trainable = trainable != "none"
    if trainable == "gru":
        for layer in encoder.layers:
            layer.trainable = layer.name.startswith("gru")
    return encoder


def finetune_sequence_model(model: keras.Model, data: LightCurves | TokenizedLightCurves,
                            targets: Mapping[str, np.ndarray], *, tokenizer: Tokenizer | None = None,
                            stratify: np.ndarray | None = None, val_fraction: float = 0.2, epochs: int = 100,
                            patience: int = 10, batch_size: int = 128, learning_rate: float = 1e-3,
                            sample_weight: np.ndarray | None = None, seed: int = 0, workdir: str | None = None,
                            jit_compile: bool = True, verbose=0,
                            validation: tuple | None = None) -> keras.callbacks.History:
    """Train a task model end to end on light curves (encoder weights included where trainable).

    Use it for cross-domain fine-tuning (a copy of a released encoder with
    :func:`set_encoder_trainable`) and for the no-pretraining baseline (a fresh
    :class:`~astrokeras.models.GRUEncoder`). A ``val_fraction`` of the objects (stratified by
    ``stratify``) is held out for early stopping; the rest is shuffled each epoch.

    Args:
        model: a compiled-or-not astrokeras task model (``Classifier``, ``Regressor``, ...).
        data: light curves or tokens.
        targets: ``{"class": int array}`` / ``{"redshift": float array}``, one value per object.
        tokenizer: for light curves (default ``Tokenizer()``).
        stratify: labels for the stratified validation split.
        val_fraction: held-out fraction for early stopping.
        epochs, patience, batch_size, learning_rate, seed, workdir, jit_compile, verbose: see
            :func:`astrokeras.training.finetune`.
        sample_weight: per-object weights (e.g. balanced class weights).
        validation: ``(data_dev, targets_dev)``: early-stop on this development split instead of
            holding out ``val_fraction`` of ``data`` (then every object of ``data`` trains).

    Returns:
        The Keras ``History``.
    """
    from astrokeras.pipeline import make_dataset
    from astrokeras.training import finetune

    tokens = _tokens(data, tokenizer)
    n = len(tokens.object_ids)
    targets = {k: np.asarray(v) for k, v in targets.items()}
    for key, value in targets.items():
        if value.shape[0] != n:
            raise ValueError(f"targets[{key!r}] has {value.shape[0]} values for {n} objects")
    if validation is not None:
        val_fraction = 0.0
    tr, va = _stratified_val(n, stratify, val_fraction, seed) if val_fraction else (np.arange(n), None)

    def part(idx, shuffle):
        sub = tokens.subset(idx) if hasattr(tokens, "subset") else _subset_tokens(tokens, idx)
        weights = None if sample_weight is None else np.asarray(sample_weight, np.float32)[idx]
        return make_dataset(sub, {k: v[idx] for k, v in targets.items()}, batch_size=batch_size,
                            shuffle=shuffle, seed=seed, sample_weight=weights)

    if validation is not None:
        dev_tokens = _tokens(validation[0], tokenizer)
        dev_targets = {k: np.asarray(v) for k, v in validation[1].items()}
        validation = make_dataset(dev_tokens, dev_targets, batch_size=batch_size, shuffle=False)
    else:
        validation = part(va, False) if va is not None and len(va) else None
    return finetune(model, part(tr, True), validation, epochs=epochs, patience=patience if validation else 0,
                    learning_rate=learning_rate, seed=seed, workdir=workdir, jit_compile=jit_compile,
                    verbose=verbose)


def _subset_tokens(tokens: TokenizedLightCurves, idx: np.ndarray) -> TokenizedLightCurves:
    idx = np.asarray(idx, dtype=np.int64)
    starts, ends = tokens.offsets[:-1][idx], tokens.offsets[1:][idx]
    lengths = ends - starts
    rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if len(idx) else np.zeros(0, int)
    return TokenizedLightCurves(values=tokens.values[rows], offsets=np.r_[0, np.cumsum(lengths)],
                                object_ids=np.asarray(tokens.object_ids)[idx])


# ------------------------------------------------------------------------ early classification
def truncate_light_curves(lcs: LightCurves, max_days: float) -> LightCurves:
    """Keep the observations within ``max_days`` of each object's first observation.

    The first observation stands in for the first detection (alert light curves start at it).
    Every object keeps at least that observation, so no object disappears.

    Example:
        >>> lcs = LightCurves(["a"] * 3, [0.0, 5.0, 20.0], ["ztf::g"] * 3, [1.0, 2.0, 3.0], [1.0] * 3)
        >>> truncate_light_curves(lcs, 10).lengths.tolist()
        [2]
    """
    if not max_days >= 0:
        raise ValueError(f"max_days must be >= 0, got {max_days}")
    first = np.repeat(lcs.time_mjd[lcs.offsets[:-1]], lcs.lengths)
    keep = lcs.time_mjd - first <= float(max_days)
    return LightCurves(lcs.object_id[keep], lcs.time_mjd[keep], lcs.band[keep], lcs.flux[keep],
                       lcs.flux_err[keep], metadata=lcs.metadata)
