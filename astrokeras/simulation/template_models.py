"""Template-based source models: SN Ia (SALT3/SALT2/Hsiao) and core collapse (SNANA templates).

**SN Ia.** Stretch and colour from the asymmetric-Gaussian populations of Scolnic & Kessler (2016,
ApJ 822, L35; "G10" high-z: x1 0.973 -1.472 +0.222, c -0.054 -0.043 +0.101), clipped to
x1 in [-3, 3], c in [-0.3, 0.5]. Brightness by the Tripp relation
``m_B = M_B - alpha x1 + beta c + delta + mu`` with alpha = 0.14, beta = 3.1, M_B = -19.36 and a
Gaussian intrinsic scatter ``delta`` of 0.10 mag (Scolnic et al. 2018, ApJ 859, 101; Kessler & Scolnic
2017, ApJ 836, 56). ``m_B`` is the rest-frame Bessell B magnitude of ``x0 M0`` at phase 0 (SNANA's
x0 convention); the SED is ``x0 (M0 + x1 M1) 10**(-0.4 c CL)``. The Hsiao option uses one spectral
template with stretch ``s = 0.98 + 0.091 x1 + 0.003 x1^2 - 0.00075 x1^3`` (Guy et al. 2007) on its
phase axis and the SALT3 colour law for ``c``. Explosion at phase -20 s (rest days before B max).

**Core collapse.** Each object draws a subtype with the volume-limited LOSS fractions of Smith, Li et
al. (2011, MNRAS 412, 1522; Li et al. 2011, MNRAS 412, 1441): among SNe II (Table 1's grouping, which
includes IIn and IIb) IIP 48.2, IIL 6.4, IIn 8.8, IIb 10.6; among SNe Ib/c Ib 8.4, Ic 17.6 (relative
weights). Its peak absolute magnitude in rest-frame B is Gaussian with the extinction-corrected means
and dispersions of Richardson et al. (2014, AJ 147, 118; as adopted by PLAsTiCC, Kessler et al. 2019):
IIP -16.80 (0.97), IIL -17.98 (0.90), IIb -16.99 (0.92), Ib -17.45 (1.12), Ic -17.66 (1.18), clipped at
+-2.5 sigma. For IIn, Richardson's -18.62 (1.48) combined with the LOSS volumetric fraction makes 80 % of
a flux-limited SN II sample IIn (ZTF BTS: 14 %), so IIn use the volume-limited LOSS mean (Li et al. 2011,
M_R = -16.86) brightened by ~0.35 mag of mean host extinction, -17.20, with dispersion 1.00 (reproduces
the BTS fraction: 15 % expected in a Euclidean flux-limited sample). A template of the matching spectral kind is drawn uniformly
(IIL: the IIP templates; IIb: the Ib templates). The explosion epoch is drawn per subtype as a rest-frame
phase before B maximum, uniform in: IIP/IIL 6-14 d (Gonzalez-Gaitan et al. 2015, MNRAS 451, 2212),
IIb 15-22 d (Pessi et al. 2019), Ib/Ic 12-22 d (Taddia et al. 2015, A&A 574, A60), IIn 10-40 d (Nyholm
et al. 2020, A&A 637, A73); the template flux before it is zero and it turns on as ``(dt/3 d)**2``. The
IIP plateau ends at ``t_p ~ N(100, 15)`` rest days after explosion, clipped to 70-140 d (Anderson et al.
2014, ApJ 786, 67), with a 1-3 mag drop over ~6 d. Host extinction E(B-V) is exponential with mean 0.15
(R_V = 3.1, Fitzpatrick 1999), as in the analytic models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astrokeras.simulation import templates as _tp

SN_IA = {"M_B": -19.36, "alpha": 0.14, "beta": 3.1, "sigma_int": 0.10,
         "x1": (0.973, 1.472, 0.222), "c": (-0.054, 0.043, 0.101), "x1_range": (-3.0, 3.0), "c_range": (-0.3, 0.5)}
IA_MODELS = ("salt3", "salt2", "hsiao")


@dataclass(frozen=True)
class Subtype:
    """A core-collapse subtype: class, LOSS weight, Richardson+2014 M_B, template kind, explosion phase."""

    name: str
    label: str
    weight: float
    mag_mean: float
    mag_sigma: float
    template_kind: str
    explosion_phase_days: tuple[float, float]  # rest days before B max (positive)


SUBTYPES: tuple[Subtype, ...] = (
    Subtype("IIP", "SN II", 48.2, -16.80, 0.97, "IIP", (6.0, 14.0)),
    Subtype("IIL", "SN II", 6.4, -17.98, 0.90, "IIP", (6.0, 14.0)),
    Subtype("IIn", "SN II", 8.8, -17.20, 1.00, "IIn", (10.0, 40.0)),
    Subtype("IIb", "SN II", 10.6, -16.99, 0.92, "Ib", (15.0, 22.0)),
    Subtype("Ib", "SN Ib/c", 8.4, -17.45, 1.12, "Ib", (12.0, 22.0)),
    Subtype("Ic", "SN Ib/c", 17.6, -17.66, 1.18, "Ic", (12.0, 22.0)),
)
SUBTYPE_NAMES = tuple(s.name for s in SUBTYPES)
TEMPLATE_CLASSES = ("SN Ia", "SN II", "SN Ib/c")
HOST_EBV_MEAN = 0.15


def _asym(rng, n, peak, lo, hi):
    u = rng.standard_normal(n)
    left = rng.random(n) < lo / (lo + hi)
    return peak + np.where(left, -np.abs(u) * lo, np.abs(u) * hi)


def brightest_abs_mag(label: str) -> float:
    """The brightest peak M_B a class can draw (for redshift caps and screens)."""
    if label == "SN Ia":
        return SN_IA["M_B"] - SN_IA["alpha"] * 3.0 + SN_IA["beta"] * -0.3 - 4 * SN_IA["sigma_int"]
    return min(s.mag_mean - 2.5 * s.mag_sigma for s in SUBTYPES if s.label == label)


def draw_stage1(label: str, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Peak M_B (and what sets it): SN Ia x1, c, scatter; core collapse subtype, template, M_B."""
    if label == "SN Ia":
        x1 = np.clip(_asym(rng, n, *SN_IA["x1"]), *SN_IA["x1_range"])
        c = np.clip(_asym(rng, n, *SN_IA["c"]), *SN_IA["c_range"])
        delta = SN_IA["sigma_int"] * rng.standard_normal(n)
        mag = SN_IA["M_B"] - SN_IA["alpha"] * x1 + SN_IA["beta"] * c + delta
        return {"peak_abs_mag": mag, "x1": x1, "color_c": c}
    subs = [s for s in SUBTYPES if s.label == label]
    w = np.array([s.weight for s in subs])
    k = np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(subs) - 1)
    mean = np.array([s.mag_mean for s in subs])[k]
    sigma = np.array([s.mag_sigma for s in subs])[k]
    mag = mean + sigma * np.clip(rng.standard_normal(n), -2.5, 2.5)
    kinds = [t["subtype"] for t in _tp.load_cc_templates()]
    template = np.empty(n, np.int64)
    u = rng.random(n)
    for j, s in enumerate(subs):
        pool = np.array([i for i, kd in enumerate(kinds) if kd == s.template_kind])
        m = k == j
        template[m] = pool[np.minimum((u[m] * pool.size).astype(np.int64), pool.size - 1)]
    code = np.array([SUBTYPE_NAMES.index(s.name) for s in subs])[k]
    return {"peak_abs_mag": mag, "subtype_code": code.astype(float), "template_index": template.astype(float)}


