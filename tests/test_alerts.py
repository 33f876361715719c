"""Alert packet readers (astrokeras.alerts), on Avro packets written here.

The schemas are subsets of the public ones, field names and types as defined there:
ZTF alert schema v3.3 (``ztf.alert``, ``ztf.alert.candidate``, ``ztf.alert.prv_candidate``) and
Rubin ``lsst.v7_x`` (``lsst.v7_x.alert``, ``diaSource``, ``diaForcedSource``); cutouts and most
quality columns are left out.
"""

import io
import math

import numpy as np
import pytest

fastavro = pytest.importorskip("fastavro")

from astrokeras.alerts import NJY_TO_FLUXCAL, read_rubin_alerts, read_ztf_alerts  # noqa: E402
from astrokeras.photometry import LightCurveError, mag_to_flux  # noqa: E402

NULL_FLOAT, NULL_LONG, NULL_DOUBLE, NULL_STRING = ["null", "float"], ["null", "long"], ["null", "double"], \
    ["null", "string"]

ZTF_CANDIDATE = {
    "type": "record", "name": "candidate", "namespace": "ztf.alert",
    "fields": [{"name": "jd", "type": "double"}, {"name": "fid", "type": "int"}, {"name": "pid", "type": "long"},
               {"name": "diffmaglim", "type": NULL_FLOAT, "default": None},
               {"name": "programid", "type": "int"}, {"name": "candid", "type": "long"},
               {"name": "isdiffpos", "type": "string"}, {"name": "ra", "type": "double"},
               {"name": "dec", "type": "double"}, {"name": "magpsf", "type": "float"},
               {"name": "sigmapsf", "type": "float"}, {"name": "rb", "type": NULL_FLOAT, "default": None},
               {"name": "drb", "type": NULL_FLOAT, "default": None}]}
ZTF_PRV = {
    "type": "record", "name": "prv_candidate", "namespace": "ztf.alert",
    "fields": [{"name": "jd", "type": "double"}, {"name": "fid", "type": "int"}, {"name": "pid", "type": "long"},
               {"name": "diffmaglim", "type": NULL_FLOAT, "default": None},
               {"name": "programid", "type": "int"}, {"name": "candid", "type": NULL_LONG},
               {"name": "isdiffpos", "type": NULL_STRING, "default": None},
               {"name": "ra", "type": NULL_DOUBLE, "default": None}, {"name": "dec", "type": NULL_DOUBLE, "default": None},
               {"name": "magpsf", "type": NULL_FLOAT, "default": None},
               {"name": "sigmapsf", "type": NULL_FLOAT, "default": None}]}
ZTF_ALERT = {
    "type": "record", "name": "alert", "namespace": "ztf",
    "fields": [{"name": "schemavsn", "type": "string"}, {"name": "publisher", "type": "string"},
               {"name": "objectId", "type": "string"}, {"name": "candid", "type": "long"},
               {"name": "candidate", "type": ZTF_CANDIDATE},
               {"name": "prv_candidates", "type": ["null", {"type": "array", "items": ZTF_PRV}], "default": None}]}

RUBIN_SOURCE = {
    "type": "record", "name": "diaSource", "namespace": "lsst.v7_x",
    "fields": [{"name": "diaSourceId", "type": "long"}, {"name": "visit", "type": "long"},
               {"name": "detector", "type": "int"}, {"name": "diaObjectId", "type": NULL_LONG, "default": None},
               {"name": "ssObjectId", "type": NULL_LONG, "default": None},
               {"name": "midpointMjdTai", "type": "double"}, {"name": "ra", "type": "double"},
               {"name": "dec", "type": "double"}, {"name": "psfFlux", "type": NULL_FLOAT, "default": None},
               {"name": "psfFluxErr", "type": NULL_FLOAT, "default": None},
               {"name": "snr", "type": NULL_FLOAT, "default": None}, {"name": "band", "type": NULL_STRING, "default": None}]}
RUBIN_FORCED = {
    "type": "record", "name": "diaForcedSource", "namespace": "lsst.v7_x",
    "fields": [{"name": "diaForcedSourceId", "type": "long"}, {"name": "diaObjectId", "type": "long"},
               {"name": "ra", "type": "double"}, {"name": "dec", "type": "double"}, {"name": "visit", "type": "long"},
               {"name": "detector", "type": "int"}, {"name": "psfFlux", "type": NULL_FLOAT, "default": None},
               {"name": "psfFluxErr", "type": NULL_FLOAT, "default": None},
               {"name": "midpointMjdTai", "type": "double"}, {"name": "band", "type": NULL_STRING, "default": None}]}
