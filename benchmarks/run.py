"""Benchmarks of shnor on the demo region, each next to a baseline measured in the same run.

    .venv/bin/python benchmarks/run.py [--schools 600] [--csv-rows 2000000]
    .venv/bin/python benchmarks/run.py --only incremental|xlsx-ingest|joint-effect [--xlsx-mb 5]
    .venv/bin/python benchmarks/run.py --only vpr-exports [--schools 600] [--export-rows 600000]
    .venv/bin/python benchmarks/run.py --only scale [--scale region|national] [--regions N]
    .venv/bin/python benchmarks/run.py --only national-rerun --regions 5 --schools-per-region 100

Writes benchmarks/RESULTS.md (`--only X` rewrites only its own section; a whole run keeps the
others). Every measurement runs in a fresh subprocess so that its peak memory (max RSS) is its
own. Figures are seconds of wall-clock time on this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def measured(code: str) -> dict:
    """Run `code` in a subprocess; it prints a JSON dict; add its peak memory in MB."""
    wrapper = textwrap.dedent(
        """
        import json, resource, time
        started = time.perf_counter()
        result = {}
        exec(compile(CODE, "<bench>", "exec"))
        result.setdefault("seconds", round(time.perf_counter() - started, 3))
        result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print("RESULT" + json.dumps(result))
        """
    ).replace("CODE", repr(textwrap.dedent(code)))
    output = subprocess.run(
        [PYTHON, "-c", wrapper], check=True, capture_output=True, text=True, env=os.environ
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--csv-rows", type=int, default=2_000_000)
    parser.add_argument(
        "--only",
        choices=[
            "incremental",
            "xlsx-ingest",
            "vpr-exports",
            "joint-effect",
            "scale",
            "national-rerun",
        ],
        help="run one benchmark only",
    )
    parser.add_argument("--xlsx-mb", type=float, default=5.0)
    parser.add_argument("--export-rows", type=int, default=600_000)
    parser.add_argument(
        "--scale",
        choices=["region", "national"],
        default="region",
        help="scale benchmark: one region of 470 schools, or 85 of them (--regions to cut)",
    )
    parser.add_argument("--regions", type=int, help="regions of the national scale (85)")
    parser.add_argument("--schools-per-region", type=int, default=470)
    args = parser.parse_args()
    if args.only == "national-rerun":
        regions, schools = args.regions or 5, args.schools_per_region
        _write_section(
            NATIONAL_RERUN_TITLE, national_rerun_rows(regions, schools), args, NATIONAL_RERUN_NOTE
        )
        return
    if args.only == "scale" and args.scale == "national":
        rows = national_scale_rows(args.regions or 85, args.schools_per_region)
        _write_section(NATIONAL_SCALE_TITLE, rows, args, NATIONAL_SCALE_NOTE)
        return
    if args.only == "scale":
        rows = scale_rows(1, args.schools_per_region)
        _write_section(SCALE_TITLE.format(args.scale), rows, args, SCALE_NOTE)
        return
    if args.only == "vpr-exports":
        rows = vpr_export_rows(args.schools, args.export_rows)
        _write_section(EXPORTS_TITLE, rows, args, EXPORTS_NOTE)
        return
    if args.only == "joint-effect":
        _write_section(JOINT_TITLE, joint_effect_rows(), args, JOINT_NOTE)
        return
    if args.only == "xlsx-ingest":
        _write_section(XLSX_TITLE, xlsx_ingest_rows(args.xlsx_mb), args, XLSX_NOTE)
        return
    work = Path(tempfile.mkdtemp(prefix="shnor-bench-"))
    if args.only == "incremental":
        rows = incremental_rows(work / "incremental", args.schools)
        _write_section(INCREMENTAL_TITLE, rows, args, INCREMENTAL_NOTE)
        return
    region = work / "region"
    rows: list[tuple[str, str, dict, dict | None]] = []

    generated = measured(
        f"""
        from pathlib import Path
        from shnor.demo import generate_demo_region
        s = generate_demo_region(Path({str(region)!r}), seed=20241, school_count={args.schools})
        result["participant_rows"] = s.participant_row_count
        """
    )
    rows.append(("demo region generation", f"{args.schools} schools × 3 years", generated, None))

    full = measured(
        f"""
        import json
        from pathlib import Path
        from shnor.stages import run_annual
        run_annual(Path({str(region)!r}), "reference")
        manifest = json.loads(Path({str(region / "marts" / "run_manifest.json")!r}).read_text())
        result["stages"] = manifest["seconds"]
        """
    )
    rerun = measured(
        f"""
        from pathlib import Path
        from shnor.stages import run_annual
        r = run_annual(Path({str(region)!r}), "reference")
        result["unchanged_files"] = len(r["ingest"]["unchanged"])
        """
    )
    rows.append(
        (
            "annual run, all inputs new (no Prefect)",
            f"{generated['participant_rows']:,} participant rows; stages {full['stages']}",
            full,
            None,
        )
    )
    rows.append(("annual run again, inputs unchanged", "baseline: the full run above", rerun, full))

    xlsx = max(region.glob("raw/**/*.xlsx"), key=lambda p: p.stat().st_size)
    shnor_xlsx = measured(
        f"""
        from pathlib import Path
        from shnor.ingest.readers import read_file
        sheets = read_file(Path({str(xlsx)!r}), {xlsx.relative_to(region / "raw").parts[0]!r})
        result["rows"] = sum(s.table.num_rows for s in sheets if hasattr(s, "table"))
        """
    )
    openpyxl_xlsx = measured(
        f"""
        import openpyxl
        wb = openpyxl.load_workbook({str(xlsx)!r}, read_only=True, data_only=True)
        result["rows"] = sum(1 for ws in wb for _ in ws.iter_rows(values_only=True))
        """
    )
    size_mb = xlsx.stat().st_size / 1e6
    rows.append(
        (
            "XLSX read: shnor (calamine)",
            f"{xlsx.name}, {size_mb:.1f} MB, {shnor_xlsx['rows']:,} rows; baseline openpyxl",
            shnor_xlsx,
            openpyxl_xlsx,
        )
    )

    source = max(region.glob("raw/vpr/**/*.csv"), key=lambda p: p.stat().st_size)
    # the export's own name and grade folder: the subject and grade are only there
    year_folder = region / "raw" / "vpr" / source.relative_to(region / "raw" / "vpr").parts[0]
    big_csv = work / "vpr" / "2025" / source.relative_to(year_folder)
    big_csv.parent.mkdir(parents=True)
    _repeat_csv(source, big_csv, args.csv_rows)
    shnor_csv = measured(
        f"""
        from pathlib import Path
        from shnor.ingest.readers import read_file
        (sheet,) = read_file(Path({str(big_csv)!r}), "vpr")
        result["rows"] = sheet.table.num_rows
        """
    )
    pandas_csv = measured(
        f"""
        import pandas as pd
        from shnor.ingest.text import detect_encoding
        path = {str(big_csv)!r}
        encoding = detect_encoding(open(path, "rb").read(65536))
        frame = pd.read_csv(path, sep=None, engine="python", dtype=str, encoding=encoding)
        result["rows"] = len(frame)
        """
    )
    rows.append(
        (
            "CSV read: shnor (pyarrow)",
            f"{shnor_csv['rows']:,} ВПР rows, {big_csv.stat().st_size / 1e6:.0f} MB; "
            "baseline pandas (sniffed delimiter)",
            shnor_csv,
            pandas_csv,
        )
    )

    effects = measured(
        """
        import numpy as np, pandas as pd
        from shnor.methods.school_effect import school_effects
        rng = np.random.default_rng(1)
        schools, procedures = 40_000, 30
        n = rng.integers(5, 120, size=schools * procedures)
        theta = np.repeat(rng.normal(0, 0.5, schools), procedures)
        base = np.tile(rng.uniform(0.03, 0.2, procedures), schools)
        p = 1 / (1 + np.exp(-(np.log(base / (1 - base)) + theta)))
        frame = pd.DataFrame({
            "school_id": np.repeat(np.arange(schools), procedures),
            "procedure": np.tile(np.arange(procedures), schools),
            "participant_count": n, "fail_count": rng.binomial(n, p)})
        import time
        t = time.perf_counter(); school_effects(frame); result["seconds"] = time.perf_counter() - t
        """
    )
    rows.append(("school effect fit (EB)", "40 000 schools × 30 procedures", effects, None))
    _write_results(rows, args)
    _write_section(JOINT_TITLE, joint_effect_rows(), args, JOINT_NOTE)
    incremental = incremental_rows(work / "incremental", args.schools)
    _write_section(INCREMENTAL_TITLE, incremental, args, INCREMENTAL_NOTE)
    _write_section(XLSX_TITLE, xlsx_ingest_rows(args.xlsx_mb), args, XLSX_NOTE)
    _write_section(SCALE_TITLE.format("region"), scale_rows(1), args, SCALE_NOTE)


SCALE_TITLE = "Scale ({}): regions of the national data set, the floor and plain pandas"
SCALE_NOTE = (
    "`shnor scale-data` regions (470 schools, 37 pupils a grade, 2024–2026: ВПР grades 4–8, ОГЭ, "
    "ЕГЭ participant CSV; a registry and passports), each run by `run_annual` (no Prefect) in "
    "its own data folder, one after another; each stage timed in wall and CPU seconds (the "
    "process and its report workers). Peak MB here is the whole process tree (the run and its "
    "report workers, sampled every 0.2 s). The floor: "
    "DuckDB alone reading the same CSV (and the Parquet copy) and aggregating them to school × "
    "procedure (participants, fails) in one statement; plain pandas: read_csv of every file, "
    "the same aggregation by groupby. Ratio = baseline seconds / shnor seconds."
)

# One statement from the participant files to school × procedure: participants and fails (a
# mark 2, or an ЕГЭ score under 36 as a stand-in for the minimum scores).
FLOOR_SQL = """
SELECT split_part(filename, '/', -3) AS exam, split_part(filename, '/', -2) AS year,
       coalesce("Код ОО", "Код ОУ") AS school, "Предмет" AS subject,
       count(*) AS participants,
       count(*) FILTER (WHERE "Отметка" = 2 OR "Оценка" = 2 OR "Балл" < 36) AS fails
