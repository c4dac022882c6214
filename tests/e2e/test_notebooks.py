"""The analyst notebooks: stored clean, and run end to end on a small demo region.

Each notebook is executed with nbclient on a demo region published by `run_annual`; the test
sets the notebook's parameters cell (or $SHNOR_DATA_DIR), appends a probe cell that prints the
notebook's own results as JSON, and checks them against the marts read here with plain pandas.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = (
    "01_municipality_list.ipynb",
    "02_school_over_years.ipynb",
    "03_methodology_sensitivity.ipynb",
    "04_shnor_shnsu_map.ipynb",
)
CELL_TIMEOUT = 120
KERNEL = "python3"
PROBE = "NOTEBOOK-PROBE:"
# Turns numpy scalars into Python numbers so the probe's JSON keeps them numeric.
PROBE_CODE = """import json as _json
print({marker!r} + _json.dumps({expression}, ensure_ascii=False,
      default=lambda o: o.item() if hasattr(o, "item") else str(o)))"""


def parameters_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "a notebook needs exactly one cell tagged «parameters»"
    return tagged[0]


def parameter_names(source: str) -> list[str]:
    return [line.split("=")[0].strip() for line in source.splitlines() if "=" in line]


# --- the stored notebooks -------------------------------------------------------------------


def test_the_notebooks_are_the_four_expected():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == list(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebooks_have_no_outputs(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: clear the outputs before committing"
            assert cell.execution_count is None, f"{name}: clear the execution counts"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_start_with_parameters_and_read_only_marts(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0] is parameters_cell(notebook), "the parameters cell comes first"
    assert {"DATA_DIR = None", "YEAR = None"} <= set(code[0].source.splitlines())
    assert notebook.metadata["kernelspec"]["name"] == KERNEL
    source = "\n".join(cell.source for cell in code)
    assert "from shnor import marts" in source
    for forbidden in ("duckdb", "read_parquet", "shnor.warehouse"):
        assert forbidden not in source, f"{name} must read through shnor.marts only"


# --- running them ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo region (80 schools × 3 years) published by the annual run."""
    from shnor.demo import generate_demo_region
    from shnor.stages import run_annual

    data_dir = tmp_path_factory.mktemp("notebook_region")
    generate_demo_region(data_dir, seed=5, school_count=80, year_count=3)
    run_annual(data_dir, "reference")
    return data_dir


@pytest.fixture(scope="module")
def marts_frames(region: Path) -> dict[str, pd.DataFrame]:
    """The marts as published, read here without shnor.marts."""
    folder = region / "marts"
    flags = pd.read_parquet(folder / "fct_school_flags.parquet")
    schools = pd.read_parquet(folder / "dim_schools.parquet")
    latest = flags[flags["exam_year"] == flags["exam_year"].max()]
    return {"flags": flags, "latest": latest.merge(schools, on="school_id"), "schools": schools}


def _kernel_is_this_python(argv: list[str]) -> bool:
    """jupyter_client runs a bare `python` as sys.executable; an absolute path must be ours."""
    major, minor = sys.version_info[:2]
    if argv[0] in {"python", f"python{major}", f"python{major}.{minor}"}:
        return True
    return Path(argv[0]).absolute() == Path(sys.executable).absolute()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A "python3" kernel running this interpreter: the venv's own, else one made in a temp dir
    (found through JUPYTER_PATH) — nothing is installed outside the test's folders."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    with pytest.MonkeyPatch.context() as patch:
        try:
            usable = _kernel_is_this_python(KernelSpecManager().get_kernel_spec(KERNEL).argv)
        except NoSuchKernel:
            usable = False
        if not usable:
            from ipykernel.kernelspec import install

            prefix = tmp_path_factory.mktemp("jupyter")
            install(kernel_name=KERNEL, prefix=str(prefix))
            patch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        yield KERNEL


def execute(
    name: str,
    workdir: Path,
    kernel_name: str,
    parameters: dict[str, Any],
    probe: str,
) -> tuple[dict[str, Any], str]:
    """Run a notebook with these parameters; return the probe's values and all printed text."""
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    cell = parameters_cell(notebook)
    names = parameter_names(cell.source)
    assert set(parameters) <= set(names), f"{name} has no parameter {set(parameters) - set(names)}"
    kept = [line for line in cell.source.splitlines() if parameter_names(line)[0] not in parameters]
    cell.source = "\n".join([*kept, *(f"{key} = {value!r}" for key, value in parameters.items())])
    notebook.cells.append(
        nbformat.v4.new_code_cell(PROBE_CODE.format(marker=PROBE, expression=probe))
    )
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    printed = []
    for code in (c for c in notebook.cells if c.cell_type == "code"):
        for output in code.outputs:
            assert output.output_type != "error", f"{name}: {output.ename}: {output.evalue}"
            if output.output_type == "stream":
                printed.append(output.text)
    text = "".join(printed)
    return json.loads(text.split(PROBE, 1)[1]), text


@pytest.mark.slow
def test_municipality_list(region, kernel, marts_frames):
    values, printed = execute(
        "01_municipality_list.ipynb",
        region,
        kernel,
        {"DATA_DIR": str(region)},
        "{'municipality': municipality, 'year': year, 'shnor_count': shnor_count, "
        "'schools': list(listing['school_id']), 'profiled': list(profiled['school_id'])}",
    )
    latest = marts_frames["latest"]
    per_municipality = latest.groupby("municipality_name")["is_on_shnor_list"].sum()
    assert values["year"] == latest["exam_year"].iloc[0]
    # The default municipality has the most ШНОР, and its count is the marts' count.
    assert values["shnor_count"] == per_municipality.max() > 0
    assert values["shnor_count"] == per_municipality[values["municipality"]]
    own = latest[latest["municipality_name"] == values["municipality"]]
    assert sorted(values["schools"]) == sorted(own["school_id"])
    flagged = own[own["is_on_shnor_list"] | own["is_risk_group"]]
    assert sorted(values["profiled"]) == sorted(flagged["school_id"])
    assert f"ШНОР {values['shnor_count']}, группа риска {len(own[own['is_risk_group']])}" in printed