RUBIN_ALERT = {
    "type": "record", "name": "alert", "namespace": "lsst.v7_x",
    "fields": [{"name": "alertId", "type": "long"}, {"name": "diaSource", "type": RUBIN_SOURCE},
               {"name": "prvDiaSources", "type": ["null", {"type": "array", "items": "lsst.v7_x.diaSource"}],
                "default": None},
               {"name": "prvDiaForcedSources", "type": ["null", {"type": "array", "items": RUBIN_FORCED}],
                "default": None}]}


def _ztf_cand(jd, fid, mag, err, candid, diffpos="t"):
    return {"jd": jd, "fid": fid, "pid": 1, "diffmaglim": 20.5, "programid": 1, "candid": candid,
            "isdiffpos": diffpos, "ra": 10.0, "dec": -5.0, "magpsf": mag, "sigmapsf": err, "rb": 0.9, "drb": 0.99}


def _ztf_limit(jd, fid, limit):
    return {"jd": jd, "fid": fid, "pid": 1, "diffmaglim": limit, "programid": 1, "candid": None}


def _container(schema, records) -> bytes:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), records)
    return buf.getvalue()


def _ztf_packets():
    """Object A: 3 detections over 2 packets (the 1st repeated in the 2nd), one negative, one limit;
    object B: one packet."""
    a1 = {"schemavsn": "3.3", "publisher": "ZTF (www.ztf.caltech.edu)", "objectId": "ZTF24aaaaaaa", "candid": 11,
          "candidate": _ztf_cand(2460000.5, 1, 18.0, 0.05, 11),
          "prv_candidates": [_ztf_limit(2459998.5, 2, 20.0)]}
    a2 = {"schemavsn": "3.3", "publisher": "ZTF (www.ztf.caltech.edu)", "objectId": "ZTF24aaaaaaa", "candid": 13,
          "candidate": _ztf_cand(2460003.5, 2, 18.5, 0.08, 13),
          "prv_candidates": [_ztf_limit(2459998.5, 2, 20.0), {**_ztf_cand(2460000.5, 1, 18.0, 0.05, 11)},
                             {**_ztf_cand(2460001.5, 1, 19.0, 0.1, 12, diffpos="f")}]}
    b1 = {"schemavsn": "3.3", "publisher": "ZTF (www.ztf.caltech.edu)", "objectId": "ZTF24aaaaaab", "candid": 21,
          "candidate": _ztf_cand(2460002.5, 2, 17.0, 0.03, 21), "prv_candidates": None}
    return a1, a2, b1


def test_ztf_packets_to_fluxcal_with_signs_limits_and_duplicates(tmp_path):
    a1, a2, b1 = _ztf_packets()
    paths = []
    for i, rec in enumerate((a1, a2, b1)):  # one packet per file, as ZTF distributes them
        path = tmp_path / f"{rec['candid']}.avro"
        path.write_bytes(_container(ZTF_ALERT, [rec]))
        paths.append(str(path))
    lcs, report = read_ztf_alerts(paths)
    assert lcs.object_ids.tolist() == ["ZTF24aaaaaaa", "ZTF24aaaaaab"]
    assert lcs.lengths.tolist() == [3, 1]
    a = lcs["ZTF24aaaaaaa"]
    assert a["time_mjd"].tolist() == [60000.0, 60001.0, 60003.0]  # jd - 2400000.5
    assert a["band"].tolist() == ["ztf::g", "ztf::g", "ztf::r"]
    flux, err = mag_to_flux(np.array([18.0, 19.0, 18.5]), np.array([0.05, 0.1, 0.08]))
    np.testing.assert_allclose(a["flux"], flux * np.array([1, -1, 1]), rtol=1e-6)  # isdiffpos='f' -> negative
    np.testing.assert_allclose(a["flux_err"], err, rtol=1e-5)
    assert (report.n_alerts, report.n_rows, report.n_negative) == (3, 7, 1)
    assert (report.n_upper_limits, report.n_upper_limits_kept) == (1, 0)
    assert report.n_duplicates == 2  # candid 11 again; the limit at jd 2459998.5 again
    assert report.n_rows == lcs.n_observations + report.n_duplicates + report.n_upper_limits
    assert lcs.metadata.loc["ZTF24aaaaaab", "survey"] == "ztf"


def test_ztf_upper_limits_kept_as_zero_flux_and_bytes_input():
    a1, a2, b1 = _ztf_packets()
    blob = _container(ZTF_ALERT, [a1, a2, b1])  # one container with three packets
    lcs, report = read_ztf_alerts(blob, upper_limits="keep")
    a = lcs["ZTF24aaaaaaa"]
    assert a["time_mjd"].iloc[0] == 59998.0 and a["flux"].iloc[0] == 0.0
    assert math.isclose(a["flux_err"].iloc[0], mag_to_flux(20.0) / 5, rel_tol=1e-6)
    assert report.n_upper_limits_kept == 1 and lcs.n_observations == 5