def draw_params(label: str, rng: np.random.Generator, n: int, stage1: dict, ia_model: str = "salt3") -> dict:
    """Remaining parameters: explosion phase (rest days before B max), host dust, IIP plateau.

    Returns a dict with the keys the engine's metadata uses (NaN where not applicable).
    """
    nan = np.full(n, np.nan)
    p = {k: nan.copy() for k in ("x1", "color_c", "tau_m_days", "magnetar_tp_days", "plateau_days",
                                 "decline_days", "t_peak_k", "subtype_code", "template_index")}
    p.update(stage1)
    if label == "SN Ia":
        x1 = stage1["x1"]
        s = 0.98 + 0.091 * x1 + 0.003 * x1**2 - 0.00075 * x1**3 if ia_model == "hsiao" else np.ones(n)
        p["stretch"] = s
        p["t_peak_days"] = 20.0 * s
        p["host_ebv"] = np.zeros(n)
    else:
        code = stage1["subtype_code"].astype(np.int64)
        lo = np.array([SUBTYPES[c].explosion_phase_days[0] for c in code])
        hi = np.array([SUBTYPES[c].explosion_phase_days[1] for c in code])
        rise = lo + (hi - lo) * rng.random(n)
        ref = _tp.template_tables().cc_reference()[stage1["template_index"].astype(np.int64)]
        # cannot start before the template's own (extended) start: ref[:, 2] is that phase
        p["t_peak_days"] = np.minimum(rise, ref[:, 1] - ref[:, 2])
        p["host_ebv"] = rng.exponential(HOST_EBV_MEAN, n)
        iip = code == SUBTYPE_NAMES.index("IIP")
        p["plateau_days"] = np.where(iip, np.clip(100.0 + 15.0 * rng.standard_normal(n), 70.0, 140.0), np.nan)
        p["drop_mag"] = np.where(iip, rng.uniform(1.0, 3.0, n), 0.0)
        p["stretch"] = np.ones(n)
    p["rise_days"] = p["t_peak_days"]
    return p


