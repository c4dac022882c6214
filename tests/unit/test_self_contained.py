"""The project stands alone: nothing in it points at files outside the repository (the design
notes its authors worked from are not shipped; users have the project's own docs/)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|shared/docs|DATA_CONTRACT|METHODOLOGY\.md|DEPENDENCIES\.md")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if Path(n).suffix not in {".parquet", ".xlsx", ".png"}]


def test_no_file_points_outside_the_repository():
    found = []
    for path in tracked_text_files():
        if path.name == "test_self_contained.py" or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert found == []