def test_ztf_schemaless_kafka_message_with_confluent_header():
    a1, _, _ = _ztf_packets()
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(ZTF_ALERT), a1)
    message = b"\x00\x00\x00\x00\x07" + buf.getvalue()
    lcs, _ = read_ztf_alerts(message, schema=ZTF_ALERT)
    assert lcs.object_ids.tolist() == ["ZTF24aaaaaaa"] and lcs.n_observations == 1
    with pytest.raises(LightCurveError, match="not an Avro container"):
        read_ztf_alerts(message)


def _rubin_source(sid, oid, mjd, band, flux, err):
    return {"diaSourceId": sid, "visit": sid, "detector": 1, "diaObjectId": oid, "ssObjectId": None,
            "midpointMjdTai": mjd, "ra": 150.0, "dec": 2.0, "psfFlux": flux, "psfFluxErr": err, "snr": 10.0,
            "band": band}


def _rubin_packets():
    s1 = _rubin_source(1, 1000, 61000.1, "g", 5000.0, 200.0)
    s2 = _rubin_source(2, 1000, 61002.1, "r", -800.0, 150.0)  # negative difference flux
    forced = {"diaForcedSourceId": 9, "diaObjectId": 1000, "ra": 150.0, "dec": 2.0, "visit": 0, "detector": 1,
              "psfFlux": 30.0, "psfFluxErr": 100.0, "midpointMjdTai": 60998.1, "band": "i"}
    forced_same_epoch = {**forced, "diaForcedSourceId": 10, "midpointMjdTai": 61000.1, "band": "g"}
    p1 = {"alertId": 1, "diaSource": s1, "prvDiaSources": None, "prvDiaForcedSources": [forced]}
    p2 = {"alertId": 2, "diaSource": s2, "prvDiaSources": [s1], "prvDiaForcedSources": [forced, forced_same_epoch]}
    sso = {"alertId": 3, "diaSource": {**_rubin_source(3, None, 61001.0, "z", 100.0, 10.0), "ssObjectId": 5},
           "prvDiaSources": None, "prvDiaForcedSources": None}
    return p1, p2, sso


def test_rubin_packets_njy_to_fluxcal_forced_and_duplicates(tmp_path):
    p1, p2, sso = _rubin_packets()
    path = tmp_path / "rubin.avro"
    path.write_bytes(_container(RUBIN_ALERT, [p1, p2, sso]))
    lcs, report = read_rubin_alerts(str(path))
    assert lcs.object_ids.tolist() == ["1000"] and lcs.band.tolist() == ["lsst::g", "lsst::r"]
    np.testing.assert_allclose(lcs.flux, np.array([5000.0, -800.0]) * NJY_TO_FLUXCAL, rtol=1e-6)
    assert math.isclose(NJY_TO_FLUXCAL * 10 ** (-0.4 * (20.0 - 31.4)), mag_to_flux(20.0), rel_tol=1e-9)
    assert (report.n_alerts, report.n_no_object, report.n_negative, report.n_duplicates) == (3, 1, 1, 1)
    with open(path, "rb") as fh:  # a file object
        with_forced, report = read_rubin_alerts(fh, forced=True)
    assert with_forced.time_mjd.tolist() == [60998.1, 61000.1, 61002.1]  # forced point at the g epoch lost to s1
    assert with_forced.band.tolist() == ["lsst::i", "lsst::g", "lsst::r"]
    assert report.n_duplicates == 3  # s1 again, forced 9 again, forced 10 at s1's epoch
    assert report.n_rows == with_forced.n_observations + report.n_duplicates + report.n_no_object


def test_bad_packets_give_clear_errors(tmp_path):
    with pytest.raises(LightCurveError, match="no such alert file"):
        read_ztf_alerts(str(tmp_path / "missing.avro"))
    with pytest.raises(LightCurveError, match="has no field 'candidate'"):
        read_ztf_alerts([{"objectId": "x"}])
    with pytest.raises(LightCurveError, match="fid"):
        read_ztf_alerts([{"objectId": "x", "candidate": _ztf_cand(2460000.5, 7, 18.0, 0.1, 1)}])
    with pytest.raises(LightCurveError, match="not a readable Avro"):
        read_ztf_alerts(b"Obj\x01garbage")
    with pytest.raises(ValueError, match="upper_limits"):
        read_ztf_alerts([], upper_limits="maybe")
