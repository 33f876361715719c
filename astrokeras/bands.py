"""Passband registry: survey, band name and effective (pivot) wavelength.

Every band used by astrokeras has a canonical name ``"<survey>::<band>"`` (for example
``"ztf::g"``, ``"lsst::u"``, ``"eros::R"``) and a pivot wavelength in micrometres,

    lambda_pivot = sqrt( integral T(l) l dl / integral T(l) / l dl ),

computed from a real filter transmission curve shipped by a maintained package:

=============  ======================================  ================================
bands          curve                                    package
=============  ======================================  ================================
ztf g r i      ``ZTF_g``, ``ZTF_r``, ``ZTF_i``          pyphot (bundled library)
lsst ugrizy    ``lsst2023-<b>`` (total throughput)      speclite
ps1 g r i z y  ``PS1_<b>``                              pyphot
des g r i z Y  ``decam2014-<b>`` (DECam total)          speclite
sdss ugriz     ``sdss2010-<b>``                          speclite
kepler Kp      ``KEPLER_Kp``                            pyphot
bessell UBVRI  ``bessell-<B>``                          speclite
=============  ======================================  ================================

No maintained package ships the EROS-1 or ATLAS curves, so those are top-hat approximations of
the published passband edges (EROS B_E 420-720 nm and R_E 620-920 nm, Tisserand et al. 2007,
A&A 469, 387; ATLAS c 420-650 nm and o 560-820 nm, Tonry et al. 2018, PASP 130, 064505). Their
pivot wavelengths are computed from those top hats by the same formula.

The computed values are cached in ``astrokeras/data/bands.json`` so that importing astrokeras
does not load filter libraries; ``python -m astrokeras.bands`` regenerates the file and
``tests/test_bands.py`` recomputes every value from the packages and compares.

Each band also has a *family* (:func:`band_family`): the photometric system it belongs to across
surveys, so that ZTF g, LSST g, PS1 g, DES g and SDSS g are all ``"g"`` (DES ``Y`` is ``"y"``;
ATLAS ``"c"``/``"o"``; EROS ``"B_eros"``/``"R_eros"``; Johnson-Cousins ``"U"``...``"I"``; Kepler
``"Kp"``). :class:`astrokeras.tokens.Tokenizer` can write it as a band-code channel that the
encoder embeds (``Tokenizer(band_channel="family")``); :data:`BAND_FAMILIES` is its default
vocabulary. A band registered without a family has none (code 0, "unknown").

Aliases map the names users already have (``"ztfg"``, ``"R"`` in ZTF alerts, ``"lsstr"``,
``"g"`` with a survey) onto canonical names.

Example:
    >>> from astrokeras import bands
    >>> round(bands.get_band("ztf::g").wavelength_um, 3)
    0.479
    >>> bands.resolve_band("ztfr")
    'ztf::r'
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Iterable

import numpy as np

__all__ = [
    "Band",
    "UnknownBandError",
    "get_band",
    "resolve_band",
    "resolve_bands",
    "register_band",
    "known_bands",
    "band_index",
    "band_wavelengths_um",
    "pivot_wavelength_um",
    "BAND_FAMILIES",
    "band_family",
]

_CACHE_FILE = os.path.join(os.path.dirname(__file__), "data", "bands.json")


class UnknownBandError(KeyError, ValueError):
    """A band name that is neither canonical nor a known alias."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True)
class Band:
    """One passband.

    Args:
        name: canonical name ``"<survey>::<band>"``.
        survey: survey or instrument family, e.g. ``"ztf"``.
        wavelength_um: pivot wavelength in micrometres.
        source: where the transmission curve came from.
        family: photometric family shared across surveys (``"g"`` for ZTF/LSST/PS1 g), or ``None``.
    """

    name: str
    survey: str
    wavelength_um: float
    source: str
    family: str | None = None


# (canonical name) -> (package, curve id); how the cache is (re)computed.
_CURVES: dict[str, tuple[str, str]] = {
    **{f"ztf::{b}": ("pyphot", f"ZTF_{b}") for b in "gri"},
    **{f"lsst::{b}": ("speclite", f"lsst2023-{b}") for b in "ugrizy"},
    **{f"ps1::{b}": ("pyphot", f"PS1_{b}") for b in "grizy"},
    "kepler::Kp": ("pyphot", "KEPLER_Kp"),
    **{f"bessell::{b}": ("speclite", f"bessell-{b}") for b in "UBVRI"},
    "eros::B": ("tophat", "420-720"),
    "eros::R": ("tophat", "620-920"),
    "atlas::c": ("tophat", "420-650"),
    "atlas::o": ("tophat", "560-820"),
    **{f"des::{b}": ("speclite", f"decam2014-{b}") for b in "grizY"},
    **{f"sdss::{b}": ("speclite", f"sdss2010-{b}") for b in "ugriz"},
}

