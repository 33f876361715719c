"""The same simulated objects seen by several surveys, band subsets and thinned cadences.

A *view* is a string:

* ``"ztf"``, ``"lsst"``, ``"ps1"``, ``"atlas"``, ``"des"``, ``"sdss"``, ``"ztf_gri"``: a survey
  (:data:`~astrokeras.simulation.surveys.SURVEYS`);
* ``"lsst:gri"``: a band subset of a survey (characters after ``:`` are band names);
* ``"ztf@0.5"``: a cadence-thinned survey keeping each visit with probability 0.5 (fixed per visit).

The first view is the *primary*: objects are drawn and kept when the primary detects them (two S/N >= 5
points, and the optional ``peak_mag_max`` selection), exactly as :func:`~astrokeras.simulation.simulate`.
Every other view observes the *same* objects - same parameters, redshift, explosion time, Milky-Way
and host dust, and sky position (one field per object, see
:func:`~astrokeras.simulation.population.shared_draw`) - over the same window, with its own noise;
views of the primary's own survey (band subsets, thinning) are exact subsets of the primary's
photometry. All synthetic schedules of one call share the primary's start epoch, so the objects
explode at the same MJD in every view. Objects keep their key (``object_key`` in the metadata, and
the same object id) in every view, even where a view has no point (those are absent from that view).
"""

from __future__ import annotations

import numpy as np

from astrokeras.photometry import LightCurves
from astrokeras.simulation.surveys import SURVEYS, Survey, default_survey


def parse_view(spec: str) -> tuple[str, tuple[str, ...] | None, float | None]:
    """``"lsst:gr@0.5"`` -> ``("lsst", ("g", "r"), 0.5)``.

    Example:
        >>> parse_view("ztf@0.25"), parse_view("lsst:gri")
        (('ztf', None, 0.25), ('lsst', ('g', 'r', 'i'), None))
    """
    s = str(spec).strip()
    frac = None
    if "@" in s:
        s, f = s.split("@", 1)
        try:
            frac = float(f)
        except ValueError:
            raise ValueError(f"view {spec!r}: cadence fraction after '@' must be a number") from None
        if not 0.0 < frac <= 1.0:
            raise ValueError(f"view {spec!r}: cadence fraction must be in (0, 1], got {frac}")
    name, bands = (s.split(":", 1) + [None])[:2] if ":" in s else (s, None)
    name = name.lower()
    if name not in SURVEYS:
        raise ValueError(f"view {spec!r}: unknown survey {name!r}; known surveys: {', '.join(SURVEYS)}")
    if bands is not None:
        if not bands:
            raise ValueError(f"view {spec!r}: empty band list after ':'")
        bands = tuple(bands)
    return name, bands, frac


def _band_mask(lcs_band: np.ndarray, survey_bands: tuple[str, ...], bands, view: str) -> np.ndarray:
    if bands is None:
        return np.ones(lcs_band.size, bool)
    known = {b.split("::")[1]: b for b in survey_bands}
    missing = [b for b in bands if b not in known]
    if missing:
        raise ValueError(f"view {view!r}: bands {missing} are not in {', '.join(known)}")
    return np.isin(lcs_band, [known[b] for b in bands])


def _thin_mask(time_mjd: np.ndarray, frac: float | None, seed: int) -> np.ndarray:
    """Keep a visit with probability ``frac``, fixed per visit time (all objects of a field agree)."""
    if frac is None:
        return np.ones(time_mjd.size, bool)
    key = np.round(time_mjd * 86400.0).astype(np.int64)
    u = (np.random.default_rng(seed).integers(1, 2**61 - 1) * (key ^ 0x5DEECE66D)) % 2**31 / 2**31
    return u < frac


