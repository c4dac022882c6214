"""The methodology page matches the preset it documents, and names every parameter."""

from __future__ import annotations

from pathlib import Path

from shnor.methodology import methodology_page, parameter_labels
from shnor.presets import load_preset

PAGE = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"


def test_committed_page_is_the_reference_preset_rendered():
    """Regenerate with `shnor methodology --output docs/methodology.md` after changing either."""
    assert PAGE.read_text("utf-8") == methodology_page(load_preset("reference"))


def test_every_parameter_has_a_russian_label_and_a_row():
    for name in ("reference", "urban_rural"):
        preset = load_preset(name)
        page = methodology_page(preset)
        assert preset.label in page
        for key, _ in preset.parameters():
            assert parameter_labels().get(key), f"no Russian label for {key}"
            assert f"| `{key}` |" in page


def test_a_changed_preset_shows_its_own_values():
    page = methodology_page(load_preset("urban_rural"))
    assert "| `flags.low_share` | 0.15 |" in page
    assert "| `school_effect.pool_by` | settlement_type |" in page
