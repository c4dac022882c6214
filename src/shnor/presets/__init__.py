"""Methodology presets: reviewed TOML files holding every threshold of docs/methodology.md.

A preset names only what it changes; everything else comes from `reference.toml`, which is also
the schema: a key it lacks, or a value of another type, is an error naming the key.
"""

from __future__ import annotations

import copy
import hashlib
import math
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

REFERENCE = "reference"
_POOLS = ("region", "settlement_type", "school_level")
_INDEX_METHODS = ("zscore_mean", "pca")


class PresetError(ValueError):
    """A preset that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Preset:
    """A resolved methodology preset: reference values overlaid with the preset's own."""

    name: str
    version: str
    source: str
    values: dict[str, Any] = field(repr=False)

    def __getitem__(self, dotted_key: str) -> Any:
        return _get(self.values, dotted_key)

    @property
    def label(self) -> str:
        """`name@version`, recorded in every output."""
        return f"{self.name}@{self.version}"

    def parameters(self) -> list[tuple[str, Any]]:
        """Flat (dotted key, value) pairs, for the parameters sheet and the manifest."""
        return list(_flatten(self.values))


def available_presets() -> list[str]:
    """Names of the presets shipped in the package."""
    folder = resources.files("shnor.presets")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_preset(name_or_path: str | Path | Preset = REFERENCE) -> Preset:
    """The preset shipped under this name, or the TOML file at this path (a Preset already
    loaded is returned as it is: a run reads its preset file once, so an edit made while it
    runs cannot mix two versions in one run)."""
    if isinstance(name_or_path, Preset):
        return name_or_path
    reference = _read_toml(_packaged(REFERENCE), REFERENCE)
    text, candidate = str(name_or_path), Path(name_or_path)
    looks_like_path = candidate.suffix == ".toml" or "/" in text or "\\" in text
    if text in available_presets() and not looks_like_path:
        own, source = _read_toml(_packaged(text), text), text
    elif looks_like_path or candidate.is_file():
        if not candidate.is_file():
            raise PresetError(f"Файл методики не найден / preset file not found: {candidate}")
        data = candidate.read_bytes()
        own, source = _read_toml(data, str(candidate)), str(candidate)
        meta = own.setdefault("preset", {})
        if isinstance(meta, dict):
            # Never labelled as the reference: an unnamed file is known by its name and content.
            meta.setdefault("name", candidate.stem)
            meta.setdefault("version", "sha256-" + hashlib.sha256(data).hexdigest()[:8])
    else:
        raise PresetError(
            f"Unknown preset {name_or_path!r} / неизвестная методика. "
            f"Shipped presets: {', '.join(available_presets())}; or give a path to a .toml file."
        )
    values = _overlay(reference, own, source, prefix="")
    _check_values(values, source)
    meta = values["preset"]
    return Preset(name=meta["name"], version=str(meta["version"]), source=source, values=values)


def with_values(preset: Preset, changes: dict[str, Any]) -> Preset:
    """The preset with some dotted keys changed (a sensitivity variant), checked like a file;
    its name says it is a variant."""
    values = copy.deepcopy(preset.values)
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = values
        for part in path:
            node = node[part]
        if last not in node:
            raise PresetError(f"{preset.source}: unknown key {dotted!r}")
        node[last] = _checked_type(node[last], value, preset.source, dotted)
    _check_values(values, preset.source)
    return replace(preset, name=f"{preset.name}+variant", values=values)


def _packaged(name: str) -> bytes:
    return resources.files("shnor.presets").joinpath(f"{name}.toml").read_bytes()


