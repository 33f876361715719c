"""Fast, physically grounded ZTF and LSST light-curve simulator for 8 transient/variable classes.

``simulate(survey, n, classes, seed, ...)`` draws objects from volumetric rates, observes them with
a survey cadence (synthetic, calibrated to the real ZTF/Rubin pointing logs, or a user's pointing
log), keeps those the survey detects (>= 2 visits at S/N >= 5) and returns forced-photometry
:class:`~astrokeras.photometry.LightCurves` (FLUXCAL, zero point 27.5). Modules:

* :mod:`~astrokeras.simulation.sources`: SED families, bolometric light curves, synthetic photometry.
* :mod:`~astrokeras.simulation.surveys`: schedules, depths, noise.
* :mod:`~astrokeras.simulation.population`: rates, redshifts, detection selection, the batch engine.
* :mod:`~astrokeras.simulation.presets`: the paper's four sets (Table 3 counts).

Determinism: the work is split into chunks of at most ``chunk_size`` objects per class, each with
its own ``numpy.random.SeedSequence(seed, spawn_key=(survey, class, chunk))``, so the output depends
only on the arguments, never on ``n_jobs``.

Example:
    >>> import astrokeras as ak
    >>> lcs = ak.simulate("ztf", classes={"SN Ia": 3, "AGN": 2}, seed=1)
    >>> sorted(lcs.metadata["label"].value_counts().items())
    [('AGN', 2), ('SN Ia', 3)]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurves
from astrokeras.simulation.population import (
    DEFAULT_OPTIONS,
    META_COLUMNS,
    REDSHIFT_RANGES,
    Options,
    prepare,
    simulate_class,
)
from astrokeras.simulation.template_models import SUBTYPE_NAMES
from astrokeras.simulation.sources import CLASSES
from astrokeras.simulation.surveys import SURVEYS, Survey, default_survey, survey_from_pointings
from astrokeras.simulation.variables import (VARIABLE_CLASSES, VARIABLE_META_COLUMNS, VARIABLES_VERSION,
                                              simulate_variables)

__all__ = ["ALL_CLASSES", "CLASSES", "VARIABLE_CLASSES", "Options", "SIMULATOR_VERSION", "SURVEYS", "VARIABLES_VERSION", "Survey", "alert_view", "plan_chunks", "simulate",
           "simulate_preset", "simulate_views", "survey_from_pointings"]

DEFAULT_CHUNK_SIZE = 2000

#: Bump whenever a change to the simulator can change its output for the same arguments: caches of
#: simulated sets (recipes) include it in their key, so stale simulations are never reused.
SIMULATOR_VERSION = 2

#: every class :func:`simulate` knows: the 8 transient classes (the default) then the periodic variables
ALL_CLASSES = CLASSES + VARIABLE_CLASSES


def _class_counts(n, classes) -> dict[str, int]:
    if isinstance(classes, Mapping):
        counts = {}
        for label, count in classes.items():
            counts[_check_class(label)] = _check_count(count, f"count of class {label!r}")
        if n is not None and _check_count(n, "n") != sum(counts.values()):
            raise ValueError(f"n={n} disagrees with the class counts, which sum to {sum(counts.values())}; "
                             "pass n=None with a dict of counts")
        return counts
    n = _check_count(1000 if n is None else n, "n")
    if classes is None:
        labels = list(CLASSES)
    else:
        if isinstance(classes, str):
            classes = [classes]
        labels = [_check_class(c) for c in classes]
        if len(set(labels)) != len(labels):
            raise ValueError(f"classes lists a class twice: {list(classes)}")
        if not labels:
            raise ValueError("classes is empty; pass None for all 8 classes")
    base, extra = divmod(n, len(labels))
    return {label: base + (i < extra) for i, label in enumerate(labels)}


def _check_class(label) -> str:
    if label not in ALL_CLASSES:
        raise ValueError(f"unknown class {label!r}; known classes: {', '.join(ALL_CLASSES)}")
    return label


def _check_count(n, what: str) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{what} must be a non-negative integer, got {n!r}")
    if n < 0:
        raise ValueError(f"{what} must be non-negative, got {n}")
    return int(n)


def _check_range(redshift_range) -> tuple[float, float] | None:
    if redshift_range is None:
        return None
    try:
        lo, hi = (float(v) for v in redshift_range)
    except (TypeError, ValueError):
        raise ValueError(f"redshift_range must be a pair (z_min, z_max), got {redshift_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0:
        raise ValueError(f"redshift_range must be finite and non-negative, got {redshift_range!r}")
    if not lo < hi:
        raise ValueError(f"redshift_range is inverted or empty: z_min={lo} >= z_max={hi}")
    if hi > 4.0:
        raise ValueError(f"redshift_range upper end {hi} exceeds the tabulated range (z <= 4)")
    return lo, hi


def _resolve_survey(survey, cadence) -> Survey:
    name = str(survey).lower()
    if name not in SURVEYS:
        raise ValueError(f"unknown survey {survey!r}; known surveys: {', '.join(SURVEYS)}")
    if cadence is None:
        return default_survey(name)
    if isinstance(cadence, Survey):
        return cadence
    return survey_from_pointings(cadence, name)


def plan_chunks(counts: Mapping[str, int], chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[tuple[str, int, int]]:
    """Split per-class counts into ``(class, chunk_index, count)`` work items (class order of ALL_CLASSES).

    Example:
        >>> plan_chunks({"SN Ia": 5, "TDE": 2}, chunk_size=3)
        [('SN Ia', 0, 3), ('SN Ia', 1, 2), ('TDE', 0, 2)]
    """
    plan = []
    for label in ALL_CLASSES:
        count = int(counts.get(label, 0))
        for k, start in enumerate(range(0, count, chunk_size)):
            plan.append((label, k, min(chunk_size, count - start)))
    return plan


def _chunk_seed(seed: int, survey_name: str, label: str, chunk: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=(SURVEYS.index(survey_name) if survey_name in SURVEYS else 99,
                                                        ALL_CLASSES.index(label), int(chunk)))


def _run_chunk(args) -> dict:
    survey, label, chunk, count, seed, redshift_range = args[:6]
    opts = args[6] if len(args) > 6 else DEFAULT_OPTIONS
    if label in VARIABLE_CLASSES:
        return simulate_variables(survey, label, count, _chunk_seed(seed, survey.name, label, chunk))
    return simulate_class(survey, label, count, _chunk_seed(seed, survey.name, label, chunk), redshift_range, opts=opts)


def _map_chunks(tasks: list, n_jobs: int, progress=None) -> list[dict]:
    if n_jobs <= 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            out.append(_run_chunk(t))
            if progress is not None:
                progress(t)
        return out
    prepare(tasks[0][0], sorted({t[1] for t in tasks} - set(VARIABLE_CLASSES)),
            tasks[0][6] if len(tasks[0]) > 6 else DEFAULT_OPTIONS)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context(method)) as pool:
        out = []
        for t, res in zip(tasks, pool.map(_run_chunk, tasks)):
            out.append(res)
            if progress is not None:
                progress(t)
        return out


def assemble(results: list[dict], plan: list[tuple[str, int, int]], survey: Survey, id_prefix: str,
             start_index: int = 0) -> LightCurves:
    """Turn chunk results (see :func:`~astrokeras.simulation.population.simulate_class`) into LightCurves."""
    if not results or sum(r["meta"]["redshift"].size for r in results) == 0:
        return _empty(survey)
    sizes = [r["meta"]["redshift"].size for r in results]
    n_obj = int(sum(sizes))
    ids = np.array([f"{id_prefix}{i:07d}" for i in range(start_index, start_index + n_obj)], dtype=object)
    shift = np.cumsum([0] + sizes[:-1])
    obj = np.concatenate([r["obj"] + s for r, s in zip(results, shift)])
    band_names = np.array(survey.bands, dtype=object)
    band = band_names[np.concatenate([r["band_idx"] for r in results]).astype(np.int64)]
    columns = list(META_COLUMNS) + [k for k in VARIABLE_META_COLUMNS if any(k in r["meta"] for r in results)]
    meta = {k: np.concatenate([r["meta"].get(k, np.full(s, np.nan)) for r, s in zip(results, sizes)]) for k in columns}
    labels = np.concatenate([[label] * s for (label, _, _), s in zip(plan, sizes)]).astype(object)
    frame = pd.DataFrame({"survey": survey.name, "label": labels, **meta}, index=pd.Index(ids, name="object_id"))
    code = frame.pop("subtype_code").to_numpy()
    names = np.array(SUBTYPE_NAMES + ("",), dtype=object)
    frame["subtype"] = names[np.where(np.isfinite(code), code, len(SUBTYPE_NAMES)).astype(np.int64)]
    frame["field"] = frame["field"].astype(np.int64)
    frame["n_detections"] = frame["n_detections"].astype(np.int64)
    return LightCurves(ids[obj], np.concatenate([r["time_mjd"] for r in results]), band,
                       np.concatenate([r["flux"] for r in results]), np.concatenate([r["flux_err"] for r in results]),
                       metadata=frame, _trusted=True)


def _empty(survey: Survey) -> LightCurves:
    lcs = LightCurves.empty()
    cols = {"survey": pd.Series([], dtype=object), "label": pd.Series([], dtype=object)}
    for k in META_COLUMNS:
        if k == "subtype_code":
            cols["subtype"] = pd.Series([], dtype=object)
            continue
        cols[k] = pd.Series([], dtype=np.int64 if k in ("field", "n_detections") else float)
    lcs.metadata = pd.DataFrame(cols, index=pd.Index([], name="object_id", dtype=object))
    return lcs


def simulate(survey: str = "ztf", n: int | None = None, classes: Iterable[str] | Mapping[str, int] | None = None,
             seed: int = 0, redshift_range: tuple[float, float] | None = None, cadence=None,
             id_prefix: str | None = None, n_jobs: int = 1, chunk_size: int = DEFAULT_CHUNK_SIZE,
             sed: str = "templates", ia_model: str = "salt3", post_trigger_days: float = 365.0,
             peak_mag_max: float | None = None, photometry: str = "forced") -> LightCurves:
    """Simulate detected light curves of a survey.

    Args:
        survey: one of :data:`SURVEYS`: ``"ztf"`` (g, r), ``"lsst"`` (ugrizy), ``"ztf_gri"``, ``"ps1"``,
            ``"atlas"``, ``"des"``, ``"sdss"`` or ``"eros"`` (EROS-1-like B_E/R_E of the LMC).
        n: total number of light curves (split as evenly as possible over ``classes``; default
            1000). Ignored when ``classes`` is a dict (must then be None or equal the sum).
        classes: None (all 8 transient classes of :data:`CLASSES`), a list of class names, or
            ``{class: count}``; the periodic variables of :data:`VARIABLE_CLASSES` ("RR Lyrae ab",
            "RR Lyrae c", "Cepheid", "EB detached", "EB contact", "Mira", "delta Scuti"; see
            :mod:`~astrokeras.simulation.variables`) can be added. Variables cover the survey's whole
            schedule and ignore ``sed``, ``ia_model``, ``post_trigger_days`` and ``peak_mag_max``.
        seed: integer seed; the same arguments give bitwise-identical output.
        redshift_range: ``(z_min, z_max)`` for every class, instead of the class/survey defaults
            (:data:`~astrokeras.simulation.population.REDSHIFT_RANGES`).
        cadence: None (default synthetic schedule), a pointing-log DataFrame (see
            :func:`~astrokeras.simulation.surveys.survey_from_pointings`) or a ``Survey``.
        id_prefix: object-id prefix (default ``"sim_<survey>_<seed>_"``); ids are prefix + 7 digits.
        n_jobs: worker processes (results do not depend on it).
        chunk_size: objects per chunk and class.
        sed: ``"templates"`` (default: SALT3/SALT2/Hsiao SN Ia, SNANA core-collapse templates with
            published luminosity functions; needs ``$ASTROKERAS_DATA/sim_blocks``) or ``"analytic"``
            (data-free blackbody photospheres, the engine of SIMULATOR_VERSION 1). 91bg, Iax, TDE,
            SLSN-I and AGN use their own parametric models in both.
        ia_model: ``"salt3"``, ``"salt2"`` (SALT2-B21) or ``"hsiao"``.
        post_trigger_days: the light curve runs from 30 d before explosion to this many observer
            days after the trigger (default a year: whole light curves).
        peak_mag_max: BTS-like selection: keep objects whose brightest detection is brighter than
            this (ZTF BTS: 18.5; Perley et al. 2020, ApJ 904, 35). None: every detected object.
        photometry: ``"forced"`` (every visit in the window) or ``"alert"`` (S/N >= 5 detections
            only, as in alert streams; :func:`alert_view` of the forced light curves).

    Returns:
        :class:`~astrokeras.photometry.LightCurves` with metadata ``survey``, ``label``, ``redshift`` and
        the truth columns of :data:`~astrokeras.simulation.population.META_COLUMNS` (``peak_mjd``,
        ``peak_abs_mag``: rest-frame B at bolometric peak incl. SN Ia colour / AGN ``M_i``;
        ``ebv_mw``, ``ebv_host``, model parameters; NaN where not applicable).

    Raises:
        ValueError: unknown survey or class, negative/non-integer counts, a bad redshift range or
            pointing log.

    Example:
        >>> lcs = simulate("lsst", n=4, classes=["SN II", "TDE"], seed=3)
        >>> len(lcs), set(lcs.band) <= {"lsst::u", "lsst::g", "lsst::r", "lsst::i", "lsst::z", "lsst::y"}
        (4, True)
    """
    counts = _class_counts(n, classes)
    zr = _check_range(redshift_range)
    sv = _resolve_survey(survey, cadence)
    _check_count(n_jobs, "n_jobs")
    if _check_count(chunk_size, "chunk_size") == 0:
        raise ValueError("chunk_size must be positive")
    if photometry not in ("forced", "alert"):
        raise ValueError(f"photometry must be 'forced' or 'alert', got {photometry!r}")
    opts = Options(sed=sed, ia_model=ia_model, post_trigger_days=float(post_trigger_days),
                   peak_mag_max=None if peak_mag_max is None else float(peak_mag_max))
    plan = plan_chunks(counts, chunk_size)
    tasks = [(sv, label, chunk, count, seed, zr, opts) for label, chunk, count in plan]
    results = _map_chunks(tasks, max(1, n_jobs))
    prefix = f"sim_{sv.name}_{seed}_" if id_prefix is None else str(id_prefix)
    lcs = assemble(results, plan, sv, prefix)
    return alert_view(lcs) if photometry == "alert" else lcs


def alert_view(lcs: LightCurves, snr_min: float = 5.0) -> LightCurves:
    """The alert-stream view of forced photometry: only detections (``flux / flux_err >= snr_min``).

    ZTF issues alerts for 5-sigma difference-image detections (Masci et al. 2019, PASP 131, 018003);
    positive and negative detections alike, but transients' alert light curves (and the BTS
    curves) are their positive detections, which is what this keeps. Objects keep their metadata
    (and ids) even when no point survives.

    Example:
        >>> lcs = simulate("ztf", classes={"SN Ia": 2}, seed=4)
        >>> alerts = alert_view(lcs)
        >>> bool(np.all(alerts.flux / alerts.flux_err >= 5.0))
        True
    """
    keep = lcs.flux >= snr_min * lcs.flux_err
    return _select_points(lcs, keep)


def _select_points(lcs: LightCurves, keep: np.ndarray) -> LightCurves:
    return LightCurves(lcs.object_id[keep], lcs.time_mjd[keep], lcs.band[keep], lcs.flux[keep],
                       lcs.flux_err[keep], metadata=lcs.metadata.copy(), _trusted=True)


def simulate_preset(name: str, scale: float = 1.0, seed: int | None = None, n_jobs: int = 1,
                    **simulate_kwargs) -> LightCurves:
    """Simulate one of the paper's sets (see :mod:`~astrokeras.simulation.presets`); extra keyword
    arguments (``sed=``, ``ia_model=``, ``post_trigger_days=``) go to :func:`simulate`.

    Example:
        >>> lcs = simulate_preset("ztf_redshift", scale=0.002)
        >>> len(lcs)
        19
    """
    from astrokeras.simulation.presets import get_preset, preset_counts

    spec = get_preset(name)
    if spec.cadence == "bts_train_patterns":
        from astrokeras.simulation.empirical import bts_train_patterns, simulate_empirical

        return simulate_empirical(spec.survey, preset_counts(name, scale), bts_train_patterns(),
                                  seed=spec.seed if seed is None else seed, peak_mag_max=spec.peak_mag_max,
                                  id_prefix=spec.id_prefix, n_jobs=n_jobs, **simulate_kwargs)
    return simulate(spec.survey, classes=preset_counts(name, scale), seed=spec.seed if seed is None else seed,
                    id_prefix=spec.id_prefix, n_jobs=n_jobs, peak_mag_max=spec.peak_mag_max, **simulate_kwargs,
                    photometry=spec.photometry)


def default_redshift_range(survey: str, label: str) -> tuple[float, float]:
    """The default ``(z_min, z_max)`` of a class in a survey."""
    return REDSHIFT_RANGES[str(survey).lower()][_check_class(label)]


from astrokeras.simulation.views import simulate_views  # noqa: E402  (uses the helpers above)

del os
