"""Read a probes run directory, or a sweep, into pandas, with every value exactly as the tool wrote it.

Copy this file and probes_schema.json beside your notebook (standard library and pandas only; no install step):

    from probes_reader import read_run, read_sweep
    run = read_run("runs/quick")          # run.config, run.settings, run.summary: dicts; run.train, run.probes, run.spectra,
    run.probes[["step", "eta_ntk_1"]]     #   run.density, run.flows: DataFrames (None where the run has no such file)
    sweep = read_sweep("sweeps/lr")       # one row per point: its index, run directory, grid values, state and summary

Floats are parsed with float_precision="round_trip", so each equals the float64 the tool computed, bit for bit; steps,
indices, matvec counts and flags are integers (pandas' nullable Int64 where a probe can leave them empty); empty cells
are NaN. The column names and types come from probes_schema.json, which the tool's own schemas generate (a test keeps
it in step); a file with other columns is read as it is, with a warning naming them.
"""
import json
import os
import warnings
from dataclasses import dataclass
from typing import Optional

import pandas as pd

_SCHEMA = None


class NotARun(ValueError):
    """The path is not what the reader was asked to read; the message is one line."""


def schema(file: str, k: int = 2) -> list:
    """The columns of `file` (train.csv, probes.csv, spectra.csv, density.csv, central-flow.csv) for k eigenpairs."""
    entry = _schema()[file]
    columns = []
    for name in entry["columns"]:
        columns.extend(name.replace("{i}", str(i)) for i in range(1, k + 1)) if "{i}" in name else columns.append(name)
    return columns


def _schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "probes_schema.json"), encoding="utf-8") as f:
            _SCHEMA = json.load(f)
    return _SCHEMA


@dataclass
class Run:
    """One run directory: config.json (config; its resolved settings as settings), summary.json, and the traces."""
    path: str
    config: dict
    settings: dict
    summary: Optional[dict]
    train: pd.DataFrame
    probes: Optional[pd.DataFrame]
    spectra: Optional[pd.DataFrame]
    density: Optional[pd.DataFrame]
    flows: dict


def read_run(path: str) -> Run:
    """The run in `path`. Raises NotARun (one line) when `path` holds no config.json and train.csv."""
    config_path, train_path = os.path.join(path, "config.json"), os.path.join(path, "train.csv")
    if not (os.path.isfile(config_path) and os.path.isfile(train_path)):
        raise NotARun(f"{path} is not a probes run directory (it has no config.json and train.csv)")
    config = _json(config_path)
    settings = config.get("settings", {})
    k = int(settings.get("probe_k", 2))
    flows = {}
    for name in sorted(os.listdir(path)):
        flow = os.path.join(path, name, "central-flow.csv")
        if os.path.isfile(flow):
            checkpoint = os.path.join(path, name, "central-flow.json")
            flow_k = int(_json(checkpoint).get("options", {}).get("k", 3)) if os.path.isfile(checkpoint) else 3
            flows[name] = _csv(flow, "central-flow.csv", flow_k)
    return Run(
        path=path,
        config=config,
        settings=settings,
        summary=_json(os.path.join(path, "summary.json")) if os.path.isfile(os.path.join(path, "summary.json")) else None,
        train=_csv(train_path, "train.csv", k),
        probes=_optional(path, "probes.csv", k),
        spectra=_optional(path, "spectra.csv", k),
        density=_optional(path, "density.csv", k),
        flows=flows,
    )


def read_sweep(path: str) -> pd.DataFrame:
    """A sweep's points (sweep.json) joined with each point's summary.json, flattened (eos.onset_step, final.loss, …)."""
    manifest_path = os.path.join(path, "sweep.json")
    if not os.path.isfile(manifest_path):
        raise NotARun(f"{path} is not a probes sweep directory (it has no sweep.json)")
    manifest = _json(manifest_path)
    rows = []
    for point in manifest.get("points", []):
        run_dir = os.path.join(path, point["run_dir"])
        row = {"index": point["index"], "run_dir": run_dir}
        row.update(point.get("settings", {}))
        summary_path = os.path.join(run_dir, "summary.json")
        summary = _json(summary_path) if os.path.isfile(summary_path) else {"status": "not started"}
        row.update(pd.json_normalize(summary, sep=".").iloc[0].to_dict())
        rows.append(row)
    return pd.DataFrame(rows)


def _optional(path: str, file: str, k: int) -> Optional[pd.DataFrame]:
    full = os.path.join(path, file)
    return _csv(full, file, k) if os.path.isfile(full) else None


def _csv(path: str, file: str, k: int) -> pd.DataFrame:
    entry = _schema()[file]
    text = set(entry["text"])
    frame = pd.read_csv(path, float_precision="round_trip", dtype={c: str for c in text}, keep_default_na=False,
                        na_values={c: ["", "NaN"] for c in schema(file, k) if c not in text})
    unknown = [c for c in frame.columns if c not in schema(file, k)]
    if unknown:
        warnings.warn(f"{path}: columns this reader does not know, read as floats: {', '.join(unknown)}")
    for column in frame.columns:
        if column in text:
            continue
        frame[column] = pd.to_numeric(frame[column], errors="raise")
        if column in entry["integer"] or column.endswith("_iters"):
            frame[column] = frame[column].astype("Int64")
    return frame


def _json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


if __name__ == "__main__":
    import sys
    try:
        for target in sys.argv[1:]:
            if os.path.isfile(os.path.join(target, "sweep.json")):
                print(read_sweep(target).to_string())
            else:
                run = read_run(target)
                print(f"{target}: {len(run.train)} steps, {0 if run.probes is None else len(run.probes)} probes, "
                      f"status {None if run.summary is None else run.summary.get('status')}")
    except NotARun as e:
        print(f"probes_reader: {e}", file=sys.stderr)
        sys.exit(2)
