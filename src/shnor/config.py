"""Where shnor reads and writes, from arguments or the environment; no I/O at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Prefect settings for offline, quiet runs (docs/architecture.md): no telemetry, reused home.
PREFECT_OFFLINE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_UI_ENABLED": "false",
}


@dataclass(frozen=True)
class Paths:
    """The folders of one data directory (docs/data-contract.md)."""

    data_dir: Path

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def marts(self) -> Path:
        return self.data_dir / "marts"

    @property
    def reports(self) -> Path:
        return self.marts / "reports"

    @property
    def validation(self) -> Path:
        """The latest run's validation report and record (written even when nothing is
        published)."""
        return self.data_dir / "validation"

    @property
    def warehouse(self) -> Path:
        return Path(os.environ.get("SHNOR_DB") or self.data_dir / "shnor.duckdb")

    @property
    def reference(self) -> Path:
        """Region-specific additions to the packaged alias tables (optional)."""
        return self.data_dir / "reference"


REGION_FILE = "region.txt"  # DIR/reference/region.txt: the region's name, one line


def region_name(data_dir: Path) -> str | None:
    """The region's name for report titles, from DIR/reference/region.txt (None when absent)."""
    path = Paths(Path(data_dir)).reference / REGION_FILE
    if not path.is_file():
        return None
    lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    return next((line for line in lines if line), None)


def data_dir_from(value: str | Path | None = None) -> Path:
    """The data directory: the argument, else $SHNOR_DATA_DIR, else ./data."""
    return Path(value or os.environ.get("SHNOR_DATA_DIR") or "data").resolve()


def use_offline_prefect(project_home: Path | None = None) -> None:
    """Set Prefect's offline settings unless the caller set them; call before importing prefect."""
    for key, value in PREFECT_OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    home = project_home or Path.cwd()
    os.environ.setdefault("PREFECT_HOME", str(home / ".prefect"))


def paths_of(data_dir: str | Path | None) -> Paths:
    """The folders of a data directory (DATA_DIR, default ./data)."""
    return Paths(data_dir_from(data_dir))
