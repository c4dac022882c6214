"""Rule codes stay in the tables; the console names rules in Russian (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

import shnor
from shnor.cli import _rule_names
from shnor.labels import rule_label, rule_labels


def test_the_console_names_rules_in_russian():
    assert rule_label("missing_year_folder") == "нет папки года"
    assert _rule_names("missing_year_folder, percent_sum") == (
        "нет папки года, доли отметок не дают 100%"
    )
    assert rule_label("some_new_rule") == "some_new_rule"  # a code without a name stays


def test_every_rule_the_loader_and_readers_write_has_a_russian_name():
    package = Path(shnor.__file__).parent
    written = set()
    # the loader and readers, the stages, and the problems the build and school identity find
    stages = [*package.glob("stages/*.py"), package / "quality" / "build_checks.py"]
    for path in [*package.glob("ingest/*.py"), *stages, package / "school_identity.py"]:
        text = path.read_text("utf-8")
        written |= set(re.findall(r'"([a-z][a-z0-9_]+)",\s*"(?:blocking|warning)"', text))
        written |= set(re.findall(r'SummaryNote\(\s*"([a-z_]+)"', text))
    assert len(written) > 20
    assert written - rule_labels().keys() == set()


def test_every_rule_of_the_great_expectations_suites_has_a_russian_name():
    import json

    folder = Path(shnor.__file__).parents[2] / "expectations"
    rules = {
        (expectation.get("meta") or {}).get("rule")
        for path in folder.glob("*.json")
        for expectation in json.loads(path.read_text("utf-8"))["expectations"]
    } - {None}
    assert len(rules) > 10
    assert rules - rule_labels().keys() == set()
