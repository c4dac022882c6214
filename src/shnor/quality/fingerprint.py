"""What a published version was made from, as one hash: the inputs (checksums and statuses),
the preset's values, the region's reference files and shnor's own code and suites. Equal
fingerprints mean equal outputs, so an unchanged rerun keeps the published version."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from shnor import __version__
from shnor.fingerprints import file_parts, fingerprint
from shnor.presets import Preset
from shnor.quality.suites import expectations_dir

_CODE_SUFFIXES = (".py", ".sql", ".toml", ".csv", ".md", ".json")


def content_fingerprint(
    inputs: list[dict[str, Any]], preset: Preset, reference_dir: Path | None
) -> str:
    """SHA-256 over everything the published content depends on."""
    reference = (
        sorted((p.name, fingerprint([p.read_bytes()])) for p in reference_dir.glob("*.csv"))
        if reference_dir and reference_dir.is_dir()
        else []
    )
    document = {
        "inputs": [
            [i["source_file"], i["checksum"], i["status"], i.get("row_count")] for i in inputs
        ],
        "preset": [preset.name, preset.version, preset.parameters()],
        "reference": reference,
        "code": code_fingerprint(),
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, default=str)
    return fingerprint([text])


@cache
def code_fingerprint() -> str:
    """shnor's version, package files and suites (a changed model means a changed output)."""
    package = Path(str(resources.files("shnor")))
    files = [p for p in package.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES]
    files += sorted(expectations_dir().glob("*.json"))
    return fingerprint([__version__, *file_parts(files, lambda path: path.name)])