def simulate_views(views=("ztf", "lsst"), n: int | None = None, classes=None, seed: int = 0,
                   redshift_range=None, id_prefix: str | None = None, sed: str = "templates",
                   ia_model: str = "salt3", post_trigger_days: float = 365.0,
                   peak_mag_max: float | None = None, photometry: str = "forced") -> dict[str, LightCurves]:
    """Simulate the same objects through several views (surveys, band subsets, thinned cadences).

    Args:
        views: view strings (see the module docstring); the first is the primary (detection).
        n, classes, seed, redshift_range, id_prefix, sed, ia_model, post_trigger_days, peak_mag_max,
            photometry: as in :func:`~astrokeras.simulation.simulate` (the transient classes only).

    Returns:
        ``{view: LightCurves}`` in the order given; metadata has ``object_key`` (shared across views),
        ``view`` and the primary's truth columns.

    Raises:
        ValueError: bad view strings, duplicate views, AGN requested, or the arguments
            :func:`~astrokeras.simulation.simulate` rejects.

    Example:
        >>> out = simulate_views(["ztf", "lsst", "ztf:g"], classes={"SN Ia": 3}, seed=1)
        >>> sorted(out), len(out["ztf"])
        (['lsst', 'ztf', 'ztf:g'], 3)
        >>> set(out["ztf:g"].band) <= {"ztf::g"}
        True
    """
    from astrokeras import simulation as S
    from astrokeras.simulation.population import Options, simulate_class

    views = [str(v) for v in ([views] if isinstance(views, str) else views)]
    if not views:
        raise ValueError("views is empty")
    if len(set(views)) != len(views):
        raise ValueError(f"views lists a view twice: {views}")
    parsed = [parse_view(v) for v in views]
    counts = S._class_counts(n, classes)
    if "AGN" in counts and counts["AGN"]:
        raise ValueError("simulate_views supports the transient classes (not AGN)")
    variables = [c for c in counts if counts[c] and c in S.VARIABLE_CLASSES]
    if variables:
        raise ValueError(f"simulate_views supports the transient classes, not the periodic variables {variables}")
    zr = S._check_range(redshift_range)
    if photometry not in ("forced", "alert"):
        raise ValueError(f"photometry must be 'forced' or 'alert', got {photometry!r}")
    opts = Options(sed=sed, ia_model=ia_model, post_trigger_days=float(post_trigger_days),
                   peak_mag_max=None if peak_mag_max is None else float(peak_mag_max))
    name0, bands0, frac0 = parsed[0]
    if bands0 is not None or frac0 is not None:
        raise ValueError(f"the primary view {views[0]!r} must be a whole survey (no ':' or '@')")
    primary = default_survey(name0)
    others: list[str] = []  # other surveys, observed with the shared draw
    for name, _, _ in parsed[1:]:
        if name != name0 and name not in others:
            others.append(name)
    extra = tuple(default_survey(name, start_mjd=primary.t_start) for name in others)
    plan = S.plan_chunks(counts, S.DEFAULT_CHUNK_SIZE)
    results = [simulate_class(primary, label, count, S._chunk_seed(seed, primary.name, label, chunk), zr,
                              opts=opts, extra_surveys=extra) for label, chunk, count in plan]
    prefix = f"sim_views_{seed}_" if id_prefix is None else str(id_prefix)
    base = S.assemble(results, plan, primary, prefix)
    out: dict[str, LightCurves] = {}
    for view, (name, bands, frac) in zip(views, parsed):
        if name == name0:
            lcs = base
            survey = primary
        else:
            j = others.index(name)
            vres = []
            for r in results:
                v = dict(r["views"][j])
                v["meta"] = r["meta"]  # the primary's truth columns
                vres.append(v)
            survey = extra[j]
            lcs = S.assemble(vres, plan, survey, prefix)
        keep = _band_mask(lcs.band, survey.bands, bands, view) & _thin_mask(lcs.time_mjd, frac, seed)
        if photometry == "alert":
            keep &= lcs.flux >= 5.0 * lcs.flux_err
        lcs = S._select_points(lcs, keep) if not keep.all() else lcs
        meta = lcs.metadata.copy()
        meta["survey"] = name
        meta["view"] = view
        meta["object_key"] = meta.index.to_numpy()
        lcs.metadata = meta
        out[view] = lcs
    return out


del Survey
