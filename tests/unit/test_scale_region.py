"""The scale generator: a tiny slice of the national data set, ingested and built as one region."""

from __future__ import annotations

import duckdb
import pytest

from shnor import warehouse
from shnor.presets import load_preset
from shnor.scale_region import generate_scale_data, manifest_rows, region_name
from shnor.stages.build import build
from shnor.stages.ingest import ingest


@pytest.fixture(scope="module")
def scale_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    generate_scale_data(
        root, regions=2, schools_per_region=12, pupils_per_grade=8, years=(2025, 2026),
        file_format="both",
    )  # fmt: skip
    return root


def test_sizes_are_the_parameters(scale_root):
    """Rows follow the sizes: per school and year 5 ВПР grades × 3 subjects, ОГЭ 4 subjects,
    ЕГЭ 3 subjects of half a grade; the Parquet copy holds the same rows as the CSV."""
    pupils = duckdb.sql(
        f'SELECT sum("Численность обучающихся") // 11 FROM read_csv(\'{scale_root}/'
        f"{region_name(1)}/raw/schools/*.csv', delim=';', header=true)"
    ).fetchall()[0][0]
    ege = duckdb.sql(
        f'SELECT count(DISTINCT "Код участника") FROM read_csv(\'{scale_root}/'
        f"{region_name(1)}/raw/ege/2026/*.csv', delim=';', header=true)"
    ).fetchall()[0][0]
    expected_per_year = 15 * pupils + 4 * pupils + 3 * ege
    assert manifest_rows(scale_root, region_name(1)) == 2 * expected_per_year
    for region in (region_name(1), region_name(2)):
        assert manifest_rows(scale_root, region, ".parquet") == manifest_rows(scale_root, region)
    codes = duckdb.sql(
        f"SELECT count(DISTINCT \"Код ОО\") FROM read_csv('{scale_root}/*/raw/schools/*.csv', "
        "delim=';', header=true)"
    ).fetchall()[0][0]
    assert codes == 24  # a school code is unique in the country


def test_same_seed_same_region(scale_root, tmp_path):
    """A region reads the same whichever regions are generated with it."""
    generate_scale_data(
        tmp_path, regions=1, first_region=2, schools_per_region=12, pupils_per_grade=8,
        years=(2025, 2026),
    )  # fmt: skip
    relative = f"{region_name(2)}/raw/oge/2026/ОГЭ_2026.csv"
    assert (tmp_path / relative).read_bytes() == (scale_root / relative).read_bytes()


def test_a_region_loads_and_builds_with_every_row(scale_root):
    """Every participant row generated for a region is in raw.* and in staging, no file is
    quarantined and no row is reported."""
    data = scale_root / region_name(2)
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, None)
        summary = ingest(con, data / "raw")
        assert summary.quarantined == []
        raw_rows = con.execute(
            "SELECT (SELECT count(*) FROM raw.vpr_participants) "
            "+ (SELECT count(*) FROM raw.exam_participants)"
        ).fetchone()[0]
        registry_and_passports = 12 + 2 * 12
        assert raw_rows == manifest_rows(scale_root, region_name(2))
        assert raw_rows == summary.rows_loaded - registry_and_passports
        build(con, load_preset("reference"))
        staged = con.execute(
            "SELECT (SELECT count(*) FROM staging.stg_vpr__participants) "
            "+ (SELECT count(*) FROM staging.stg_exam__participants)"
        ).fetchone()[0]
        assert staged == raw_rows
        blocking = con.execute(
            "SELECT count(*) FROM ops.problems WHERE severity = 'blocking'"
        ).fetchone()[0]
        assert blocking == 0
