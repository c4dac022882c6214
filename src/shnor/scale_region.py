"""National-size synthetic data for the benchmarks: regions of schools with ВПР, ОГЭ and ЕГЭ
participant results in the contract's layouts, one data folder per region.

Written set-based by DuckDB (shnor/scale_region.sql): 85 regions × 470 schools × 37 pupils a
grade make ~30 M participant rows a year, about as many as the whole country's ВПР, ОГЭ and ЕГЭ.
Unlike `shnor demo` there is no known truth and no messy input: it is for measuring speed and
memory, and its smallest slices for tests. Each region folder is what `shnor run --data-dir`
reads; `parquet/` beside `raw/` holds the same participant rows as Parquet, for the benchmark's
floor (shnor reads CSV and XLSX).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

VPR_GRADES = (4, 5, 6, 7, 8)
FORMATS = ("csv", "parquet", "both")
MANIFEST = "manifest.csv"


@dataclass
class ScaleData:
    """What one generation wrote: the region folders and the participant rows of each file."""

    root: Path
    regions: list[Path] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # (region, file, rows)

    @property
    def participant_row_count(self) -> int:
        """Participant rows written (each once, whatever the formats)."""
        return sum(rows for _, name, rows in self.files if name.endswith(".csv"))


@cache
def statements() -> dict[str, str]:
    """The generator's SQL by name (the `-- name:` blocks of scale_region.sql)."""
    text = resources.files("shnor").joinpath("scale_region.sql").read_text("utf-8")
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.M)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def region_name(region: int) -> str:
    """The folder of a region: region_01 … region_85."""
    return f"region_{region:02d}"


def generate_scale_data(
    root: Path,
    *,
    regions: int = 85,
    schools_per_region: int = 470,
    pupils_per_grade: int = 37,
    years: Sequence[int] = (2024, 2025, 2026),
    municipalities: int = 20,
    seed: int = 20241,
    file_format: str = "csv",
    first_region: int = 1,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaleData:
    """Write regions first_region … first_region + regions − 1 under root; returns what was
    written. A region's folder must not exist yet (nothing is overwritten)."""
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    written = ScaleData(root)
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute(statements()["macros"])
    for region in range(first_region, first_region + regions):
        folder = root / region_name(region)
        if folder.exists():
            raise FileExistsError(f"{folder} уже существует: выберите пустую папку")
        if progress:
            progress(region_name(region))
        parameters = {
            "seed": seed,
            "region": region,
            "schools": schools_per_region,
            "municipalities": max(1, min(municipalities, schools_per_region)),
            "students": max(6, pupils_per_grade),
        }
        written.files += _write_region(con, folder, parameters, years, file_format)
        written.regions.append(folder)
    con.close()
    _append_manifest(root, written.files)
    return written


def _write_region(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    parameters: dict[str, int],
    years: Sequence[int],
    file_format: str,
) -> list[tuple[str, str, int]]:
    sql = statements()
    region = folder.name
    con.execute(sql["schools"], _used(sql["schools"], parameters))
    files: list[tuple[str, str, int]] = []
    _copy(con, sql["registry"], parameters, folder / "raw" / "schools" / "Реестр_ОО.csv")
    for year in years:
        at_year = parameters | {"year": year}
        _copy(con, sql["context"], at_year, folder / "raw" / "context" / str(year) / "паспорт.csv")
        con.execute(sql["pupils"], _used(sql["pupils"], at_year))
        vpr = [(sql["vpr"], at_year | {"grade": g}, f"vpr/{year}/ВПР_{g}") for g in VPR_GRADES]
        outputs = [
            *vpr,
            (sql["oge"], at_year, f"oge/{year}/ОГЭ_{year}"),
            (sql["ege"], at_year, f"ege/{year}/ЕГЭ_{year}"),
        ]
        for query, values, stem in outputs:
            for kind in ("csv", "parquet") if file_format == "both" else (file_format,):
                base = folder / ("raw" if kind == "csv" else "parquet")
                path = base / f"{stem}.{kind}"
                rows = _copy(con, query, values, path)
                files.append((region, path.relative_to(folder).as_posix(), rows))
    return files


def _used(query: str, parameters: dict[str, int]) -> dict[str, int]:
    """The parameters a statement names (DuckDB refuses unused named parameters)."""
    return {k: v for k, v in parameters.items() if f"${k}" in query}


def _copy(
    con: duckdb.DuckDBPyConnection, query: str, parameters: dict[str, int], path: Path
) -> int:
    """Write the query's rows to path (CSV with `;` and a header, or Parquet); returns rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet" if path.suffix == ".parquet" else "FORMAT csv, DELIMITER ';'"
    target = str(path).replace("'", "''")
    copied = con.execute(
        f"COPY ({query.rstrip(';')}) TO '{target}' ({options})", _used(query, parameters)
    ).fetchone()
    return int(copied[0]) if copied else 0


def _append_manifest(root: Path, files: list[tuple[str, str, int]]) -> None:
    """root/manifest.csv: one line per participant file (region, file, rows), for the tests and
    the benchmark to know the rows that went in."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / MANIFEST
    new = not path.exists()
    with open(path, "a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["region", "file", "rows"])
        writer.writerows(files)


def manifest_rows(root: Path, region: str | None = None, suffix: str = ".csv") -> int:
    """Participant rows the manifest lists (of one region, or all), in files of this suffix."""
    with open(root / MANIFEST, encoding="utf-8", newline="") as handle:
        return sum(
            int(row["rows"])
            for row in csv.DictReader(handle)
            if (region is None or row["region"] == region) and row["file"].endswith(suffix)
        )
