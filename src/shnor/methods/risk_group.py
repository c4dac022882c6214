"""The risk group (docs/methodology.md): the rated schools not on the ШНОР list whose probability
of being in the pool's worst share next year (``next_low_probability``, §3) is at least the
preset's number, in priority order of that probability. Reasons only explain membership.
"""

from __future__ import annotations

import pandas as pd

from shnor.presets import Preset


def risk_group_mask(flags: pd.DataFrame, preset: Preset) -> pd.Series:
    """Membership: rated, not on the ШНОР list, next_low_probability ≥ the preset's number."""
    likely = flags["next_low_probability"] >= preset["flags.risk_group.next_low_probability"]
    return (likely.fillna(False) & flags["is_rated"] & ~flags["is_on_shnor_list"]).astype(bool)


def risk_group_priority(flags: pd.DataFrame) -> pd.Series:
    """Priority of support within the year and pool: 1 = the highest next_low_probability
    of the group (ties share a rank); missing outside the group."""
    probability = flags["next_low_probability"].where(flags["is_risk_group"])
    rank = probability.groupby([flags["exam_year"], flags["pool"]]).rank(
        ascending=False, method="min"
    )
    return rank.astype("Int64")