def _read_toml(data: bytes, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        message = f"{source}: not a valid TOML file / файл методики не читается: {error}"
        raise PresetError(message) from error


def _overlay(base: dict, own: dict, source: str, prefix: str) -> dict:
    merged = dict(base)
    for key, value in own.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise PresetError(
                f"{source}: unknown key {dotted!r} / неизвестный параметр {dotted!r}. "
                "Check its spelling against presets/reference.toml."
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise PresetError(f"{source}: {dotted!r} must be a table [{dotted}]")
            merged[key] = _overlay(base[key], value, source, prefix=f"{dotted}.")
        else:
            merged[key] = _checked_type(base[key], value, source, dotted)
    return merged


def _checked_type(reference_value: Any, value: Any, source: str, dotted: str) -> Any:
    expected = type(reference_value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not expected:
        raise PresetError(
            f"{source}: {dotted!r} must be {expected.__name__}, got {value!r} / "
            f"параметр {dotted!r} имеет неверный тип"
        )
    if isinstance(value, list) and reference_value:
        element = reference_value[0]
        return [
            _checked_type(element, item, source, f"{dotted}[{i}]") for i, item in enumerate(value)
        ]
    return value


# Keys ending like these hold fractions in [0, 1] (a percent typed by mistake is an error).
_FRACTION_SUFFIXES = ("share", "alpha", "rate", "points", "probability", "p_value", "confidence",
                      "share_percentile")  # fmt: skip
# …and these must be strictly inside (0, 1): a cut-off of 0 or 1 flags nobody or everybody.
_OPEN_FRACTIONS = ("flags.low_share", "flags.high_share", "context.shnsu_share",
                   "school_effect.confidence", "indicators.interval_confidence")  # fmt: skip


def _check_values(values: dict, source: str) -> None:
    for dotted, value in _flatten(values):
        if dotted.endswith(_FRACTION_SUFFIXES) and isinstance(value, float | int):
            low_ok = value > 0 if dotted in _OPEN_FRACTIONS else value >= 0
            high_ok = value < 1 if dotted in _OPEN_FRACTIONS else value <= 1
            if not (low_ok and high_ok):
                raise PresetError(
                    f"{source}: {dotted!r} must be between 0 and 1 (a fraction: write 0.3 for "
                    f"30%), got {value} / доля должна быть от 0 до 1"
                )
    if _get(values, "school_effect.pool_by") not in _POOLS:
        raise PresetError(f"{source}: 'school_effect.pool_by' must be one of {_POOLS}")
    if _get(values, "flags.risk_group.deterioration_multiple_testing") not in ("holm", "none"):
        raise PresetError(
            f"{source}: 'flags.risk_group.deterioration_multiple_testing' must be holm or none"
        )
    if _get(values, "flags.stable_low_rule") not in ("joint", "both_years"):
        raise PresetError(f"{source}: 'flags.stable_low_rule' must be joint or both_years")
    if _get(values, "context.resilient_by") not in ("median", "value_added", "either"):
        raise PresetError(f"{source}: 'context.resilient_by' must be median, value_added or either")
    if _get(values, "objectivity.multiple_testing") not in ("holm", "none"):
        raise PresetError(f"{source}: 'objectivity.multiple_testing' must be holm or none")
    if _get(values, "objectivity.journal_gap_direction") not in ("vpr_above_journal", "both"):
        raise PresetError(
            f"{source}: 'objectivity.journal_gap_direction' must be vpr_above_journal or both"
        )
    if _get(values, "objectivity.concern_rule") not in ("school_tests", "markers"):
        raise PresetError(f"{source}: 'objectivity.concern_rule' must be school_tests or markers")
    if _get(values, "objectivity.combination") not in ("fisher", "holm"):
        raise PresetError(f"{source}: 'objectivity.combination' must be fisher or holm")
    if _get(values, "context.index_method") not in _INDEX_METHODS:
        raise PresetError(f"{source}: 'context.index_method' must be one of {_INDEX_METHODS}")
    if not 1 <= _get(values, "support.recommended_procedure_count") <= 5:
        raise PresetError(
            f"{source}: 'support.recommended_procedure_count' must be 1 to 5 (at most five "
            "recommendations per school) / не больше пяти рекомендаций на школу"
        )
    for key, weight in values["school_effect"]["weights"].items():
        if weight <= 0:
            raise PresetError(f"{source}: 'school_effect.weights.{key}' must be positive")
    _check_persistence_prior(values["school_effect"], source)


def _check_persistence_prior(school_effect: dict, source: str) -> None:
    """The prior of ρ for a pool's first year is a beta distribution with mean
    `default_persistence` and sd `persistence_prior_sd` (0: ρ is that mean exactly). A beta with
    mean m has sd below √(m·(1 − m)); a larger sd has no beta and would fail only when the
    schools are scored."""
    mean = school_effect["default_persistence"]
    sd = school_effect["persistence_prior_sd"]
    if sd < 0:
        raise PresetError(
            f"{source}: 'school_effect.persistence_prior_sd' = {sd}: разброс не может быть "
            "отрицательным (0 — ρ первого года ровно default_persistence)"
        )
    if sd == 0:
        return
    if not 0 < mean < 1:
        raise PresetError(
            f"{source}: 'school_effect.default_persistence' = {mean}: при "
            f"persistence_prior_sd > 0 среднее ρ должно быть строго между 0 и 1"
        )
    largest = math.sqrt(mean * (1 - mean))
    if sd >= largest:
        raise PresetError(
            f"{source}: 'school_effect.persistence_prior_sd' = {sd}: распределения ρ (бета) со "
            f"средним {mean} и таким разбросом нет; при среднем {mean} разброс должен быть меньше "
            f"√({mean}·{1 - mean:g}) ≈ {math.floor(largest * 1000) / 1000:.3f}"
        )


def _get(values: dict, dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def _flatten(values: dict, prefix: str = ""):
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
