"""Alert packets (Avro) -> :class:`LightCurves`: ZTF (``candidate`` + ``prv_candidates``) and Rubin
(``diaSource`` + ``prvDiaSources`` [+ ``prvDiaForcedSources``]).

Both readers take a path, a list of paths, ``bytes``, a binary file object, or decoded records
(dicts); files and bytes are Avro object container files (what ZTF's archive and Fink/ANTARES
dumps hold), or a single schemaless record when ``schema=`` is given (Kafka messages; a Confluent
wire-format header - byte 0 then a 4-byte schema id - is skipped). Reading needs ``fastavro``
(``pip install astrokeras[survey]``).

**ZTF** (alert schema v3.3 / 4.x; fields used: ``objectId``, ``candid``, ``jd``, ``fid``,
``magpsf``, ``sigmapsf``, ``diffmaglim``, ``isdiffpos``; ``ra``/``dec`` go to the metadata):

* time ``jd`` -> MJD (``jd - 2400000.5``); ``fid`` 1/2/3 -> ``ztf::g/r/i``;
* ``magpsf`` is the magnitude of the *difference* flux, so flux = +-10**(-0.4 (magpsf - 27.5))
  on the FLUXCAL scale (:func:`astrokeras.photometry.mag_to_flux`, AB zero point 27.5, as for the
  BTS light curves), with the sign of ``isdiffpos`` (``"t"``/``"1"`` positive, ``"f"``/``"0"``
  negative: the source got fainter than in the reference image); flux_err = |flux| ln(10)/2.5
  sigmapsf. Negative detections are kept (counted, ``n_negative``);
* upper limits (``prv_candidates`` entries without ``magpsf``/``candid``): ``upper_limits="drop"``
  (default) drops them, ``"keep"`` keeps each as a forced-photometry-like non-detection, flux 0
  with flux_err = 10**(-0.4 (diffmaglim - 27.5)) / 5 (``diffmaglim`` is a 5-sigma limit); counted
  either way (``n_upper_limits``, ``n_upper_limits_kept``);
* the same detection comes again in later packets (as ``prv_candidates``): rows are kept once per
  ``candid``, then once per (object, ``jd``, ``fid``) - a detection wins over a limit at the same
  epoch - counted in ``n_duplicates``. ``fp_hists`` (v4 forced photometry) and cutouts are not read.

**Rubin** (``lsst.v7_x`` alert schema; fields used: ``diaSourceId``, ``diaObjectId``,
``midpointMjdTai``, ``band``, ``psfFlux``, ``psfFluxErr``, ``ra``, ``dec``;
``diaForcedSourceId`` for forced sources):

* ``psfFlux``/``psfFluxErr`` are difference-image fluxes in nJy (AB: m = 31.4 - 2.5 log10 f), so
  FLUXCAL = nJy * 10**(-0.4 (31.4 - 27.5)) = nJy * 0.02754; negative fluxes are native (counted);
* ``band`` ``u..y`` -> ``lsst::u..y``; time is ``midpointMjdTai`` (MJD, TAI);
* ``prvDiaForcedSources`` are read with ``forced=True`` (at an epoch with both, the DiaSource wins);
* duplicates across packets: once per ``diaSourceId`` / ``diaForcedSourceId``, then once per
  (object, time, band), counted in ``n_duplicates``; sources without ``diaObjectId`` (solar
  system objects) or without a flux are dropped and counted (``n_no_object``, ``n_no_flux``).

Example:
    >>> record = {"objectId": "ZTF24aaaaaaa", "candid": 1, "prv_candidates": None,
    ...           "candidate": {"jd": 2460000.5, "fid": 1, "magpsf": 18.0, "sigmapsf": 0.1,
    ...                         "isdiffpos": "f", "diffmaglim": 20.5, "candid": 1}}
    >>> lcs, report = read_ztf_alerts([record])
    >>> lcs.time_mjd.tolist(), round(float(lcs.flux[0]), 1), report.n_negative
    ([60000.0], -6309.6, 1)
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from astrokeras.photometry import ZERO_POINT_AB, ZTF_FID, LightCurveError, LightCurves

__all__ = ["AlertReport", "NJY_TO_FLUXCAL", "iter_alert_records", "read_rubin_alerts", "read_ztf_alerts"]

#: Rubin nJy -> FLUXCAL (zero point 27.5): the AB zero point of 1 nJy is 31.4.
NJY_TO_FLUXCAL = 10.0 ** (-0.4 * (31.4 - ZERO_POINT_AB))
_JD_MJD = 2400000.5


@dataclasses.dataclass
class AlertReport:
    """What a reader did with the packets (every row is accounted for).

    Attributes:
        n_alerts: packets read.
        n_rows: photometry rows seen (candidates, previous candidates/sources, limits).
        n_negative: detections with a negative difference flux, kept.
        n_upper_limits: ZTF upper limits (distinct epochs, after duplicates); ``n_upper_limits_kept``
            of them kept. ``n_rows`` = ``n_observations + n_duplicates + n_no_object + n_no_flux +
            n_upper_limits - n_upper_limits_kept``.
        n_duplicates: rows dropped as repeats of a row already read (same id, or same
            object/time/band).
        n_no_object: Rubin sources without ``diaObjectId`` (dropped).
        n_no_flux: rows without a usable flux/magnitude or error (dropped).
        n_objects, n_observations: the light curves returned.
    """

    n_alerts: int = 0
    n_rows: int = 0
    n_negative: int = 0
    n_upper_limits: int = 0
    n_upper_limits_kept: int = 0
    n_duplicates: int = 0
    n_no_object: int = 0
    n_no_flux: int = 0
    n_objects: int = 0
    n_observations: int = 0


# ------------------------------------------------------------------------------ records
def _avro_records(data: bytes | io.IOBase, schema, name: str) -> Iterator[dict]:
    try:
        import fastavro
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("reading Avro alert packets needs fastavro: pip install 'astrokeras[survey]'") from None
    fo = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    head = fo.read(4)
    fo.seek(0)
    try:
        if head == b"Obj\x01":
            yield from fastavro.reader(fo)
            return
        if schema is None:
            raise LightCurveError(f"{name}: not an Avro container file (no 'Obj' header); pass schema= to read a "
                                  "schemaless (Kafka) alert")
        if head[:1] == b"\x00":
            fo.seek(5)  # Confluent wire format: magic byte + 4-byte schema id
        yield fastavro.schemaless_reader(fo, fastavro.parse_schema(schema))
    except (ValueError, EOFError, StopIteration, IndexError, TypeError) as err:
        if isinstance(err, LightCurveError):
            raise
        raise LightCurveError(f"{name}: not a readable Avro alert ({type(err).__name__}: {err})") from None


def iter_alert_records(source, schema: Mapping | None = None) -> Iterator[dict]:
    """Decoded alert records from a path, a list of paths, bytes, a file object or dicts."""
    if isinstance(source, Mapping):
        yield dict(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        yield from _avro_records(bytes(source), schema, "alert bytes")
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise LightCurveError(f"{path}: no such alert file")
        with open(path, "rb") as fh:
            yield from _avro_records(fh, schema, path)
    elif hasattr(source, "read"):
        yield from _avro_records(source, schema, getattr(source, "name", "alert stream"))
    elif isinstance(source, Iterable):
        for item in source:
            yield from iter_alert_records(item, schema)
    else:
        raise LightCurveError(f"cannot read alerts from a {type(source).__name__}; pass a path, a list of paths, "
                              "bytes, a file object or decoded records")


def _field(record: Mapping, key: str, where: str):
    if key not in record:
        raise LightCurveError(f"{where}: alert record has no field {key!r} (fields: {sorted(record)[:12]}...)")
    return record[key]


# --------------------------------------------------------------------------------- ZTF
def read_ztf_alerts(source, *, upper_limits: str = "drop", schema: Mapping | None = None
                    ) -> tuple[LightCurves, AlertReport]:
    """ZTF alert packets -> light curves (FLUXCAL) and an :class:`AlertReport` (see module docstring).

    Args:
        source: path(s), bytes, file object or decoded records.
        upper_limits: ``"drop"`` or ``"keep"`` (flux 0, error = 5-sigma limit flux / 5).
        schema: writer schema of schemaless records (Kafka messages).

    Raises:
        LightCurveError: an unreadable packet or a missing field, naming it.
    """
    if upper_limits not in ("drop", "keep"):
        raise ValueError(f"upper_limits must be 'drop' or 'keep', got {upper_limits!r}")
    report = AlertReport()
    rows, positions = [], {}
    for record in iter_alert_records(source, schema):
        report.n_alerts += 1
        oid = str(_field(record, "objectId", "ZTF alert"))
        candidate = _field(record, "candidate", f"ZTF alert {oid}")
        for kind, entries in (("candidate", [candidate]), ("prv", record.get("prv_candidates") or [])):
            for c in entries:
                rows.append((oid, c.get("candid"), c.get("jd"), c.get("fid"), c.get("magpsf"), c.get("sigmapsf"),
                             c.get("diffmaglim"), c.get("isdiffpos")))
        positions[oid] = (candidate.get("ra"), candidate.get("dec"))
    report.n_rows = len(rows)
    frame = pd.DataFrame(rows, columns=["object_id", "candid", "jd", "fid", "magpsf", "sigmapsf", "diffmaglim",
                                        "isdiffpos"])
    for col in ("jd", "magpsf", "sigmapsf", "diffmaglim"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    bad_fid = ~frame["fid"].isin(list(ZTF_FID))
    if bad_fid.any():
        i = int(np.flatnonzero(bad_fid.to_numpy())[0])
        raise LightCurveError(f"ZTF alert {frame['object_id'].iloc[i]}: fid {frame['fid'].iloc[i]!r}; ZTF fid codes "
                              "are 1 = g, 2 = r, 3 = i")
    limit = frame["magpsf"].isna() | frame["candid"].isna()
    # duplicates: the same candid, then the same epoch (a detection wins over a limit)
    detections = frame[~limit]
    n0 = len(detections)
    detections = detections.drop_duplicates("candid")
    frame = pd.concat([detections, frame[limit]], ignore_index=True)
    n_candid_dups = n0 - len(detections)
    n1 = len(frame)
    frame = frame.drop_duplicates(["object_id", "jd", "fid"], keep="first")
    report.n_duplicates = n_candid_dups + (n1 - len(frame))
    limit = frame["magpsf"].isna() | frame["candid"].isna()
    report.n_upper_limits = int(limit.sum())
    if upper_limits == "drop":
        frame = frame[~limit]
    else:
        ok_limit = limit & np.isfinite(frame["diffmaglim"])
        frame = frame[~limit | ok_limit]
        report.n_upper_limits_kept = int(ok_limit.sum())
    limit = (frame["magpsf"].isna() | frame["candid"].isna()).to_numpy()
    sign = np.where(frame["isdiffpos"].astype(str).str.lower().isin(["f", "0", "false"]).to_numpy(), -1.0, 1.0)
    magnitude = 10.0 ** (-0.4 * (frame["magpsf"].to_numpy() - ZERO_POINT_AB))
    flux = np.where(limit, 0.0, sign * magnitude)
    flux_err = np.where(limit, 10.0 ** (-0.4 * (frame["diffmaglim"].to_numpy() - ZERO_POINT_AB)) / 5.0,
                        magnitude * np.log(10.0) / 2.5 * frame["sigmapsf"].to_numpy())
    usable = np.isfinite(flux) & np.isfinite(flux_err) & (flux_err > 0) & np.isfinite(frame["jd"].to_numpy())
    report.n_no_flux += int((~usable).sum())
    report.n_negative = int(((sign < 0) & ~limit & usable).sum())
    frame = frame[usable]
    meta = pd.DataFrame({"survey": "ztf", "ra_deg": [positions[o][0] for o in positions],
                         "dec_deg": [positions[o][1] for o in positions]},
                        index=pd.Index(list(positions), name="object_id"))
    lcs = LightCurves(frame["object_id"].to_numpy(), frame["jd"].to_numpy() - _JD_MJD,
                      frame["fid"].map(ZTF_FID).to_numpy(), flux[usable], flux_err[usable],
                      metadata=meta.loc[pd.unique(frame["object_id"])] if len(frame) else None)
    report.n_objects, report.n_observations = len(lcs), lcs.n_observations
    return lcs, report


# ------------------------------------------------------------------------------- Rubin
def read_rubin_alerts(source, *, forced: bool = False, schema: Mapping | None = None
                      ) -> tuple[LightCurves, AlertReport]:
    """Rubin (``lsst.v7_x``) alert packets -> light curves (FLUXCAL) and an :class:`AlertReport`.

    Args:
        source: path(s), bytes, file object or decoded records.
        forced: also read ``prvDiaForcedSources`` (forced photometry at earlier visits).
        schema: writer schema of schemaless records (Kafka messages).

    Raises:
        LightCurveError: an unreadable packet or a missing field, naming it.
    """
    report = AlertReport()
    rows, positions = [], {}
    for record in iter_alert_records(source, schema):
        report.n_alerts += 1
        src = _field(record, "diaSource", "Rubin alert")
        groups = [("dia", [src]), ("dia", record.get("prvDiaSources") or [])]
        if forced:
            groups.append(("forced", record.get("prvDiaForcedSources") or []))
        for kind, entries in groups:
            for s in entries:
                key = s.get("diaSourceId") if kind == "dia" else s.get("diaForcedSourceId")
                rows.append((kind, key, s.get("diaObjectId"), s.get("midpointMjdTai"),
                             s.get("band", s.get("filterName")), s.get("psfFlux"), s.get("psfFluxErr")))
        if src.get("diaObjectId") is not None:
            positions[str(src["diaObjectId"])] = (src.get("ra"), src.get("dec"))
    report.n_rows = len(rows)
    frame = pd.DataFrame(rows, columns=["kind", "source_id", "object_id", "time_mjd", "band", "flux", "flux_err"])
    no_object = frame["object_id"].isna()
    report.n_no_object = int(no_object.sum())
    frame = frame[~no_object].copy()
    frame["object_id"] = frame["object_id"].astype("int64").astype(str)
    for col in ("time_mjd", "flux", "flux_err"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    usable = (np.isfinite(frame["flux"]) & np.isfinite(frame["flux_err"]) & (frame["flux_err"] > 0)
              & np.isfinite(frame["time_mjd"]) & frame["band"].notna())
    report.n_no_flux = int((~usable).sum())
    frame = frame[usable]
    n0 = len(frame)
    frame = frame.sort_values("kind", kind="stable")  # "dia" before "forced": the DiaSource wins an epoch
    frame = frame.drop_duplicates(["kind", "source_id"]).drop_duplicates(["object_id", "time_mjd", "band"])
    report.n_duplicates = n0 - len(frame)
    report.n_negative = int((frame["flux"] < 0).sum())
    bands = "lsst::" + frame["band"].astype(str).str.strip().str.lower()
    known = pd.unique(frame["object_id"])
    meta = pd.DataFrame({"survey": "lsst", "ra_deg": [positions.get(o, (None, None))[0] for o in known],
                         "dec_deg": [positions.get(o, (None, None))[1] for o in known]},
                        index=pd.Index(known, name="object_id"))
    lcs = LightCurves(frame["object_id"].to_numpy(), frame["time_mjd"].to_numpy(), bands.to_numpy(),
                      frame["flux"].to_numpy() * NJY_TO_FLUXCAL, frame["flux_err"].to_numpy() * NJY_TO_FLUXCAL,
                      metadata=meta if len(frame) else None)
    report.n_objects, report.n_observations = len(lcs), lcs.n_observations
    return lcs, report
