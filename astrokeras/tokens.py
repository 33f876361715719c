"""Light curves -> survey-agnostic tokens ``[wavelength, time, flux(, flux error)]``.

Each observation becomes one token (Gupta et al. 2025, Sec. 2.1):

* ``wavelength``: pivot wavelength of the band in micrometres (:mod:`astrokeras.bands`), so
  any survey's bands share one axis;
* ``time``: observer-frame days since the object's first kept observation, divided by
  ``time_scale_days`` (100 by default). Time is **never** divided by (1 + z): that would leak the
  redshift into a redshift task;
* ``flux``: by default ``asinh(flux / flux_scale)`` on the one FLUXCAL scale shared by every
  survey (AB zero point 27.5). This keeps absolute brightness, which carries redshift information,
  behaves like a magnitude for bright points and stays finite and linear for faint or negative
  (forced-photometry) fluxes. ``normalization="per_object"`` divides by each object's largest
  |flux| instead (the older practice; it discards brightness);
* optional 4th channel ``flux_err``, transformed consistently (the asinh derivative:
  ``flux_err / sqrt(flux_scale**2 + flux**2)``; per-object: divided by the same maximum).

Curves longer than ``max_length`` keep the ``max_length`` consecutive observations centred on
the brightest point (``window="peak"``), or the first / last ``max_length`` (``"first"``,
``"last"``). The count of truncated curves is reported (``TokenizedLightCurves.n_truncated``,
and :func:`astrokeras.downstream.embed` warns with :class:`TruncationWarning`).

Example:
    >>> from astrokeras.photometry import LightCurves
    >>> from astrokeras.tokens import Tokenizer
    >>> lcs = LightCurves(["a", "a"], [100.0, 110.0], ["ztf::g", "ztf::r"], [10.0, 20.0], [1.0, 1.0])
    >>> tok = Tokenizer().tokenize(lcs)
    >>> tok.values.shape, tok.values[:, 1].tolist()
    ((2, 3), [0.0, 0.10000000149011612])
"""

from __future__ import annotations

import dataclasses

import numpy as np

from astrokeras import bands as _bands
from astrokeras.photometry import LightCurveError, LightCurves

__all__ = ["Tokenizer", "TokenizedLightCurves", "TruncationWarning"]


class TruncationWarning(UserWarning):
    """Some light curves were longer than ``Tokenizer.max_length`` and were windowed.

    The message states how many, the limit and which window was kept; silence it with
    ``warnings.simplefilter("ignore", TruncationWarning)`` once the windowing is intended.
    """


@dataclasses.dataclass
class TokenizedLightCurves:
    """Tokens of a set of light curves, stored flat.

    Attributes:
        values: float32 array ``(n_tokens, n_features)``.
        offsets: int64 array ``(n_objects + 1,)``; object ``i`` is ``values[offsets[i]:offsets[i+1]]``.
        object_ids: ids aligned with the objects.
        n_truncated: how many curves were cut to ``max_length``.
        max_length: the tokenizer's ``max_length`` (``None`` when unknown).
        window: the tokenizer's ``window`` (``None`` when unknown).
    """

    values: np.ndarray
    offsets: np.ndarray
    object_ids: np.ndarray
    n_truncated: int = 0
    max_length: int | None = None
    window: str | None = None

    def truncation_message(self) -> str | None:
        """A sentence saying how many curves were windowed, or ``None`` when none was."""
        if not self.n_truncated:
            return None
        limit = f" max_length={self.max_length} tokens" if self.max_length else " the tokenizer's max_length"
        kept = {"peak": "the observations centred on the brightest point", "first": "the first observations",
                "last": "the last observations"}.get(self.window, "a window of observations")
        return (f"{self.n_truncated} of {len(self)} light curves are longer than{limit}; kept {kept} "
                f"(window={self.window!r}). Pass Tokenizer(max_length=..., window=...) to change this.")

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_features(self) -> int:
        return int(self.values.shape[1])

    def padded(self, max_length: int | None = None) -> dict[str, np.ndarray]:
        """Right-padded ``{"values": (N, T, F), "mask": (N, T)}`` numpy arrays (zeros where masked)."""
        lengths = self.lengths
        T = int(max_length or (lengths.max() if len(lengths) else 1))
        if len(lengths) and lengths.max() > T:
            raise ValueError(f"max_length={T} is shorter than the longest curve ({lengths.max()})")
        n = len(self)
        values = np.zeros((n, T, self.n_features), dtype=np.float32)
        mask = np.arange(T)[None, :] < lengths[:, None]
        values[mask] = self.values
        return {"values": values, "mask": mask}