FROM read_{kind}({files}, union_by_name = true, filename = true{options})
GROUP BY ALL
"""
PANDAS_CODE = """
import glob, pandas as pd
parts = []
paths = [p for exam in ("vpr", "oge", "ege")
         for p in glob.glob(ROOT + f"/region_*/raw/{exam}/*/*.csv")]
for path in sorted(paths):
    frame = pd.read_csv(path, sep=";", dtype=str)
    exam, year = path.split("/")[-3], path.split("/")[-2]
    school = frame["Код ОО"] if "Код ОО" in frame else frame["Код ОУ"]
    mark = pd.to_numeric(frame.get("Отметка", frame.get("Оценка")), errors="coerce")
    score = pd.to_numeric(frame.get("Балл"), errors="coerce")
    fail = (mark == 2) | (score < 36)
    parts.append(pd.DataFrame({"exam": exam, "year": year, "school": school,
                               "subject": frame["Предмет"], "fail": fail}))
rows = pd.concat(parts, ignore_index=True)
table = rows.groupby(["exam", "year", "school", "subject"]).agg(
    participants=("fail", "size"), fails=("fail", "sum"))
result["groups"] = len(table)
"""


def scale_rows(regions: int, schools: int = 470) -> list[tuple[str, str, dict, dict | None]]:
    """The scale benchmark: generation, shnor per region, the floor and (one region) pandas."""
    root, rows = scale_data(regions, schools)
    data = rows[0][1]
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    runs = []
    for region in sorted(root.glob("region_*")):
        run = measured_tree(STAGED_RUN.format(region=str(region)))
        runs.append(run)
        for stage, seconds in run["stages"].items():
            stages[stage] = round(stages.get(stage, 0) + seconds, 1)
        for stage, seconds in run["cpu"].items():
            cpu[stage] = round(cpu.get(stage, 0) + seconds, 1)
    shnor = {
        "seconds": sum(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }
    total_cpu = round(sum(r["cpu_total"] for r in runs), 1)
    loads = [r["load"] for r in runs]
    floors = floor_runs(root)
    rows.append(
        (
            "shnor, all regions (run_annual each)",
            f"{data}; wall s by stage {stages}; CPU s by stage {cpu}, {total_cpu} CPU s in all "
            f"(the process tree); load average {min(loads)}–{max(loads)}; "
            "baseline: the floor, DuckDB reading the CSV",
            shnor,
            floors["csv"],
        )
    )
    rows.append(floor_row(floors))
    if regions == 1:
        plain = measured_tree(PANDAS_CODE.replace("ROOT", repr(str(root))))
        rows.append(
            (
                "shnor, one region, against plain pandas",
                f"pandas read_csv + groupby, {plain['groups']:,} groups, "
                f"{plain['cpu_total']} CPU s; shnor {total_cpu} CPU s",
                shnor,
                plain,
            )
        )
    return rows


def scale_data(regions: int, schools: int) -> tuple[Path, list[tuple[str, str, dict, None]]]:
    """`shnor scale-data` regions (CSV and a Parquet copy) in a new folder, and its row."""
    root = Path(tempfile.mkdtemp(prefix="shnor-scale-"))
    generated = measured_tree(
        f"""
        from pathlib import Path
        from shnor.scale_region import generate_scale_data
        s = generate_scale_data(
            Path({str(root)!r}), regions={regions}, schools_per_region={schools},
            file_format="both",
        )
        result["participant_rows"] = s.participant_row_count
        """
    )
    rows_in = generated["participant_rows"]
    data = f"{regions} × {schools} schools × 3 years, {rows_in:,} participant rows"
    return root, [("scale data generation", data, generated, None)]


def floor_runs(root: Path) -> dict[str, dict]:
    """The floor over every region of ROOT, from the CSV and from the Parquet copy."""
    floors = {}
    for kind, options in (("csv", ", delim = ';', header = true"), ("parquet", "")):
        folder = root / "region_*" / ("raw" if kind == "csv" else "parquet")
        files = repr([str(folder / exam / "*" / f"*.{kind}") for exam in ("vpr", "oge", "ege")])
        query = FLOOR_SQL.format(kind=kind, files=files, options=options)
        floors[kind] = measured_tree(
            f"""
            import duckdb
            result["groups"] = len(duckdb.sql({query!r}).fetchall())
            """
        )
    return floors


def floor_row(floors: dict[str, dict]) -> tuple[str, str, dict, dict]:
    return (
        "floor: DuckDB, CSV → school × procedure",
        f"{floors['csv']['groups']:,} groups, {floors['csv']['cpu_total']} CPU s; "
        f"baseline: the same from Parquet ({floors['parquet']['cpu_total']} CPU s)",
        floors["csv"],
        floors["parquet"],
    )


NATIONAL_SCALE_TITLE = "Scale (national): run-national on Dask, where its CPU goes"
NATIONAL_SCALE_NOTE = (
    "`shnor scale-data` regions (470 schools, 37 pupils a grade, 2024–2026: ВПР grades 4–8, ОГЭ, "
    "ЕГЭ participant CSV; a registry and passports) run as a user runs them: `shnor "
    "run-national --task-runner dask --workers 2` (Prefect, a local Dask cluster), measured as "
    "a whole process tree (benchmarks/process_tree.py: the flow process, the Prefect server, "
    "the forkserver and the Dask workers, each reaped by a child-subreaper wrapper, so tree CPU "
    "is every process's CPU; peak MB the tree's summed RSS, sampled every 0.5 s). The CPU is "
    "accounted for from the run's own log (ROOT/national_runs.jsonl: each region's step CPU, "
    "the rest of its run, its reports task, the national outputs) and by process (the Dask "
    "workers' CPU beyond those tasks: Prefect's task runs, imports, Dask; the flow process: "
    "Prefect's engine, the Dask scheduler, nannies, the console; the Prefect server); «idle "
    "cores» = wall × 2 − tree CPU. The floor: DuckDB alone reading the same CSV (and the "
    "Parquet copy) and aggregating them to school × procedure in one statement. Ratio = "
    "baseline seconds / shnor seconds."
)


def national_scale_rows(regions: int, schools: int) -> list[tuple[str, str, dict, dict | None]]:
    """The national scale: generation, run-national on Dask as a process tree and the floor."""
    from national_scale import accounting_text, national_run

    root, rows = scale_data(regions, schools)
    data = rows[0][1]
    run = national_run(root)
    floors = floor_runs(root)
    rows.append(
        (
            "shnor run-national (Dask, 2 workers)",
            f"{data}; exit {run['exit_code']}, regions {', '.join(run['statuses'])}; "
            f"{accounting_text(run['accounting'])}; CPU by process {run['cpu_by_kind']}; "
            f"load average {run['load'][0]:g}→{run['load'][1]:g}; "
            "baseline: the floor, DuckDB reading the CSV",
            run,
            floors["csv"],
        )
    )
    rows.append(floor_row(floors))
    return rows


# One region's run by `run_annual`, each stage timed in wall and CPU seconds (the process and
# its waited-for children: report workers), with the 1-minute load average at the end.
STAGED_RUN = """
import functools, os, resource, time
from pathlib import Path
import shnor.stages as stages

