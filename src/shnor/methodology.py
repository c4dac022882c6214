"""The methodology page: the Russian text of `methodology_template.md` with the preset's name and
a generated table of every parameter, so that the page always matches the preset in force."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from shnor.presets import Preset


@lru_cache(maxsize=1)
def parameter_labels() -> dict[str, str]:
    """Dotted preset key → short Russian description (reference/parameter_labels.csv)."""
    text = resources.files("shnor.reference").joinpath("parameter_labels.csv").read_text("utf-8")
    return {row["key"]: row["label_ru"] for row in csv.DictReader(text.splitlines())}


def shown_value(value: object) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def parameters_table(preset: Preset) -> str:
    """A Markdown table of every parameter: key, value, meaning."""
    labels = parameter_labels()
    rows = ["| параметр (key) | значение | смысл |", "|---|---|---|"]
    for key, value in preset.parameters():
        meaning = labels.get(key, "").replace("|", "\\|")
        shown = shown_value(value).replace("|", "\\|")
        rows.append(f"| `{key}` | {shown} | {meaning} |")
    return "\n".join(rows)


def methodology_page(preset: Preset) -> str:
    """The whole page for this preset, as Markdown."""
    template = resources.files("shnor").joinpath("methodology_template.md").read_text("utf-8")
    source = f"\n\nИсточник методики: `{preset.source}`.\n" if preset.source else ""
    return (
        template.replace("{{PRESET}}", preset.label).replace(
            "{{PARAMETERS}}", parameters_table(preset)
        )
        + source
    ).rstrip() + "\n"