#: Default vocabulary of band families (the order fixes the codes of ``Tokenizer(band_channel="family")``;
#: code 0 is "no family / not in the vocabulary").
BAND_FAMILIES: tuple[str, ...] = ("u", "g", "r", "i", "z", "y", "c", "o", "B_eros", "R_eros",
                                  "U", "B", "V", "R", "I", "Kp")


def _default_family(name: str) -> str | None:
    """Family of a shipped band: SDSS-like ugrizy share their letter across surveys."""
    survey, band = name.split("::")
    if survey in ("ztf", "lsst", "ps1", "des", "sdss") and band.lower() in "ugrizy":
        return band.lower()
    return {"atlas": band, "eros": f"{band}_eros", "bessell": band, "kepler": band}.get(survey)


_SOURCE_TEXT = {
    "pyphot": "pyphot bundled filter library, curve {curve}",
    "speclite": "speclite filter {curve}",
    "tophat": "top-hat {curve} nm (published passband edges; no package ships this curve)",
}

_REGISTRY: dict[str, Band] = {}
_ORDER: list[str] = []  # registration order defines stable integer band codes
_ALIASES: dict[str, str] = {}


def pivot_wavelength_um(wavelength_angstrom: np.ndarray, transmission: np.ndarray) -> float:
    """Pivot wavelength (micrometres) of a transmission curve sampled in Angstrom.

    Example:
        >>> w = np.linspace(4000.0, 5000.0, 1001)
        >>> round(pivot_wavelength_um(w, np.ones_like(w)), 4)
        0.4491
    """
    w = np.asarray(wavelength_angstrom, dtype=float)
    t = np.clip(np.asarray(transmission, dtype=float), 0.0, None)
    if w.ndim != 1 or w.shape != t.shape or w.size < 2 or not np.all(np.isfinite(w)):
        raise ValueError("pivot_wavelength_um needs two finite 1-d arrays of equal length >= 2")
    numerator = np.trapezoid(t * w, w)
    denominator = np.trapezoid(t / w, w)
    if not denominator > 0:
        raise ValueError("transmission curve is zero everywhere")
    return float(np.sqrt(numerator / denominator) / 1e4)


