"""PLAsTiCC CSV files (Kaggle release and the unblinded data): light curves plus metadata.

Light-curve CSV columns: ``object_id, mjd, passband, flux, flux_err, detected`` with
``passband`` 0-5 = LSST u, g, r, i, z, y. Metadata CSV: ``object_id, ..., hostgal_specz,
hostgal_photoz, ..., target`` (training set) or ``true_target``/``true_z`` (unblinded test set).

Flux scale: PLAsTiCC light curves were simulated with SNANA and the ``flux`` column holds SNANA
``FLUXCAL`` values, calibrated so that m_AB = 27.5 - 2.5 log10(flux) (Kessler et al. 2019,
PASP 131, 094501, arXiv:1903.11756, "Models and Simulations for PLAsTiCC"; data note: The PLAsTiCC
team 2018, arXiv:1810.00001). That is the astrokeras scale, so fluxes are used as they are. The
Kaggle data description adds that the fluxes "have already been corrected for dust extinction
(mwebv)"; astrokeras applies no correction either way and keeps ``mwebv`` in the metadata.

Redshift: ``true_z`` when the file has it (unblinded data), else ``hostgal_specz`` (known for
the training set, NaN for most test objects; negative values, meaning unknown, become NaN);
galactic objects have 0.

Example:
    >>> import io
    >>> from astrokeras.datasets import read_plasticc
    >>> lc = io.StringIO("object_id,mjd,passband,flux,flux_err,detected\\n"
    ...                  "615,59750.4,2,-544.8,3.6,1\\n615,59750.41,1,-816.4,5.5,1\\n")
    >>> meta = io.StringIO("object_id,hostgal_specz,target\\n615,0.0,92\\n")
    >>> lcs = read_plasticc(lc, meta)
    >>> lcs.band.tolist(), lcs.metadata.loc["615", "label"]
    (['lsst::r', 'lsst::g'], 'RR Lyrae')
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from astrokeras.photometry import LightCurveError, LightCurves

__all__ = ["read_plasticc", "PLASTICC_CLASSES", "PLASTICC_PASSBANDS"]

#: PLAsTiCC ``passband`` integer -> canonical band.
PLASTICC_PASSBANDS = ("lsst::u", "lsst::g", "lsst::r", "lsst::i", "lsst::z", "lsst::y")
#: PLAsTiCC class codes (Kaggle ``target`` and unblinded ``true_target``) -> class name.
PLASTICC_CLASSES = {
    6: "uLens-Single", 15: "TDE", 16: "EB", 42: "SN II", 52: "SN Iax", 53: "Mira", 62: "SN Ib/c",
    64: "KN", 65: "M-dwarf", 67: "SN Ia-91bg", 88: "AGN", 90: "SN Ia", 92: "RR Lyrae", 95: "SLSN-I",
    99: "other", 991: "uLens-Binary", 992: "ILOT", 993: "CaRT", 994: "PISN", 995: "uLens-String",
}


def read_plasticc(light_curve_csv, metadata_csv=None, *, detected_only: bool = False) -> LightCurves:
    """Read a PLAsTiCC light-curve CSV (and optionally its metadata CSV).

    Args:
        light_curve_csv: path or file-like (``.csv`` or ``.csv.gz``).
        metadata_csv: path or file-like with ``object_id`` and ``target``/``true_target``.
        detected_only: keep only rows with ``detected == 1``.

    Returns:
        :class:`~astrokeras.photometry.LightCurves`; metadata ``survey`` ("lsst"), ``label``
        (:data:`PLASTICC_CLASSES` name; unknown codes give ``"class <code>"``), ``target``
        (the code), ``redshift`` and every metadata column of the file.

    Raises:
        LightCurveError: missing columns or a passband outside 0-5, naming the object.

    Example:
        >>> lcs = read_plasticc("training_set.csv", "training_set_metadata.csv")  # doctest: +SKIP
        >>> len(lcs)  # doctest: +SKIP
        7848
    """
    obs = pd.read_csv(light_curve_csv)
    obs.columns = [str(c).strip().lower() for c in obs.columns]
    need = ["object_id", "mjd", "passband", "flux", "flux_err"]
    missing = [c for c in need if c not in obs.columns]
    if missing:
        raise LightCurveError(f"{_name(light_curve_csv)}: no {missing} column(s); columns are {list(obs.columns)}")
    if detected_only:
        if "detected" not in obs.columns:
            raise LightCurveError(f"{_name(light_curve_csv)}: detected_only=True but no 'detected' column")
        obs = obs[obs["detected"].astype(int) == 1]
    passband = obs["passband"].to_numpy()
    bad = ~np.isin(passband, np.arange(6))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LightCurveError(f"object {str(obs['object_id'].iloc[i])!r}: passband {passband[i]} is not 0-5 "
                              "(u, g, r, i, z, y)")
    band = np.asarray(PLASTICC_PASSBANDS, dtype=object)[passband.astype(int)]
    ids = obs["object_id"].astype(str).to_numpy()

    meta = None
    if metadata_csv is not None:
        meta = pd.read_csv(metadata_csv)
        meta.columns = [str(c).strip().lower() for c in meta.columns]
        if "object_id" not in meta.columns:
            raise LightCurveError(f"{_name(metadata_csv)}: no object_id column; columns are {list(meta.columns)}")
        meta["object_id"] = meta["object_id"].astype(str)
        meta = meta.set_index("object_id")
        target_col = "true_target" if "true_target" in meta.columns else "target" if "target" in meta.columns else None
        if target_col:
            codes = meta[target_col]
            meta["label"] = [PLASTICC_CLASSES.get(int(c), f"class {int(c)}") if pd.notna(c) else None for c in codes]
        z_col = "true_z" if "true_z" in meta.columns else "hostgal_specz" if "hostgal_specz" in meta.columns else None
        z = meta[z_col].to_numpy(dtype=float) if z_col else np.full(len(meta), np.nan)
        meta["redshift"] = np.where(z >= 0, z, np.nan)  # negative values mean "unknown"
        meta["survey"] = "lsst"
        unknown = sorted(set(ids) - set(meta.index))
        if unknown:
            raise LightCurveError(f"object {unknown[0]!r} has light-curve rows but no metadata row "
                                  f"({len(unknown)} such objects)")
        meta = meta.loc[list(dict.fromkeys(ids))]
    else:
        meta = pd.DataFrame({"survey": "lsst"}, index=pd.Index(list(dict.fromkeys(ids)), name="object_id"))
    return LightCurves(ids, obs["mjd"].to_numpy(dtype=float), band, obs["flux"].to_numpy(dtype=float),
                       obs["flux_err"].to_numpy(dtype=float), metadata=meta)


def _name(source) -> str:
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else type(source).__name__
