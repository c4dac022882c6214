"""Files are inserted on one DuckDB thread, and the thread setting is given back after the
load (also when the block fails), so the raw checks and the build use every thread."""

from __future__ import annotations

import pytest

from shnor import warehouse
from shnor.ingest import raw_load
from shnor.ingest.one_thread import one_thread

HEADER = "Код ОО;Класс;Предмет;Отметка\n"


def _threads(con) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def test_the_block_runs_on_one_thread_and_gives_the_setting_back():
    with warehouse.connect(":memory:") as con:
        con.execute("SET threads = 3")
        with one_thread(con):
            assert _threads(con) == 1
        assert _threads(con) == 3
        with pytest.raises(RuntimeError), one_thread(con):
            raise RuntimeError("a file failed")
        assert _threads(con) == 3


def test_every_file_is_inserted_on_one_thread(tmp_path, monkeypatch):
    for year in (2024, 2025):
        path = tmp_path / "raw" / "vpr" / str(year) / "vpr.csv"
        path.parent.mkdir(parents=True)
        rows = [f"s{i:03d};5А;Математика;{2 + (i + year) % 4}" for i in range(50)]
        path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    seen = []
    insert = raw_load._insert_sheet

    def recorded(con, *args):
        seen.append(_threads(con))
        return insert(con, *args)

    monkeypatch.setattr(raw_load, "_insert_sheet", recorded)
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, None)
        con.execute("SET threads = 2")
        summary = raw_load.ingest_raw(con, tmp_path / "raw")
        assert _threads(con) == 2
    assert seen == [1, 1]
    assert summary.rows_loaded == 100 and not summary.quarantined