def kmin(label: str, band_names, ia_model: str = "salt3") -> np.ndarray:
    """Brightest ``m(band, z, phase) - M_B`` over bands, phases and templates, per TEMPLATE_Z_GRID point.

    SN Ia: with x1 = +-3 and c = -0.3 (conservative). Used by the engine's pre-screen.
    """
    tables = _tp.template_tables()
    with np.errstate(divide="ignore", invalid="ignore"):
        if label == "SN Ia":
            if ia_model == "hsiao":
                f = tables.hsiao(band_names)
                return (-2.5 * np.log10(f.max(axis=(0, 2)))) + 2.5 * np.log10(tables.hsiao_reference()) - 0.3 * 1.5
            t = tables.salt(ia_model, band_names)
            f = t["M0"] + 3.0 * np.abs(t["M1"])
            mag = -2.5 * np.log10(np.maximum(f, 1e-300)) - 0.3 * np.abs(t["K"])
            return mag.min(axis=(0, 2)) + 2.5 * np.log10(tables.salt_reference(ia_model))
        f = tables.cc(band_names)
        ref = tables.cc_reference()
        nb = len(band_names)
        per_row = -2.5 * np.log10(np.maximum(f.max(axis=2), 1e-300))  # (T*B, Z)
        per_row = per_row + np.repeat(2.5 * np.log10(ref[:, 0]), nb)[:, None]
        return per_row.min(axis=0)


