"""What the project's docs say: sections of docs/*.md and the commands their tables document."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def section(document: str, title: str, level: int = 2) -> str:
    """The text of docs/`document` under the heading of this level that starts with `title`, up
    to the next heading of the same or a higher level."""
    text = (DOCS / document).read_text(encoding="utf-8")
    hashes = "#" * level
    pattern = rf"^{hashes} {re.escape(title)}[^\n]*$(.*?)(?=^#{{1,{level}}} |\Z)"
    match = re.search(pattern, text, re.M | re.S)
    assert match, f"docs/{document} has no «{hashes} {title}» section"
    return match.group(1)


def first_cells(text: str) -> list[str]:
    """The first cell of every table row (header and separator rows excluded)."""
    cells = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1].strip()  # `\|` is a pipe inside a cell
        if cell and not set(cell) <= set("-: ") and "`" in cell:
            cells.append(cell)
    return cells


def documented_commands() -> set[str]:
    names = set()
    for cell in first_cells(section("operations.md", "Commands")):
        for code in re.findall(r"`([^`]+)`", cell):
            words = code.split()
            if len(words) >= 2 and words[0] == "shnor":
                names.add(words[1])
    return names