def process_cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

cpu, wall = {{}}, {{}}
def timed(name, step):
    @functools.wraps(step)
    def run(*args, **kwargs):
        before, started = process_cpu(), time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            cpu[name] = round(process_cpu() - before, 1)
            wall[name] = round(time.perf_counter() - started, 1)
    return run

for name in ("ingest", "build", "flag", "check", "publish"):
    setattr(stages, name + "_step", timed(name, getattr(stages, name + "_step")))
stages.run_annual(Path({region!r}), "reference")
result["stages"] = wall
result["cpu"] = cpu
result["cpu_total"] = round(process_cpu(), 1)
result["load"] = round(os.getloadavg()[0], 1)
"""


def measured_tree(code: str) -> dict:
    """As `measured`, with peak_mb the largest sum of RSS over the process and its children
    (report workers are forked), sampled every 0.2 s."""
    import threading

    import psutil  # installed with the locked environment (a dependency of its tools)

    wrapper = textwrap.dedent(
        """
        import json, resource, time
        started = time.perf_counter()
        result = {}
        exec(compile(CODE, "<bench>", "exec"))
        result.setdefault("seconds", round(time.perf_counter() - started, 3))
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.setdefault("cpu_total", round(
            own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 1))
        print("RESULT" + json.dumps(result))
        """
    ).replace("CODE", repr(textwrap.dedent(code)))
    process = subprocess.Popen(
        [PYTHON, "-c", wrapper], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, "benchmark")
    line = next(row for row in output.splitlines() if row.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT")) | {"peak_mb": round(peak / 2**20)}


JOINT_TITLE = "School effect: one model across years"
JOINT_NOTE = (
    "The joint model of docs/methodology.md (intercepts, τ and ρ by marginal likelihood, "
    "the forward "
    "pass with exact posteriors, predictive check) over 1 and 3 years, and over 3 years with "
    "context in the prior mean (β with τ and ρ), against the single-year "
    "fit (`school_effects`) of the first year, each in a fresh process; national size, ~10–290 "
    "results per procedure, ρ = 0.8. Seconds are wall-clock; the CPU seconds of the fit "
    "(`time.process_time`, all threads) and the machine's 1-minute load average are in the data "
    "column, since a shared machine's wall time varies with the other work on it."
)


def joint_effect_rows() -> list[tuple[str, str, dict, dict | None]]:
    """The national-size joint fit over 1 and 3 years beside one single-year fit."""
    single = measured(_JOINT_CODE.format(years=1, joint=False, context=False))
    rows = [
        (
            "single-year school effect (baseline)",
            f"40 000 schools × 30 procedures × 1 year; {_cpu_and_load(single)}",
            single,
            None,
        )
    ]
    for years, context in ((1, False), (3, False), (3, True)):
        joint = measured(_JOINT_CODE.format(years=years, joint=True, context=context))
        plural = "s" if years > 1 else ""
        rows.append(
            (
                f"joint school effect, {years} year{plural}{', context' if context else ''}",
                f"40 000 schools × 30 procedures × {years} year{plural}"
                f"{' with 3 context columns in the prior mean' if context else ''}; "
                f"{_cpu_and_load(joint)}; baseline: one year alone",
                joint,
                single,
            )
        )
    return rows


def _cpu_and_load(result: dict) -> str:
    """The CPU seconds and load average of a fit measured by `_JOINT_CODE`."""
    return f"CPU {result['cpu_seconds']:.2f} s, load {result['load']:.1f}"


_JOINT_CODE = """
import os, time, numpy as np, pandas as pd
from scipy.special import expit, logit
from shnor.methods.joint_effect import joint_school_effects
from shnor.methods.school_effect import school_effects
rng = np.random.default_rng(0)
schools, procedures = 40_000, 30
school = np.repeat(np.arange(schools), procedures)
procedure = np.tile(np.arange(procedures), schools)
effect = rng.normal(0, 0.5, schools)
size = rng.integers(5, 301, schools)
base = rng.uniform(0.02, 0.4, procedures)
side = np.random.default_rng(1)  # the context's own stream: the effects stay as without it
index = side.normal(0, 1, schools)
rural = (side.random(schools) < 0.3).astype(float)
level = 0.3 * index + 0.2 * rural if {context} else np.zeros(schools)
frames = []
for y in range({years}):
    effect = 0.8 * effect + 0.6 * rng.normal(0, 0.5, schools)
    n = rng.binomial(size[school], 0.8)
    fails = rng.binomial(n, expit(logit(base[procedure]) + effect[school] + level[school]))
    frames.append(pd.DataFrame({{"school_id": school, "exam_year": 2024 + y, "procedure": procedure,
                                "participant_count": n, "fail_count": fails}}))
