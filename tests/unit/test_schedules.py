"""Season schedules: packaged defaults, a region's overrides, validation with Russian errors,
next run dates as Prefect computes them, and deployments / prefect.yaml made from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from shnor.cli import app
from shnor.schedules import ScheduleError, deployments, load_seasons, prefect_yaml

ROOT = Path(__file__).resolve().parents[2]
NEW_YEAR = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def _region_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_seasons_run_in_their_seasons():
    seasons = {s.name: s for s in load_seasons()}
    assert list(seasons) == ["vpr", "exams", "annual-list"]
    moscow = ZoneInfo("Europe/Moscow")
    vpr = [d.astimezone(moscow) for d in seasons["vpr"].next_runs(9, NEW_YEAR)]
    assert vpr[0] == dt.datetime(2027, 5, 3, 6, 0, tzinfo=moscow)  # the first Monday of May
    assert {d.month for d in vpr} == {5, 6} and {d.weekday() for d in vpr} == {0}
    assert all((d.hour, d.minute) == (6, 0) for d in vpr)
    exams = [d.astimezone(moscow) for d in seasons["exams"].next_runs(9, NEW_YEAR)]
    assert {d.month for d in exams} == {7, 8} and {d.weekday() for d in exams} == {0}
    autumn = seasons["annual-list"].next_runs(2, NEW_YEAR)
    assert [d.astimezone(moscow).date() for d in autumn] == [
        dt.date(2027, 9, 20),
        dt.date(2028, 9, 20),
    ]
    # after ВПР and the summer exams of the same year
    assert vpr[-1].date() == dt.date(2027, 6, 28) and exams[-1].date() == dt.date(2027, 8, 30)
    assert vpr[-1] < exams[0] < exams[-1] < autumn[0]


def test_a_region_overrides_only_what_it_names(tmp_path):
    path = _region_file(
        tmp_path,
        'timezone = "Asia/Novosibirsk"\n'
        '[seasons.exams]\ncron = "30 7 * 7 1,4"\n'
        "[seasons.vpr]\nactive = false\n"
        '[seasons.retakes]\ntitle = "Пересдачи"\ncron = "0 8 25 10 *"\nyear = 2026\n',
    )
    seasons = {s.name: s for s in load_seasons(path)}
    assert list(seasons) == ["vpr", "exams", "annual-list", "retakes"]
    assert {s.timezone for s in seasons.values()} == {"Asia/Novosibirsk"}
    assert seasons["exams"].cron == "30 7 * 7 1,4"
    assert seasons["exams"].title == "ОГЭ и ЕГЭ, основной период (лето)"
    assert seasons["vpr"].active is False and seasons["vpr"].cron == "0 6 * 5,6 1"
    assert seasons["retakes"].year == 2026
    novosibirsk = ZoneInfo("Asia/Novosibirsk")
    first = seasons["exams"].next_runs(2, NEW_YEAR)
    assert [d.astimezone(novosibirsk) for d in first] == [
        dt.datetime(2027, 7, 1, 7, 30, tzinfo=novosibirsk),  # a Thursday
        dt.datetime(2027, 7, 5, 7, 30, tzinfo=novosibirsk),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[seasons.vpr]\ncron = "0 6 * 13 1"\n', "seasons.vpr.cron = '0 6 * 13 1' — неверное"),
        ('[seasons.vpr]\ncron = "0 6 * 5"\n', "полей 4, нужно 5"),
        ('[seasons.vpr]\ncron = "H 6 * 5 1"\n', "неверное расписание cron"),
        ('timezone = "Europe/Mosсow"\n', "неизвестный часовой пояс"),  # a Cyrillic «с»
        ('[seasons.vpr]\ntimezone = "UTC+3"\n', "seasons.vpr.timezone"),
        ('[seasons.vpr]\ncorn = "0 6 * 5 1"\n', "seasons.vpr: неизвестный ключ 'corn'"),
        ("[seasons.vpr]\nactive = 1\n", "seasons.vpr.active = 1: ожидается true или false"),
        ('[seasons.vpr]\nyear = "2026"\n', "ожидается целое число (год)"),
        ('[seasons.new]\ntitle = "Новый"\n', "seasons.new: не задано расписание cron"),
        ('cron = "0 6 * 5 1"\n', "неизвестный ключ 'cron'"),
        ("[seasons.vpr\n", "не читается как TOML"),
    ],
)
def test_unusable_schedules_are_refused_with_the_key(tmp_path, text, expected):
    path = _region_file(tmp_path, text)
    with pytest.raises(ScheduleError) as error:
        load_seasons(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_deployments_carry_the_schedules_and_parameters(tmp_path):
    seasons = load_seasons()
    made = {d.name: d for d in deployments(tmp_path, "urban_rural", seasons)}
    assert list(made) == ["vpr", "exams", "annual-list", "manual"]
    for season in seasons:
        (schedule,) = made[season.name].schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (
            season.cron,
            season.timezone,
        )
        assert made[season.name].parameters == {
            "data_dir": str(tmp_path),
            "preset": "urban_rural",
            "year": None,
        }
    assert made["manual"].schedules == []


def test_the_shipped_prefect_yaml_is_made_from_the_default_schedules():
    shipped = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert shipped == prefect_yaml(
        "/srv/shnor/data", "reference", load_seasons(), "shnor", "/opt/shnor"
    )
    for deployment in shipped["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        assert (ROOT / path).is_file() and f"def {name}(" in (ROOT / path).read_text("utf-8")


def test_schedules_command_checks_and_writes_prefect_yaml(tmp_path):
    bad = _region_file(tmp_path, '[seasons.vpr]\ncron = "every monday"\n')
    outcome = CliRunner().invoke(app, ["schedules", "--schedules", str(bad)])
    assert outcome.exit_code == 2 and "неверное расписание cron" in " ".join(outcome.output.split())
    # DATA_DIR/schedules.toml is the region's file without --schedules
    outcome = CliRunner().invoke(app, ["schedules", "--data-dir", str(tmp_path)])
    assert outcome.exit_code == 2
    target, data_dir = tmp_path / "prefect.yaml", tmp_path / "region"
    outcome = CliRunner().invoke(
        app, ["schedules", "--data-dir", str(data_dir), "--prefect-yaml", str(target),
              "--work-pool", "rcoi", "--project-dir", "/opt/x"],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    spec = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert {d["work_pool"]["name"] for d in spec["deployments"]} == {"rcoi"}
    assert spec["deployments"][0]["parameters"]["data_dir"] == str(data_dir.resolve())


def test_serve_needs_a_prefect_server(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    outcome = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert outcome.exit_code == 2
    assert "prefect server start" in " ".join(outcome.output.split())
