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
  ``flux_err / sqrt(flux_scale**2 + flux**2)``; per-object: divided by the same maximum);
* optional last channel ``band_code`` (``band_channel``, off by default): an integer code of the
  band, stored as a float, that :class:`astrokeras.models.GRUEncoder` (``n_band_codes=``) turns
  into a learned embedding next to the wavelength. ``band_channel="family"`` keys it by the
  band's family across surveys (:func:`astrokeras.bands.band_family`: ZTF g and LSST g share
  code 2 of the default vocabulary :data:`astrokeras.bands.BAND_FAMILIES`); ``"wavelength_bins"``
  by the bin of the pivot wavelength (``band_vocabulary`` = bin edges in um). Code 0 means
  "unknown" (a band with no family in the vocabulary): the encoder gives it a zero embedding, so
  an unseen band is read from its wavelength alone. The vocabulary is written into
  :meth:`Tokenizer.get_config`, so it travels with the model and its sidecar.

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

__all__ = ["Tokenizer", "TokenizedLightCurves", "TruncationWarning", "WAVELENGTH_BIN_EDGES_UM", "FLUX_ERR_TOKEN_CAP"]

#: Default bin edges (um) of ``Tokenizer(band_channel="wavelength_bins")``: u | g, B | c, V, EROS B |
#: r, o, Kp | i, EROS R | z | y, so the SDSS-like bands of every survey fall in one bin each.
WAVELENGTH_BIN_EDGES_UM: tuple[float, ...] = (0.42, 0.52, 0.58, 0.70, 0.82, 0.93)
#: the largest value of the flux-error channel (``include_flux_err=True``): an error 10^4 times the
#: curve's scale carries no flux information, and the cap keeps absurd but valid errors (1e-300 next
#: to 1, or 1e300) finite in float32 instead of failing the whole object; real and simulated curves
#: stay far below it (BTS: at most ~2,200 with the default tokenizer)
FLUX_ERR_TOKEN_CAP: float = 1e4


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
        include_flux_err: add the flux error as a 4th channel (relative to the flux scale, capped at
            :data:`FLUX_ERR_TOKEN_CAP`).
        normalization: ``"absolute"`` (asinh on the shared FLUXCAL scale; default) or
            ``"per_object"`` (divide by each object's max |flux|).
        flux_scale: softening of the asinh, FLUXCAL units (10 is m_AB = 25).
        time_scale_days: time unit of the time channel, days.
        max_length: longest token sequence kept (256 covers ~99% of ZTF/LSST transients).
        window: which ``max_length`` observations of a longer curve to keep:
            ``"peak"``, ``"first"`` or ``"last"``.
        band_channel: ``None`` (default: no band channel), ``"family"`` or ``"wavelength_bins"``:
            add a last channel with an integer band code (see module docstring).
        band_vocabulary: for ``"family"`` the family names (code = 1 + position; default
            :data:`~astrokeras.bands.BAND_FAMILIES`), for ``"wavelength_bins"`` increasing bin
            edges in um (code = 1 + bin; default :data:`WAVELENGTH_BIN_EDGES_UM`).

    Example:
        >>> tok = Tokenizer(band_channel="family")
        >>> tok.n_features, tok.n_band_codes, tok.band_codes(["ztf::g", "lsst::g", "lsst::u"]).tolist()
        (4, 17, [2, 2, 1])
    """

    include_flux_err: bool = False
    normalization: str = "absolute"
    flux_scale: float = 10.0
    time_scale_days: float = 100.0
    max_length: int = 256
    window: str = "peak"
    band_channel: str | None = None
    band_vocabulary: tuple = ()

    def __post_init__(self):
        self._check_band_settings()
        if self.normalization not in ("absolute", "per_object"):
            raise ValueError(f"normalization must be 'absolute' or 'per_object', got {self.normalization!r}")
        if self.window not in ("peak", "first", "last"):
            raise ValueError(f"window must be 'peak', 'first' or 'last', got {self.window!r}")
        if not self.flux_scale > 0 or not self.time_scale_days > 0 or int(self.max_length) < 1:
            raise ValueError("flux_scale and time_scale_days must be > 0 and max_length >= 1")

    def _check_band_settings(self) -> None:
        vocab = tuple(self.band_vocabulary or ())
        if self.band_channel is None:
            if vocab:
                raise ValueError("Tokenizer: band_vocabulary is set but band_channel is None; "
                                 "pass band_channel='family' or 'wavelength_bins'")
        elif self.band_channel == "family":
            vocab = vocab or _bands.BAND_FAMILIES
            if not all(isinstance(v, str) and v for v in vocab) or len(set(vocab)) != len(vocab):
                raise ValueError(f"Tokenizer: band_vocabulary for band_channel='family' must be distinct "
                                 f"non-empty family names, got {list(vocab)}")
        elif self.band_channel == "wavelength_bins":
            try:
                vocab = tuple(float(v) for v in (vocab or WAVELENGTH_BIN_EDGES_UM))
            except (TypeError, ValueError):
                raise ValueError(f"Tokenizer: band_vocabulary for band_channel='wavelength_bins' must be "
                                 f"bin edges in um, got {list(vocab)}") from None
            if not (all(0.1 <= v <= 30.0 for v in vocab) and all(b > a for a, b in zip(vocab, vocab[1:]))):
                raise ValueError(f"Tokenizer: wavelength bin edges must increase strictly within 0.1-30 um, "
                                 f"got {list(vocab)}")
        else:
            raise ValueError(f"Tokenizer: band_channel must be None, 'family' or 'wavelength_bins', "
                             f"got {self.band_channel!r}")
        object.__setattr__(self, "band_vocabulary", vocab)  # resolved: the config is self-contained

    @property
    def n_features(self) -> int:
        return 3 + bool(self.include_flux_err) + (self.band_channel is not None)

    @property
    def n_band_codes(self) -> int:
        """Size of the band-code vocabulary, code 0 ("unknown") included; 0 without a band channel."""
        if self.band_channel is None:
            return 0
        return len(self.band_vocabulary) + (1 if self.band_channel == "family" else 2)

    def encoder_kwargs(self) -> dict:
        """The :class:`~astrokeras.models.GRUEncoder` arguments that match these tokens.

        Example:
            >>> Tokenizer(include_flux_err=True, band_channel="family").encoder_kwargs()
            {'n_features': 5, 'n_band_codes': 17}
        """
        return {"n_features": self.n_features, "n_band_codes": self.n_band_codes}

    def band_codes(self, band_names) -> np.ndarray:
        """Integer band codes (int32) of canonical band names; all zeros without a band channel."""
        names = np.asarray(band_names, dtype=object)
        if self.band_channel is None or names.size == 0:
            return np.zeros(names.shape, np.int32)
        return self._code_table()[_bands.band_index(names)]

    def _code_table(self) -> np.ndarray:
        """Code of every registered band, indexed by :func:`astrokeras.bands.band_index`."""
        if self.band_channel == "family":
            lookup = {f: i + 1 for i, f in enumerate(self.band_vocabulary)}
            return np.array([lookup.get(_bands.band_family(n), 0) for n in _bands.known_bands()], np.int32)
        edges = np.asarray(self.band_vocabulary, np.float64)
        return (1 + np.searchsorted(edges, _bands.band_wavelengths_um(), side="right")).astype(np.int32)

    def get_config(self) -> dict:
        """Constructor arguments; the band settings only when a band channel is on, so the default
        tokenizer's configuration (and every recorded ``tokenizer_sha256``) is unchanged."""
        config = dataclasses.asdict(self)
        if self.band_channel is None:
            del config["band_channel"], config["band_vocabulary"]
        else:
            config["band_vocabulary"] = list(self.band_vocabulary)
        return config

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
        if self.normalization == "absolute":
            peak = None
        else:
            # divide by the object's largest |flux|, floored at its smallest positive error so a
            # curve that is all noise (or all zeros) is scaled to its noise, not blown up
            first = new_offsets[:-1]
            peak = np.maximum.reduceat(np.abs(flux), first) if len(lcs) else np.zeros(0)
            pos_err = np.where(flux_err > 0, flux_err, np.inf)
            floor = np.minimum.reduceat(pos_err, first) if len(lcs) else np.zeros(0)
            peak = np.maximum(peak, np.where(np.isfinite(floor), floor, 0.0))
            peak = np.where(peak > 0, peak, 1.0)[obj_index]
        values = self.point_channels(rel_time, lcs.band_code[rows], flux, flux_err, peak)
        if not np.isfinite(values).all():  # e.g. a time span of 1e308 days
            i = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            raise LightCurveError(f"object {lcs.object_ids[obj_index[i]]!r}: token overflows float32 "
                                  "(absurd time or flux value)")
        return TokenizedLightCurves(values=values, offsets=new_offsets, object_ids=lcs.object_ids,
                                    n_truncated=n_truncated, max_length=int(self.max_length), window=self.window)

    def point_channels(self, rel_time, band_code, flux, flux_err, peak=None) -> np.ndarray:
        """The token channels of single points: ``(n, n_features)`` float32, unchecked.

        The one place the channel formulas live (used by :meth:`tokenize` and by
        :class:`astrokeras.streaming.StreamingScorer`, which tokenizes new alerts one by one).

        Args:
            rel_time: time since the object's first kept point, in units of ``time_scale_days``.
            band_code: registry band codes (:mod:`astrokeras.bands`).
            flux, flux_err: fluxes and errors (FLUXCAL).
            peak: the object's normalisation (per point or scalar) for ``normalization="peak"``;
                ignored for ``"absolute"``.

        Example:
            >>> import numpy as np
            >>> from astrokeras.bands import band_index
            >>> Tokenizer().point_channels(np.array([0.0]), band_index(["ztf::g"]), np.array([10.0]),
            ...                            np.array([1.0])).round(3)
            array([[0.479, 0.   , 0.881]], dtype=float32)
        """
        band_code = np.asarray(band_code)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # callers check finiteness
            if self.normalization == "absolute":
                f_tok = np.arcsinh(flux / self.flux_scale)
                e_tok = flux_err / np.hypot(self.flux_scale, flux)
            else:
                f_tok, e_tok = flux / peak, flux_err / peak
            e_tok = np.minimum(e_tok, FLUX_ERR_TOKEN_CAP)  # errors are > 0 (check_observations)
            channels = [_bands.band_wavelengths_um()[band_code], rel_time, f_tok]
            channels += [e_tok] if self.include_flux_err else []
            if self.band_channel is not None:
                channels.append(self._code_table()[band_code].astype(np.float32))
            if not len(band_code):
                return np.zeros((0, self.n_features), np.float32)
            return np.stack(channels, axis=1).astype(np.float32)

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