@pytest.mark.slow
def test_school_over_years(region, kernel, marts_frames):
    values, printed = execute(
        "02_school_over_years.ipynb",
        region,
        kernel,
        {"DATA_DIR": str(region)},
        "{'school_id': school_id, 'years': list(history['exam_year']), "
        "'composite': list(history['composite_score']), 'procedures': len(comparison), "
        "'gap_years': list(yearly_gap.index)}",
    )
    latest, flags = marts_frames["latest"], marts_frames["flags"]
    shnor = latest[latest["is_on_shnor_list"]]
    worst = shnor.sort_values("composite_score", ascending=False)["school_id"].iloc[0]
    assert values["school_id"] == worst  # the default: the worst ШНОР school
    own = flags[flags["school_id"] == worst].sort_values("exam_year")
    assert values["years"] == list(own["exam_year"]) == [2024, 2025, 2026]
    assert values["composite"] == pytest.approx(list(own["composite_score"]))
    assert values["procedures"] > 0
    assert values["gap_years"] == [2024, 2025, 2026]
    name = marts_frames["schools"].set_index("school_id").loc[worst, "school_name"]
    assert f"{name} ({worst})" in printed


@pytest.mark.slow
def test_methodology_sensitivity(region, kernel, marts_frames):
    values, printed = execute(
        "03_methodology_sensitivity.ipynb",
        region,
        kernel,
        {"DATA_DIR": str(region)},
        "{'sensitivity': sensitivity.to_dict('records'),"
        " 'decisions': decisions.to_dict('records')}",
    )
    latest = marts_frames["latest"]
    table = pd.DataFrame(values["sensitivity"])
    assert len(table) == 3 * 2 * 2
    same = table[table["is_published_method"]]
    assert len(same) == 1
    # The published methodology recomputed from the marts gives the published list exactly.
    row = same.iloc[0]
    assert (row["low_share"], row["pool_by"], row["shrinkage"]) == (0.10, "region", True)
    assert row["low_count"] == latest["is_low_result"].sum()
    assert row["shnor_count"] == latest["is_stable_low"].sum()
    assert row["changed"] == row["low_changed"] == 0
    assert "Проверка пройдена" in printed
    # A wider cut-off never flags fewer schools.
    region_pool = table[(table["pool_by"] == "region") & table["shrinkage"]]
    assert region_pool.sort_values("low_share")["low_count"].is_monotonic_increasing
    assert (table["changed"] == table["entered"] + table["left"]).all()
    # The second section: one decision at a time against the run's own method.
    decisions = pd.DataFrame(values["decisions"]).set_index(["Вариант", "Множество"])
    as_run = decisions.loc["как в запуске"]
    assert as_run.loc["низкие два года подряд", "Школ"] == latest["is_stable_low"].sum()
    assert as_run.loc["подтверждено", "Школ"] == latest["is_stable_low_confirmed"].sum()
    assert (as_run["Жаккар"] == 1.0).all() and (as_run["Вошли"] + as_run["Вышли"] == 0).all()
    # A fixed persistence never moves «low results» (each year ranked by its own evidence). It
    # moves the joint model's probabilities, and with them «low two years running» (the schools
    # most likely low in both years: it may or may not change on a given region) and who is
    # likely low next year.
    for rho in ("ρ = 0.5 (задана)", "ρ = 0.9 (задана)"):
        assert decisions.loc[(rho, "низкие результаты"), "Жаккар"] == 1.0
    likely = decisions.xs("вероятно низкие в следующем году", level="Множество")["Школ"]
    assert likely["ρ = 0.9 (задана)"] != likely["ρ = 0.5 (задана)"]
    for label, row in decisions.iterrows():
        assert row["Общих с «как в запуске»"] + row["Вошли"] == row["Школ"], label


@pytest.mark.slow
def test_shnor_shnsu_map_reads_the_data_dir_from_the_environment(
    region, kernel, marts_frames, monkeypatch
):
    monkeypatch.setenv("SHNOR_DATA_DIR", str(region))  # DATA_DIR stays None
    values, printed = execute(
        "04_shnor_shnsu_map.ipynb",
        region,
        kernel,
        {"YEAR": None},
        "quadrants.to_dict('index')",
    )
    rated = marts_frames["latest"][marts_frames["latest"]["is_rated"]]
    region_row = values.pop("Весь регион")
    assert region_row["Всего"] == len(rated)
    assert region_row["ШНОР и ШНСУ"] + region_row["ШНОР, обычные условия"] == (
        rated["is_on_shnor_list"].sum()
    )
    assert region_row["ШНОР и ШНСУ"] + region_row["ШНСУ, не ШНОР"] == rated["is_shnsu"].sum()
    assert region_row["ШНОР и ШНСУ"] == (rated["is_on_shnor_list"] & rated["is_shnsu"]).sum()
    per_municipality = rated.groupby("municipality_name").size()
    assert {m: row["Всего"] for m, row in values.items()} == per_municipality.to_dict()
    assert str(region / "marts") in printed
