"""Season schedules of the annual flow: packaged defaults, a region's overrides, validation and
the Prefect deployments they make (served locally by `shnor serve`, or on a work pool)."""

from __future__ import annotations

import asyncio
import datetime as dt
import tomllib
import zoneinfo
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

FLOW_ENTRYPOINT = "flows/annual_list.py:annual_list"
REGION_FILE = "schedules.toml"
_SEASON_KEYS = {"title": str, "cron": str, "timezone": str, "active": bool, "year": int}


class ScheduleError(ValueError):
    """A schedules file that cannot be used; the message (Russian) names the file and the key."""


@dataclass(frozen=True)
class Season:
    """One scheduled deployment: when it runs and the year its summary reports."""

    name: str
    title: str
    cron: str
    timezone: str
    active: bool = True
    year: int | None = None

    def next_runs(self, count: int = 3, after: dt.datetime | None = None) -> list[dt.datetime]:
        """The next `count` run times, as Prefect's scheduler computes them."""
        from prefect.server.schemas.schedules import CronSchedule

        schedule = CronSchedule(cron=self.cron, timezone=self.timezone)
        start = after or dt.datetime.now(dt.UTC)
        return [dt.datetime.fromisoformat(d.isoformat()) for d in asyncio.run(
            schedule.get_dates(n=count, start=start)
        )]  # fmt: skip


def schedules_path(data_dir: Path, explicit: str | Path | None = None) -> Path | None:
    """The region's schedules file: the one given, else DATA_DIR/schedules.toml if present."""
    if explicit is not None:
        return Path(explicit)
    candidate = data_dir / REGION_FILE
    return candidate if candidate.is_file() else None


def load_seasons(region_file: Path | None = None) -> list[Season]:
    """The packaged seasons overlaid with a region's file; every cron and timezone checked."""
    packaged = tomllib.loads(resources.files("shnor").joinpath(REGION_FILE).read_text("utf-8"))
    own: dict[str, Any] = {}
    source = "schedules.toml (по умолчанию)"
    if region_file is not None:
        source = str(region_file)
        try:
            own = tomllib.loads(Path(region_file).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ScheduleError(f"{source}: файл расписаний не найден") from error
        except tomllib.TOMLDecodeError as error:
            raise ScheduleError(f"{source}: файл не читается как TOML: {error}") from error
    unknown = own.keys() - {"timezone", "seasons"}
    if unknown:
        raise ScheduleError(
            f"{source}: неизвестный ключ {sorted(unknown)[0]!r}; допустимы timezone и [seasons.*]"
        )
    timezone = _timezone(own.get("timezone", packaged["timezone"]), source, "timezone")
    seasons = {name: dict(values) for name, values in packaged["seasons"].items()}
    for name, values in own.get("seasons", {}).items():
        if not isinstance(values, dict):
            raise ScheduleError(f"{source}: seasons.{name} должен быть таблицей [seasons.{name}]")
        seasons.setdefault(name, {"title": name}).update(values)
    return [_season(name, values, timezone, source) for name, values in seasons.items()]


def _season(name: str, values: dict[str, Any], timezone: str, source: str) -> Season:
    for key, value in values.items():
        kind = _SEASON_KEYS.get(key)
        if kind is None:
            raise ScheduleError(
                f"{source}: seasons.{name}: неизвестный ключ {key!r}; допустимы "
                + ", ".join(_SEASON_KEYS)
            )
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ScheduleError(
                f"{source}: seasons.{name}.{key} = {value!r}: ожидается "
                + {str: "строка", bool: "true или false", int: "целое число (год)"}[kind]
            )
    if "cron" not in values:
        raise ScheduleError(f"{source}: seasons.{name}: не задано расписание cron")
    cron = values["cron"]
    _check_cron(cron, source, f"seasons.{name}.cron")
    return Season(
        name=name,
        title=values.get("title", name),
        cron=cron,
        timezone=_timezone(values.get("timezone", timezone), source, f"seasons.{name}.timezone"),
        active=values.get("active", True),
        year=values.get("year"),
    )


def _check_cron(cron: str, source: str, key: str) -> None:
    from prefect._internal.schemas.validators import validate_cron_string

    fields = cron.split()
    try:
        if len(fields) != 5:
            raise ValueError(f"полей {len(fields)}, нужно 5")
        validate_cron_string(cron)
    except ValueError as error:
        raise ScheduleError(
            f"{source}: {key} = {cron!r} — неверное расписание cron ({error}). Нужно пять полей: "
            'минута час день-месяца месяц день-недели, например "0 6 * 5,6 1" — по '
            "понедельникам в 06:00 в мае и июне"
        ) from error


def _timezone(value: Any, source: str, key: str) -> str:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(
            f"{source}: {key} = {value!r} — неизвестный часовой пояс; нужно имя зоны IANA, "
            'например "Europe/Moscow" или "Asia/Novosibirsk"'
        ) from error
    return str(value)


def deployment_parameters(data_dir: Path, preset: str, season: Season) -> dict[str, Any]:
    """The flow parameters of a season's deployment."""
    return {"data_dir": str(data_dir), "preset": preset, "year": season.year}


def deployments(data_dir: Path, preset: str, seasons: list[Season]) -> list[Any]:
    """One Prefect deployment of the annual flow per season, plus `manual` (no schedule) for
    runs on demand."""
    from prefect.schedules import Cron

    from flows.annual_list import annual_list

    made = [
        annual_list.to_deployment(
            name=season.name,
            description=season.title,
            schedules=[Cron(season.cron, timezone=season.timezone, active=season.active)],
            parameters=deployment_parameters(data_dir, preset, season),
            tags=["shnor", season.name],
        )
        for season in seasons
    ]
    made.append(
        annual_list.to_deployment(
            name="manual",
            description="Запуск по требованию (без расписания)",
            parameters={"data_dir": str(data_dir), "preset": preset, "year": None},
            tags=["shnor", "manual"],
        )
    )
    return made


def prefect_yaml(
    data_dir: str, preset: str, seasons: list[Season], work_pool: str, project_dir: str
) -> dict[str, Any]:
    """prefect.yaml for `prefect deploy --all`: the same deployments on a work pool."""

    def entry(name: str, description: str, season: Season | None) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": name,
            "description": description,
            "entrypoint": FLOW_ENTRYPOINT,
            "parameters": {"data_dir": data_dir, "preset": preset,
                           "year": season.year if season else None},
            "tags": ["shnor", name],
            "work_pool": {"name": work_pool, "work_queue_name": "default"},
        }  # fmt: skip
        if season:
            spec["schedules"] = [
                {"cron": season.cron, "timezone": season.timezone, "active": season.active}
            ]
        return spec

    return {
        "name": "shnor",
        "prefect-version": "3.8.8",
        "build": None,
        "push": None,
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": project_dir}}],
        "deployments": [
            *(entry(s.name, s.title, s) for s in seasons),
            entry("manual", "Запуск по требованию (без расписания)", None),
        ],
    }