data = pd.concat(frames, ignore_index=True)
context = pd.concat([pd.DataFrame({{"school_id": np.arange(schools), "exam_year": 2024 + y,
                                    "context_index": index, "is_rural": rural,
                                    "log_size": np.log(size)}}) for y in range({years})])
t, cpu = time.perf_counter(), time.process_time()
if {joint}:
    joint_school_effects(data, context=context if {context} else None)
else:
    school_effects(frames[0].drop(columns="exam_year"))
result["seconds"] = time.perf_counter() - t
result["cpu_seconds"] = time.process_time() - cpu
result["load"] = os.getloadavg()[0]
"""


INCREMENTAL_TITLE = "Incremental reruns"
INCREMENTAL_NOTE = (
    "Each run in a fresh process; seconds of `run_annual` (ingest → build → flag → check → "
    "publish, run history), the process's imports beside them; the build stages (ingest → build "
    "→ flag) also on their own. Reports are written by forked workers (one per core): peak MB is "
    "the measuring process's own. Ratio = full / rerun; the target for a rerun after one new "
    "file is ≤ 20% of a full build (ratio ≥ 5×)."
)
XLSX_TITLE = "Ingest: a 5 MB XLSX"
XLSX_NOTE = "Baselines in the same run."


def incremental_rows(region: Path, schools: int) -> list[tuple[str, str, dict, dict | None]]:
    """Full build with one ВПР file held back, a rerun after adding it, an unchanged rerun."""
    measured(
        f"""
        from pathlib import Path
        from shnor.demo import generate_demo_region
        generate_demo_region(Path({str(region)!r}), seed=20241, school_count={schools})
        """
    )
    added = sorted((region / "raw" / "vpr").rglob("*.csv"))[-1]
    held = region.parent / added.name
    added.rename(held)
    # `seconds` is the run itself; the process's start and imports (the same for every run,
    # several seconds on a loaded machine) are reported beside it.
    run = f"""
        import time
        from pathlib import Path
        started = time.perf_counter()
        from shnor.stages import run_annual
        result["import_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        r = run_annual(Path({str(region)!r}), "reference")
        result["seconds"] = round(time.perf_counter() - started, 3)
        result["stages"] = r["steps"]
        result["rebuilt"] = r["build"]["rebuilt"]
        result["files"] = len(r["ingest"]["loaded"]) + len(r["ingest"]["unchanged"])
        """
    full = measured(run)
    held.rename(added)
    after_adding = measured(run)
    unchanged = measured(run)
    source = added.relative_to(region / "raw").as_posix()
    build_full = _build_stages(full)
    return [
        (
            "full build",
            f"{full['files']} files, {schools} schools (no Prefect); steps {full['stages']}; "
            f"imports {full['import_seconds']} s",
            full,
            None,
        ),
        (
            "rerun after adding one file",
            f"{source} ({added.stat().st_size / 1e6:.1f} MB); rebuilt years "
            f"{after_adding['rebuilt'].get('years')}; steps {after_adding['stages']}; "
            f"imports {after_adding['import_seconds']} s",
            after_adding,
            full,
        ),
        (
            "rerun, inputs unchanged",
            f"steps {unchanged['stages']}; imports {unchanged['import_seconds']} s",
            unchanged,
            full,
        ),
        (
            "build stages of the full build",
            "ingest → build → flag of the full build above (reading, raw checks, marts, flags)",
            build_full,
            None,
        ),
        (
            "build stages after adding one file",
            "the same stages of the rerun after adding one file",
            _build_stages(after_adding),
            build_full,
        ),
    ]


def _build_stages(run: dict) -> dict:
    """The ingest, build and flag seconds of a run (the incremental build), peak as the run's."""
    seconds = sum(run["stages"].get(stage) or 0 for stage in ("ingest", "build", "flag"))
    return {"seconds": round(seconds, 3), "peak_mb": run["peak_mb"]}


def xlsx_ingest_rows(target_mb: float) -> list[tuple[str, str, dict, dict | None]]:
    """A ВПР participant workbook of about `target_mb` MB (title rows, task columns) and an ЕГЭ
    summary workbook of 1 500 schools × 21 subjects × 2 years: read by shnor (calamine) and
    by openpyxl (read-only, values only) in the same run, and loaded into DuckDB."""
    work = Path(tempfile.mkdtemp(prefix="shnor-bench-xlsx-"))
    participants = work / "raw" / "vpr" / "2025" / "vpr_participants.xlsx"
    participants.parent.mkdir(parents=True)
    rows_written = measured(
        f"""
        import random, xlsxwriter
        rng = random.Random(5)
        book = xlsxwriter.Workbook({str(participants)!r}, {{"constant_memory": True}})
        sheet = book.add_worksheet("Результаты")
        sheet.write_row(0, 0, ["Результаты ВПР 2025"])
        header = ["Код ОО", "Муниципалитет", "Название ОО", "Класс", "Предмет", "Код участника",
                  "Вариант", "Первичный балл", "Отметка", "Отметка по журналу"]
        header += [str(t) for t in range(1, 11)]
        sheet.write_row(2, 0, header)
        row = 3
        rows = int({target_mb} * 1e6 / 77)  # ~77 bytes per row in compressed XLSX
        for i in range(rows):
            school = rng.randint(1, 1500)
            score = rng.randint(0, 20)
            sheet.write_row(row, 0, [
                f"sch{{school:06d}}", f"Район {{school % 40}}", f"МБОУ СОШ № {{school}}",
                f"{{rng.randint(4, 8)}}А", rng.choice(["Математика", "Русский язык"]),
                f"p{{i}}", rng.randint(1, 20), score, 2 + min(3, score // 5),
                rng.randint(2, 5), *[rng.randint(0, 2) for _ in range(10)]])
            row += 1
        book.close()
        result["rows"] = rows
        """
    )
    summary = work / "raw" / "ege" / "2025" / "svod.xlsx"
    summary.parent.mkdir(parents=True)
    measured(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(HERE.parent / "tests")!r})
        from summary_workbooks import summary_region, write_summary_workbook
        write_summary_workbook(Path({str(summary)!r}), summary_region(seed=3, schools=1500))
        """
    )
    out = []
    for path, folder, label in (
        (participants, "vpr", f"ВПР participants, {rows_written['rows']:,} rows × 20 columns"),
        (summary, "ege", "ЕГЭ summary workbook, 1 500 schools × 21 subjects × 2 sheets"),
    ):
        # Both time the reading only (imports done first: a run has them loaded already).
        shnor_read = measured(
            f"""
            import time
            from pathlib import Path
            import pandas, pyarrow
            from shnor.ingest.readers import read_file
            t = time.perf_counter()
            sheets = read_file(Path({str(path)!r}), {folder!r})
            result["seconds"] = time.perf_counter() - t
            result["rows"] = sum(s.table.num_rows for s in sheets if hasattr(s, "table"))
            """
        )
        openpyxl_read = measured(
            f"""
            import time
            import openpyxl
            t = time.perf_counter()
            wb = openpyxl.load_workbook({str(path)!r}, read_only=True, data_only=True)
            result["rows"] = sum(1 for ws in wb for _ in ws.iter_rows(values_only=True))
            result["seconds"] = time.perf_counter() - t
            """
        )
        size = f"{path.stat().st_size / 1e6:.1f} MB"
        out.append(
            (
                "XLSX read: shnor (calamine → Arrow)",
                f"{label}, {size}; {shnor_read['rows']:,} rows out; baseline openpyxl "
                "(read-only, values; rows only, no layout)",
                shnor_read,
                openpyxl_read,
            )
        )
        loaded = measured(
            f"""
            from pathlib import Path
            import duckdb
            from shnor import warehouse
            from shnor.stages.build import build
            from shnor.stages.ingest import map_subjects
            from shnor.ingest.raw_load import ingest_raw
            import shutil, tempfile, time
            raw = Path(tempfile.mkdtemp()) / "raw"
            target = raw / Path({str(path)!r}).relative_to({str(work / "raw")!r})
            target.parent.mkdir(parents=True)
            shutil.copy({str(path)!r}, target)
            with warehouse.connect(":memory:") as con:
                warehouse.prepare_connection(con, None)
                t = time.perf_counter()
                summary = ingest_raw(con, raw)
                result["seconds"] = time.perf_counter() - t
            result["rows"] = summary.rows_loaded
            """
        )
        out.append(
            (
                "XLSX ingest into raw.* (read, checks, DuckDB insert)",
                f"{label}, {size}; into an in-memory warehouse",
                loaded,
                None,
            )
        )
    return out


EXPORTS_TITLE = "Ingest: a region's ФИС ОКО ВПР exports"
EXPORTS_NOTE = (
    "A region's year of ВПР participant exports as ФИС ОКО gives them (2020–2021 style: one "
    "workbook per subject and grade, subject and grade in the file name, task columns), written "
    "by tests/vpr_export_files.py; read, checked and loaded by `ingest_raw` into an in-memory "
    "warehouse, then staged (marks from the scales) by the SQL build."
)


def vpr_export_rows(schools: int, total_rows: int) -> list[tuple[str, str, dict, dict | None]]:
    """A region's year of ФИС ОКО ВПР exports (30 workbooks, `schools` schools, about
    `total_rows` rows): read alone, then ingested (read, raw checks, DuckDB insert), then built."""
    work = Path(tempfile.mkdtemp(prefix="shnor-bench-exports-"))
    setup = f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(HERE.parent / "tests")!r})
        from vpr_export_files import WORKS, _work, write_region, write_scales
        EXTRA = tuple(
            _work(g, dative, name, code, [2, 2, 3, 2, 3, 2, 2, 3])
            for g, dative, name, code in (
                (6, "истории", "История", "history"), (7, "истории", "История", "history"),
                (8, "истории", "История", "history"),
                (6, "обществознанию", "Обществознание", "social_studies"),
                (7, "обществознанию", "Обществознание", "social_studies"),
                (8, "обществознанию", "Обществознание", "social_studies"),
                (7, "географии", "География", "geography"),
                (8, "географии", "География", "geography"),
                (5, "биологии", "Биология", "biology"), (6, "биологии", "Биология", "biology"),
                (8, "биологии", "Биология", "biology"), (8, "химии", "Химия", "chemistry"),
                (7, "немецкому языку", "Немецкий язык", "german"),
            )
        )
        ALL = WORKS + EXTRA
        """
    generated = measured(
        setup
        + f"""
        truth = write_region(Path({str(work / "raw")!r}), 2021, school_count={schools},
                             rows_per_file={total_rows} // len(ALL), works=ALL)
        write_scales(Path({str(work / "reference")!r}), 2021, ALL)
        result["rows"] = truth.rows
        result["files"] = len(truth.files)
        """
    )
    files = f"{generated['files']} workbooks, {schools} schools, {generated['rows']:,} rows"
    read = measured(
        f"""
        import time
        from pathlib import Path
        import pandas, pyarrow
        from shnor.ingest.readers import read_file
        t = time.perf_counter()
        rows = 0
        for path in sorted(Path({str(work / "raw" / "vpr")!r}).rglob("*.xlsx")):
            rows += sum(s.table.num_rows for s in read_file(path, "vpr") if hasattr(s, "table"))
        result["seconds"] = time.perf_counter() - t
        result["rows"] = rows
        """
    )
    loaded = measured(
        f"""
        import time
        from pathlib import Path
        from shnor import warehouse
        from shnor.stages.build import build
        from shnor.stages.ingest import map_subjects
        from shnor.ingest.raw_load import ingest_raw
        from shnor.presets import load_preset
        reference = Path({str(work / "reference")!r})
        with warehouse.connect(":memory:") as con:
            warehouse.prepare_connection(con, reference)
            t = time.perf_counter()
            summary = ingest_raw(con, Path({str(work / "raw")!r}), reference)
            result["ingest_seconds"] = round(time.perf_counter() - t, 3)
            result["quarantined"] = len(summary.quarantined)
            result["rows"] = summary.rows_loaded
            map_subjects(con, reference)
            b = time.perf_counter()
            build(con, load_preset())
            result["build_seconds"] = round(time.perf_counter() - b, 3)
            result["seconds"] = result["ingest_seconds"]
        """
    )
    built = {"seconds": loaded["build_seconds"], "peak_mb": loaded["peak_mb"]}
    return [
        ("generation (xlsxwriter)", files, generated, None),
        ("XLSX read: shnor (calamine → Arrow)", f"{files}; {read['rows']:,} rows out", read, None),
        (
            "ingest into raw.* (read, raw checks, DuckDB insert)",
            f"{files}; {loaded['rows']:,} rows loaded, {loaded['quarantined']} quarantined",
            loaded,
            None,
        ),
        ("SQL build (staging → marts) after that ingest", files, built, None),
    ]