def load_transmission(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Wavelength (Angstrom) and transmission of a registered band's source curve.

    Used by the simulator for synthetic photometry and by the cache regeneration.
    """
    if name not in _CURVES:
        name = resolve_band(name)
    if name not in _CURVES:
        raise UnknownBandError(f"band {name!r} was registered by hand and has no stored curve")
    package, curve = _CURVES[name]
    if package == "pyphot":
        f = _pyphot_library()[curve]
        return (
            np.asarray(f.wavelength.to("Angstrom").value, dtype=float),
            np.asarray(f.transmit, dtype=float),
        )
    if package == "speclite":
        import speclite.filters

        f = speclite.filters.load_filter(curve)
        return np.asarray(f.wavelength, dtype=float), np.asarray(f.response, dtype=float)
    lo, hi = (float(x) * 10.0 for x in curve.split("-"))
    w = np.linspace(lo - 50.0, hi + 50.0, 2001)
    return w, ((w >= lo) & (w <= hi)).astype(float)


_PYPHOT_LIBRARY = None


def _pyphot_library():
    global _PYPHOT_LIBRARY
    if _PYPHOT_LIBRARY is None:
        from pyphot import get_library

        _PYPHOT_LIBRARY = get_library()
    return _PYPHOT_LIBRARY


def compute_band_table() -> dict[str, dict]:
    """Recompute every stored band's pivot wavelength from its source curve."""
    table = {}
    for name, (package, curve) in _CURVES.items():
        w, t = load_transmission(name)
        table[name] = {
            "wavelength_um": round(pivot_wavelength_um(w, t), 6),
            "source": _SOURCE_TEXT[package].format(curve=curve),
        }
    return table


def _default_aliases() -> dict[str, str]:
    aliases = {}
    for name in _CURVES:
        survey, band = name.split("::")
        aliases[f"{survey}{band}".lower()] = name  # sncosmo style: ztfg, lsstu, ps1g, keplerkp
        aliases[f"{survey}_{band}".lower()] = name
        aliases[f"{survey}-{band}".lower()] = name
    aliases.update({"ztf::R": "ztf::r", "ztf::G": "ztf::g", "kepler": "kepler::Kp", "kp": "kepler::Kp"})
    # ANTARES/ZTF alerts write r as "R"; EROS light curves use B/R; sncosmo Bessell names.
    aliases.update({f"bessell{b.lower()}": f"bessell::{b}" for b in "UBVRI"})
    aliases.update({"eros_b": "eros::B", "eros_r": "eros::R", "erosb": "eros::B", "erosr": "eros::R"})
    return aliases


def _load_registry() -> None:
    if os.path.exists(_CACHE_FILE):
        with open(_CACHE_FILE) as fh:
            table = json.load(fh)
    else:  # first build of the cache: compute from the filter packages
        table = compute_band_table()
    for name, row in table.items():
        register_band(name, row["wavelength_um"], source=row["source"], family=_default_family(name))
    _ALIASES.update(_default_aliases())


def register_band(name: str, wavelength_um: float, source: str = "user", aliases: Iterable[str] = (),
                  family: str | None = None) -> Band:
    """Add a band (or more aliases for one) to the registry.

    Args:
        name: canonical ``"<survey>::<band>"`` name.
        wavelength_um: pivot wavelength in micrometres (0.1-30).
        source: a sentence saying where the value came from.
        aliases: other names that should resolve to this band.
        family: photometric family shared with other surveys' bands (e.g. ``"g"``), or ``None``
            (see :func:`band_family`).

    Returns:
        The registered :class:`Band`.

    Example:
        >>> b = register_band("goto::L", 0.54, source="GOTO L, approximate", aliases=["gotol"])
        >>> resolve_band("gotol")
        'goto::L'
    """
    if "::" not in name or name.count("::") != 1 or not all(name.split("::")):
        raise ValueError(f"band name {name!r} must look like '<survey>::<band>', e.g. 'ztf::g'")
    wavelength_um = float(wavelength_um)
    if not 0.1 <= wavelength_um <= 30.0:
        raise ValueError(f"band {name!r}: wavelength_um={wavelength_um} is outside 0.1-30 micrometres")
    existing = _REGISTRY.get(name)
    if existing is not None and abs(existing.wavelength_um - wavelength_um) > 1e-9:
        raise ValueError(
            f"band {name!r} is already registered with wavelength {existing.wavelength_um} um"
        )
    if existing is not None and family is None:
        family = existing.family  # re-registering to add aliases keeps the family
    band = Band(name=name, survey=name.split("::")[0], wavelength_um=wavelength_um, source=source,
                family=None if family is None else str(family))
    if existing is None:
        _ORDER.append(name)
    _REGISTRY[name] = band
    _WAVELENGTHS.clear()  # the code -> wavelength table changes with the registry
    for alias in aliases:
        _ALIASES[alias] = name
        _ALIASES[alias.lower()] = name
    return band


def known_bands() -> list[str]:
    """Canonical names of all registered bands, in registration (code) order."""
    return list(_ORDER)


def _match_in_survey(survey: str, band: str) -> str | None:
    """Canonical ``survey::band`` for a band of ``survey``: exact name first, then case-insensitive
    when that is unambiguous (``lsst::R`` -> ``lsst::r``; ``eros::r`` -> ``eros::R``)."""
    survey = survey.strip().lower()
    band = band.strip()
    exact = f"{survey}::{band}"
    if exact in _REGISTRY:
        return exact
    matches = [n for n in _ORDER if n.lower() == exact.lower()]
    if len(matches) == 1:
        return matches[0]
    alias = _ALIASES.get(exact) or _ALIASES.get(exact.lower())
    return alias


def _surveys_with_band(band: str) -> list[str]:
    band = band.strip().lower()
    found = {n.split("::")[0] for n in _ORDER if n.split("::")[1].lower() == band}
    preferred = [s for s in ("ztf", "lsst") if s in found]  # this package's surveys first
    return preferred + sorted(found - set(preferred))


def resolve_band(name: str, survey: str | None = None) -> str:
    """Canonical band name for ``name`` (canonical, alias, or a bare band with ``survey``).

    Survey prefixes and band names match case-insensitively where that is unambiguous:
    ``"ZTF::g"``, ``"LSST::r"``, ``"lsst::R"`` and ``"ztf::G"`` all resolve. A bare band name
    (``"g"``) needs ``survey``; without it the error says which surveys have that band.

    Raises:
        UnknownBandError: naming the band and the fix (a survey to pass, or the known bands).

    Example:
        >>> resolve_band("LSST::R"), resolve_band("g", survey="ZTF")
        ('lsst::r', 'ztf::g')
    """
    key = str(name).strip()
    if key in _REGISTRY:
        return key
    if "::" in key:
        prefix, _, band = key.partition("::")
        found = _match_in_survey(prefix, band)
        if found is not None:
            return found
    if survey is not None and str(survey).strip():
        found = _match_in_survey(str(survey), key)
        if found is not None:
            return found
    for k in (key, key.lower()):
        if k in _ALIASES:
            return _ALIASES[k]
    where = f" for survey {survey!r}" if survey else ""
    hint = "Register a new one with astrokeras.bands.register_band()."
    candidates = _surveys_with_band(key) if "::" not in key else []
    if candidates and not survey:
        hint = (f"A bare band name needs a survey: {key!r} exists in {', '.join(candidates)}; pass "
                f"survey={candidates[0]!r} (to LightCurves.from_table, or a 'survey' metadata column), "
                f"or write it as {candidates[0] + '::' + key!r}.")
    elif candidates:
        hint = (f"{key!r} exists in {', '.join(candidates)}, not in survey {survey!r}. " + hint)
    raise UnknownBandError(f"unknown band {str(name)!r}{where}. {hint} Known bands: {', '.join(_ORDER)}.")


def resolve_bands(names: Iterable, survey: str | None = None) -> np.ndarray:
    """Vectorised :func:`resolve_band`: resolves each distinct name once (hashed, not sorted)."""
    import pandas as pd

    arr = np.asarray(list(names) if not isinstance(names, np.ndarray) else names, dtype=object)
    if arr.size == 0:
        return arr.astype(object)
    codes, uniques = pd.factorize(arr.ravel(), use_na_sentinel=False)  # None/NaN resolve as 'None'/'nan'
    resolved = np.array([resolve_band(str(u), survey) for u in np.asarray(uniques, dtype=object)], dtype=object)
    return resolved[codes].reshape(arr.shape)


def get_band(name: str) -> Band:
    """The :class:`Band` for a canonical name or alias."""
    return _REGISTRY[resolve_band(name)]


def band_index(names: Iterable) -> np.ndarray:
    """Stable integer codes (registration order) for canonical band names."""
    import pandas as pd

    lookup = {n: i for i, n in enumerate(_ORDER)}
    arr = np.asarray(names, dtype=object)
    codes, uniques = pd.factorize(arr.ravel())  # hash each distinct name once, not every row
    try:
        mapped = np.array([lookup[n] for n in uniques], dtype=np.int16)
    except KeyError as err:
        resolve_band(err.args[0])  # raises the informative error
        raise
    return mapped[codes].reshape(arr.shape) if arr.size else np.zeros(arr.shape, dtype=np.int16)


def band_family(name: str) -> str | None:
    """The photometric family of a band (canonical name or alias), ``None`` when it has none.

    Example:
        >>> band_family("ztf::g"), band_family("lsst::g"), band_family("des::Y"), band_family("eros::R")
        ('g', 'g', 'y', 'R_eros')
    """
    return _REGISTRY[resolve_band(name)].family


_WAVELENGTHS: list[np.ndarray] = []  # cache of band_wavelengths_um() (tokenizers call it per batch / alert)


def band_wavelengths_um() -> np.ndarray:
    """Pivot wavelength (um) of every registered band, indexed by :func:`band_index` code (read-only;
    rebuilt after :func:`register_band`)."""
    if not _WAVELENGTHS:
        table = np.array([_REGISTRY[n].wavelength_um for n in _ORDER], dtype=np.float32)
        table.flags.writeable = False
        _WAVELENGTHS.append(table)
    return _WAVELENGTHS[0]


_load_registry()


if __name__ == "__main__":  # regenerate the cached table from the filter packages
    table = compute_band_table()
    with open(_CACHE_FILE, "w") as fh:
        json.dump(table, fh, indent=1, sort_keys=False)
        fh.write("\n")
    for name, row in table.items():
        print(f"{name:14s} {row['wavelength_um']:.4f} um  {row['source']}")
