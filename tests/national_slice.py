"""The national slice of the tests: two tiny `shnor scale-data` regions over three years (so
that last year's ШНОР are judged), the same bytes every time they are written."""

from __future__ import annotations

from pathlib import Path

NATIONAL_SIZES = {
    "regions": 2,
    "schools_per_region": 30,
    "pupils_per_grade": 8,
    "years": (2024, 2025, 2026),
    "municipalities": 2,
}


def national_data(root: Path) -> Path:
    """The NATIONAL_SIZES regions written under root; root."""
    from shnor.scale_region import generate_scale_data

    generate_scale_data(root, **NATIONAL_SIZES)
    return root