NATIONAL_RERUN_TITLE = "National rerun after one region's new file"
NATIONAL_RERUN_NOTE = (
    "`shnor scale-data` regions (37 pupils a grade, 2024–2026), run by `shnor.national."
    "run_national` (regions one after another, no Prefect) in one process: the national build, "
    "then a rerun after region_02's ОГЭ file of 2026 is corrected (its last 40 rows withdrawn), "
    "then a rerun with nothing changed. **Seconds here are CPU seconds** (the process and its "
    "forked report workers), not wall time: the machine is shared (its 1-minute load average "
    "before and after each step is in the data column). Peak MB is the whole process tree over "
    "the three steps (sampled every 0.2 s). Ratio = build / rerun; the target (issue 17) is a "
    "rerun ≤ 20% of the build."
)


def national_rerun_rows(regions: int, schools: int) -> list[tuple[str, str, dict, dict | None]]:
    """The national build, the rerun after one region's corrected file and an unchanged rerun."""
    root = Path(tempfile.mkdtemp(prefix="shnor-national-")) / "nation"
    code = f"""
import os, resource
from pathlib import Path
from shnor.national import run_national
from shnor.scale_region import generate_scale_data

def cpu():
    used = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in used)

root = Path({str(root)!r})
written = generate_scale_data(root, regions={regions}, schools_per_region={schools})
result["rows"] = written.participant_row_count
for name in ("build", "one_region", "unchanged"):
    if name == "one_region":
        path = root / "region_02" / "raw" / "oge" / "2026" / "ОГЭ_2026.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:-40]), encoding="utf-8")
    before, load = cpu(), os.getloadavg()[0]
    run = run_national(root, "reference")
    result[name] = {{
        "cpu": round(cpu() - before, 2),
        "load": [round(load, 1), round(os.getloadavg()[0], 1)],
        "statuses": [r["status"] for r in run["regions"]],
        "region_cpu": [r["cpu_seconds"] for r in run["regions"]],
        "national": run["national"]["status"],
        "national_seconds": run["national"]["seconds"],
    }}
"""
    found = measured_tree(code)
    data = f"{regions} × {schools} schools × 3 years, {found['rows']:,} participant rows"

    def row(name: str) -> dict:
        return {"seconds": found[name]["cpu"], "peak_mb": found["peak_mb"]}

    def said(name: str) -> str:
        step = found[name]
        statuses = ", ".join(
            f"{status} {cpu:.2f} s" for status, cpu in zip(step["statuses"], step["region_cpu"],
                                                           strict=True)
        )  # fmt: skip
        return (
            f"regions (CPU in-process): {statuses}; national outputs {step['national']}; "
            f"load {step['load'][0]:g}→{step['load'][1]:g}"
        )

    build = row("build")
    share = found["one_region"]["cpu"] / found["build"]["cpu"]
    return [
        ("national build", f"{data}; {said('build')}", build, None),
        (
            "rerun after one region's corrected file",
            f"{said('one_region')}; **{share:.1%} of the build**",
            row("one_region"),
            build,
        ),
        ("rerun, nothing changed", said("unchanged"), row("unchanged"), build),
    ]