@dataclasses.dataclass(frozen=True)
class Tokenizer:
    """Turns :class:`~astrokeras.photometry.LightCurves` into tokens (see module docstring).

    Args:
        include_flux_err: add the flux error as a 4th channel.
        normalization: ``"absolute"`` (asinh on the shared FLUXCAL scale; default) or
            ``"per_object"`` (divide by each object's max |flux|).
        flux_scale: softening of the asinh, FLUXCAL units (10 is m_AB = 25).
        time_scale_days: time unit of the time channel, days.
        max_length: longest token sequence kept (256 covers ~99% of ZTF/LSST transients).
        window: which ``max_length`` observations of a longer curve to keep:
            ``"peak"``, ``"first"`` or ``"last"``.
    """

    include_flux_err: bool = False
    normalization: str = "absolute"
    flux_scale: float = 10.0
    time_scale_days: float = 100.0
    max_length: int = 256
    window: str = "peak"

    def __post_init__(self):
        if self.normalization not in ("absolute", "per_object"):
            raise ValueError(f"normalization must be 'absolute' or 'per_object', got {self.normalization!r}")
        if self.window not in ("peak", "first", "last"):
            raise ValueError(f"window must be 'peak', 'first' or 'last', got {self.window!r}")
        if not self.flux_scale > 0 or not self.time_scale_days > 0 or int(self.max_length) < 1:
            raise ValueError("flux_scale and time_scale_days must be > 0 and max_length >= 1")

    @property
    def n_features(self) -> int:
        return 4 if self.include_flux_err else 3

    def get_config(self) -> dict:
        return dataclasses.asdict(self)

    def check_observations(self, lcs: LightCurves) -> None:
        """Raise :class:`LightCurveError` naming the first object with a non-finite time or flux (or,
        when flux errors are a channel, a non-finite or non-positive error)."""
        bad = ~(np.isfinite(lcs.flux) & np.isfinite(lcs.time_mjd)
                & (np.isfinite(lcs.flux_err) & (lcs.flux_err > 0) if self.include_flux_err else True))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LightCurveError(
                f"object {lcs.object_id[i]!r}: non-finite time/flux{'/flux_err' if self.include_flux_err else ''}"
                f" or flux_err <= 0 ({int(bad.sum())} observations); call LightCurves.validate() to repair")

    def tokenize(self, light_curves: LightCurves) -> TokenizedLightCurves:
        """Tokens for every object. Raises :class:`LightCurveError` on empty curves or bad values.

        Run :meth:`LightCurves.validate` first on untrusted data: it repairs NaNs, bad errors
        and duplicates and removes empty objects, with a report.
        """
        lcs = light_curves
        lengths = lcs.lengths
        if (lengths == 0).any():
            raise LightCurveError(
                f"object {lcs.object_ids[np.flatnonzero(lengths == 0)[0]]!r} has no observation; "
                "call LightCurves.validate() to remove empty objects")
        self.check_observations(lcs)

        rows, new_lengths, n_truncated = self._window_rows(lcs)
        new_offsets = np.r_[0, np.cumsum(new_lengths)].astype(np.int64)
        obj_index = np.repeat(np.arange(len(lcs)), new_lengths)

        time = lcs.time_mjd[rows]
        t0 = time[new_offsets[:-1]] if len(lcs) else np.zeros(0)
        rel_time = (time - t0[obj_index]) / self.time_scale_days
        flux = lcs.flux[rows]
        flux_err = lcs.flux_err[rows]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked below
            if self.normalization == "absolute":
                f_tok = np.arcsinh(flux / self.flux_scale)
                e_tok = flux_err / np.hypot(self.flux_scale, flux)
            else:
                # divide by the object's largest |flux|, floored at its smallest positive error so a
                # curve that is all noise (or all zeros) is scaled to its noise, not blown up
                first = new_offsets[:-1]
                peak = np.maximum.reduceat(np.abs(flux), first) if len(lcs) else np.zeros(0)
                pos_err = np.where(flux_err > 0, flux_err, np.inf)
                floor = np.minimum.reduceat(pos_err, first) if len(lcs) else np.zeros(0)
                peak = np.maximum(peak, np.where(np.isfinite(floor), floor, 0.0))
                peak = np.where(peak > 0, peak, 1.0)[obj_index]
                f_tok = flux / peak
                e_tok = flux_err / peak
            wavelength = _bands.band_wavelengths_um()[lcs.band_code[rows]]
            channels = [wavelength, rel_time, f_tok] + ([e_tok] if self.include_flux_err else [])
            values = np.stack(channels, axis=1).astype(np.float32) if len(rows) else np.zeros(
                (0, self.n_features), np.float32)
        if not np.isfinite(values).all():  # e.g. a time span of 1e308 days
            i = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            raise LightCurveError(f"object {lcs.object_ids[obj_index[i]]!r}: token overflows float32 "
                                  "(absurd time or flux value)")
        return TokenizedLightCurves(values=values, offsets=new_offsets, object_ids=lcs.object_ids,
                                    n_truncated=n_truncated, max_length=int(self.max_length), window=self.window)

    def _window_rows(self, lcs: LightCurves):
        lengths = lcs.lengths
        starts = lcs.offsets[:-1]
        L = int(self.max_length)
        long = np.flatnonzero(lengths > L)
        keep_start = starts.copy()
        new_lengths = np.minimum(lengths, L)
        for i in long:  # only the few over-long curves; not the hot path
            s, n = starts[i], lengths[i]
            if self.window == "first":
                off = 0
            elif self.window == "last":
                off = n - L
            else:
                peak = int(np.argmax(lcs.flux[s:s + n]))
                off = int(np.clip(peak - L // 2, 0, n - L))
            keep_start[i] = s + off
        total = int(new_lengths.sum())
        rows = np.repeat(keep_start - np.r_[0, np.cumsum(new_lengths)[:-1]], new_lengths) + np.arange(total)
        return rows.astype(np.int64), new_lengths, int(long.size)