class TemplateContext:
    """Per-object arrays of one batch of template-based transients and the photometry of visits.

    Same interface as the analytic engine's context: ``visible``, ``t0``, ``duration``, ``field``,
    ``ebv_mw``, ``p`` and :meth:`observe`.
    """

    def __init__(self, rng, survey, label: str, z, mu, stage1, ia_model: str, phot, depth_limit,
                 duration_days: float, draw_mw_ebv, shared: dict | None = None) -> None:
        n = z.size
        self.label, self.survey, self.z, self.mu, self.ia_model = label, survey, z, mu, ia_model
        bands, nb = survey.bands, len(survey.bands)
        if shared is None:
            self.p = p = draw_params(label, rng, n, stage1, ia_model)
            self.field = rng.integers(0, survey.n_fields, n)
            self.ebv_mw = draw_mw_ebv(rng, n)
        else:  # the same objects seen by another survey (simulate_views)
            self.p = p = shared["p"]
            self.field, self.ebv_mw = shared["field"], shared["ebv_mw"]
        self.duration = (duration_days + p["t_peak_days"]) * (1 + z)
        self.t0 = (survey.t_start - self.duration + rng.random(n) * (survey.t_end - survey.t_start + self.duration)
                   if shared is None else shared["t0"])
        tables = _tp.template_tables()
        ob = np.tile(np.arange(nb), n)
        zb = np.repeat(z, nb)
        mw = phot.dust(bands, np.arange(nb), np.zeros(nb))
        offset = (p["peak_abs_mag"] + mu)[:, None] + self.ebv_mw[:, None] * mw[None, :]
        if label == "SN Ia":
            ref = tables.hsiao_reference() if ia_model == "hsiao" else tables.salt_reference(ia_model)
            offset = offset + 2.5 * np.log10(ref)
            if ia_model == "hsiao":
                self.table = {"F": tables.hsiao(bands)}
                # Hsiao has no colour law of its own: SALT3's, as a per-band colour slope at B max
                k = tables.salt("salt3", bands)["K"][:, :, np.flatnonzero(_tp.PHASE_GRID == 0)[0]]
                offset = offset + p["color_c"][:, None] * _interp_rows(k, ob, zb).reshape(n, nb)
            else:
                self.table = tables.salt(ia_model, bands)
        else:
            refs = tables.cc_reference()[p["template_index"].astype(np.int64)]
            offset = offset + 2.5 * np.log10(refs[:, 0])[:, None]
            offset = offset + p["host_ebv"][:, None] * phot.dust(bands, ob, zb).reshape(n, nb)
            self.table = {"F": tables.cc(bands)}
            self.b_peak_phase = refs[:, 1]
        self.offset = offset
        self.scale = (10.0 ** (-0.4 * (offset.ravel() - 27.5))).astype(np.float32)
        # pre-screen: brightest table value of the object's template/components at its redshift
        peak = offset + self._peak_table_mag(ob, zb).reshape(n, nb)
        self.visible = np.any(peak < depth_limit[None, :], axis=1)

    def _peak_table_mag(self, ob, zb) -> np.ndarray:
        n, nb = self.z.size, len(self.survey.bands)
        obj = np.repeat(np.arange(n), nb)
        if self.label == "SN Ia" and self.ia_model != "hsiao":
            t = self.table
            brightest = (t["M0"] + 3.0 * np.abs(t["M1"])).max(axis=2) * 10 ** (0.4 * 0.3 * np.abs(t["K"]).max(axis=2))
            rows = ob
        elif self.label == "SN Ia":
            brightest = self.table["F"].max(axis=2) * 10 ** (0.4 * 0.45)
            rows = ob
        else:
            brightest = self.table["F"].max(axis=2)
            rows = self.p["template_index"].astype(np.int64)[obj] * nb + ob
        with np.errstate(divide="ignore"):
            return -2.5 * np.log10(_interp_rows(brightest, rows, zb))

    def observe(self, rng, gobj: np.ndarray, visit: np.ndarray, noise):
        """Times, band indices, noisy fluxes and errors of visits ``visit`` of objects ``gobj``."""
        survey, nb = self.survey, len(self.survey.bands)
        t_obs = survey.time_mjd[visit]
        b = survey.band_idx[visit].astype(np.int32)
        zo = self.z[gobj]
        t_rest = ((t_obs - self.t0[gobj]) / (1 + zo)).astype(np.float32)
        p = self.p
        tpk = p["t_peak_days"].astype(np.float32)[gobj]
        phase = (t_rest - tpk) / p["stretch"].astype(np.float32)[gobj]
        from astrokeras.simulation.sources import interp_bilinear

        zg, pg = _tp.TEMPLATE_Z_GRID, _tp.PHASE_GRID
        if "M0" in self.table:
            t = self.table
            f = interp_bilinear(t["M0"], b, zo, zg, phase, pg)
            f += p["x1"].astype(np.float32)[gobj] * interp_bilinear(t["M1"], b, zo, zg, phase, pg)
            f *= np.power(np.float32(10.0), np.float32(-0.4) * p["color_c"].astype(np.float32)[gobj]
                          * interp_bilinear(t["K"], b, zo, zg, phase, pg))
        elif self.label == "SN Ia":
            f = interp_bilinear(self.table["F"], b, zo, zg, phase, pg)
        else:
            rows = p["template_index"].astype(np.int32)[gobj] * nb + b
            f = interp_bilinear(self.table["F"], rows, zo, zg, phase, pg)
            on = np.clip(t_rest / np.float32(3.0), 0.0, 1.0)
            f *= on * on
            tp = p["plateau_days"][gobj]
            iip = np.isfinite(tp)
            if iip.any():
                s = (t_rest[iip] - tp[iip]) / 3.0
                f[iip] *= np.power(10.0, -0.4 * p["drop_mag"][gobj][iip] / (1.0 + np.exp(-np.clip(s, -50, 50)))).astype(np.float32)
        np.maximum(f, 0.0, out=f)
        f[t_rest <= 0] = 0.0
        flux_true = f * self.scale[gobj * nb + b]
        flux, err = noise(rng, flux_true.astype(np.float32), visit, b)
        return t_obs, b, flux, err


def _interp_rows(table: np.ndarray, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``table[row, z]`` (rows, TEMPLATE_Z_GRID) linearly interpolated in z."""
    from astrokeras.simulation.sources import interp_linear_rows

    return interp_linear_rows(np.ascontiguousarray(table), rows, z, _tp.TEMPLATE_Z_GRID)