def _write_section(title: str, rows: list, args: argparse.Namespace, note: str) -> None:
    """Replace (or add) one `## title` section of RESULTS.md, leaving the rest as measured."""
    lines = [
        f"## {title}",
        "",
        f"Measured {dt.date.today().isoformat()} by `benchmarks/run.py "
        + (f"--only {args.only} " if args.only else "")
        + (f"--scale {args.scale} " if args.only == "scale" else "")
        + (
            f"--regions {args.regions} "
            if args.only in ("scale", "national-rerun") and args.regions
            else ""
        )
        + (
            f"--schools-per-region {args.schools_per_region} "
            if args.only in ("scale", "national-rerun") and args.schools_per_region != 470
            else ""
        )
        + f"--schools {args.schools} --xlsx-mb {args.xlsx_mb:g}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. {note}",
        "",
        *_table(rows),
    ]
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    head, _, rest = text.partition(f"\n## {title}\n")
    tail = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
    path.write_text(
        head.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n" + ("\n" + tail if tail else ""),
        encoding="utf-8",
    )
    print("\n".join(lines))


def _table_lines(rows: list) -> list[str]:
    lines = []
    for name, data, result, baseline in rows:
        base_s = f"{baseline['seconds']:.2f}" if baseline else ""
        base_mb = f"{baseline['peak_mb']}" if baseline else ""
        ratio = f"{_ratio(baseline['seconds'] / result['seconds'])}×" if baseline else ""
        lines.append(
            f"| {name} | {data} | {result['seconds']:.2f} | {result['peak_mb']} | {base_s} | "
            f"{base_mb} | {ratio} |"
        )
    return lines


def _ratio(value: float) -> str:
    """One decimal, or two significant digits under 1 (a baseline far faster than shnor)."""
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


def _repeat_csv(source: Path, target: Path, rows: int) -> None:
    """A CSV of about `rows` data rows: the source's header, then its body repeated."""
    lines = source.read_bytes().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    with open(target, "wb") as handle:
        handle.write(header)
        written = 0
        while written < rows:
            chunk = body[: rows - written]
            handle.writelines(chunk)
            written += len(chunk)


def _table(rows: list) -> list[str]:
    lines = [
        "| what | data | seconds | peak MB | baseline s | baseline MB | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    return lines + _table_lines(rows)


def _write_results(rows: list, args: argparse.Namespace) -> None:
    """Rewrite the main section of RESULTS.md; sections of `--only` benchmarks stay."""
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.date.today().isoformat()} by `benchmarks/run.py --schools {args.schools} "
        f"--csv-rows {args.csv_rows}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Wall-clock seconds; peak memory is the max RSS "
        "of the measuring process. Ratio = baseline time / shnor time (higher is better).",
        "",
        *_table(rows),
    ]
    path = HERE / "RESULTS.md"
    kept = path.read_text(encoding="utf-8").partition("\n## ")[1:] if path.exists() else ()
    path.write_text("\n".join(lines) + "\n" + "".join(kept), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
