"""Accuracy against a demo region's planted truth: shnor's flags next to a naive baseline.

The baseline ranks schools by their pooled raw fail share (all procedures summed) — strong when
one school quality drives every result, which is how the demo region is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shnor.flags import naive_stable_low
from shnor.presets import Preset


@dataclass(frozen=True)
class Accuracy:
    """Precision, recall and F1 of one method's flags against the truth."""

    method: str
    flagged: int
    true: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else float("nan")

    @property
    def f1(self) -> float:
        total = self.flagged + self.true
        return 2 * self.hits / total if total else float("nan")

    def as_row(self) -> dict[str, object]:
        return {
            "method": self.method,
            "flagged": self.flagged,
            "true": self.true,
            "hits": self.hits,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


def accuracy(method: str, flagged: pd.Series, truth: pd.Series) -> Accuracy:
    """Accuracy of boolean flags against boolean truth (aligned indexes)."""
    flagged, truth = flagged.astype(bool), truth.reindex(flagged.index).fillna(False).astype(bool)
    return Accuracy(method, int(flagged.sum()), int(truth.sum()), int((flagged & truth).sum()))


def stable_low_accuracy(
    flags: pd.DataFrame, naive: pd.DataFrame, truth: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Stable-low precision/recall/F1 in `year` for shnor, its confirmed list and the baseline,
    over the schools rated by shnor that year (the truth of unrated schools is not judged)."""
    keys = ["school_id", "exam_year"]
    rated = flags[(flags["exam_year"] == year) & flags["is_rated"]].set_index(keys)
    truth_flag = truth.set_index(keys)["is_true_stable_low"].reindex(rated.index)
    baseline = naive.set_index(keys)["is_stable_low"].reindex(rated.index)
    rows = [
        accuracy("shnor", rated["is_stable_low"], truth_flag),
        accuracy("shnor_confirmed", rated["is_stable_low_confirmed"], truth_flag),
        accuracy("naive_pooled_fail_share", baseline.fillna(False), truth_flag),
    ]
    return pd.DataFrame([r.as_row() for r in rows])


def tiny_school_false_flags(
    flags: pd.DataFrame,
    naive: pd.DataFrame,
    truth: pd.DataFrame,
    results: pd.DataFrame,
    year: int,
    tiny_size: int = 10,
) -> dict[str, int]:
    """False stable-low flags among tiny schools (< tiny_size participants per procedure)."""
    keys = ["school_id", "exam_year"]
    sizes = results[results["participant_count"] > 0].groupby(keys)["participant_count"].mean()
    rated = flags[(flags["exam_year"] == year) & flags["is_rated"]].set_index(keys)
    tiny = sizes.reindex(rated.index) < tiny_size
    false_truth = ~truth.set_index(keys)["is_true_stable_low"].reindex(rated.index).fillna(False)
    baseline = naive.set_index(keys)["is_stable_low"].reindex(rated.index).fillna(False)
    return {
        "tiny_school_count": int(tiny.sum()),
        "shnor": int((rated["is_stable_low"] & tiny & false_truth).sum()),
        "naive_pooled_fail_share": int((baseline.astype(bool) & tiny & false_truth).sum()),
    }


def demo_figures(data_dir: Path, preset: Preset) -> dict[str, Accuracy | dict[str, float]]:
    """The figures of a demo region's published marts (see `figures_against_truth`)."""
    marts = data_dir / "marts"
    return figures_against_truth(
        pd.read_parquet(marts / "fct_school_flags.parquet"),
        pd.read_parquet(marts / "fct_school_procedure_results.parquet"),
        pd.read_parquet(data_dir / "demo_truth.parquet"),
        preset,
    )


def figures_against_truth(
    flags: pd.DataFrame, results: pd.DataFrame, truth: pd.DataFrame, preset: Preset
) -> dict[str, Accuracy | dict[str, float] | pd.DataFrame]:
    """Every figure a demo run is judged by, pooled over the years that have a previous year:
    stable-low accuracy (shnor, confirmed, naive), tiny-school flags and false flags, objectivity
    concern against the planted inflated schools, recall of truly stable-low inflated schools,
    resilient schools, and the risk group's targeting of next year's truly low schools. Judged:
    every school-year with a result, the same set for both methods; a school a method does not
    rate counts as not flagged (a truly low school shnor leaves unrated is a miss, not dropped
    from the count)."""
    naive = naive_stable_low(results, preset)
    keys = ["school_id", "exam_year"]
    years = sorted(flags["exam_year"].unique())[1:]
    judged = flags[flags["exam_year"].isin(years)].set_index(keys)
    flagged = judged.assign(
        **{
            column: judged[column].astype(bool) & judged["is_rated"]
            for column in ("is_stable_low", "is_stable_low_confirmed", "is_resilient")
        }
    )
    known = truth.set_index(keys).reindex(flagged.index)
    true_stable = known["is_true_stable_low"].fillna(False).astype(bool)
    baseline = naive.set_index(keys)["is_stable_low"].reindex(flagged.index).fillna(False)
    sizes = results[results["participant_count"] > 0].groupby(keys)["participant_count"].mean()
    tiny = (sizes.reindex(flagged.index) < 10).fillna(False)
    inflated = known["is_inflated_vpr"].fillna(False).astype(bool)
    concern = flags.set_index(keys)["has_objectivity_concern"]
    every_year = truth.set_index(keys)
    concern_all = concern.reindex(every_year.index).fillna(False).astype(bool)
    resilient_truth = known["is_true_resilient"].fillna(False).astype(bool)
    return {
        "shnor": accuracy("shnor", flagged["is_stable_low"], true_stable),
        "shnor_confirmed": accuracy(
            "shnor_confirmed", flagged["is_stable_low_confirmed"], true_stable
        ),
        "naive": accuracy("naive", baseline.astype(bool), true_stable),
        "tiny_false_flags": {
            "shnor": int((flagged["is_stable_low"] & tiny & ~true_stable).sum()),
            "naive": int((baseline.astype(bool) & tiny & ~true_stable).sum()),
        },
        "tiny_flags": {
            "shnor": int((flagged["is_stable_low"] & tiny).sum()),
            "naive": int((baseline.astype(bool) & tiny).sum()),
        },
        "objectivity": objectivity_found(concern_all, every_year),
        "inflated_stable_low_recall": {
            "shnor": float(flagged["is_stable_low"][inflated & true_stable].mean()),
            "naive": float(baseline.astype(bool)[inflated & true_stable].mean()),
        },
        "resilient": accuracy("resilient", flagged["is_resilient"], resilient_truth),
        "risk_group": risk_group_targeting(flags, truth),
    }


DETECTABLE_INFLATED_RESULTS = (3, 5, 8)
"""Thresholds of results changed by the inflation at which recall is reported (tests/e2e
explains 8: about the fewest a pooled boundary test alone finds under the Fisher rule)."""


def objectivity_found(concern: pd.Series, truth: pd.DataFrame) -> dict[str, float | int]:
    """Recall of the planted inflation and false alarms among honest school-years; where the
    truth counts the ВПР results the inflation changed (`inflated_result_count`), also the
    inflating school-years with at least each of `DETECTABLE_INFLATED_RESULTS` of them and how
    many of those were found."""
    inflated = truth["is_inflated_vpr"].astype(bool)
    found = {
        "recall": float(concern[inflated].mean()),
        "false_alarm_rate": float(concern[~inflated].mean()),
    }
    if "inflated_result_count" in truth:
        for least in DETECTABLE_INFLATED_RESULTS:
            big = inflated & (truth["inflated_result_count"] >= least)
            found[f"inflated_{least}"] = int(big.sum())
            found[f"found_{least}"] = int(concern[big].sum())
    return found


OLD_RISK_RULES = (
    "absolute_risk",
    "persistent_failing_procedure",
    "first_time_low",
    "recurrent_low",
    "significant_deterioration",
    "shnsu_below_median",
)
"""The first rule of the risk group («any of these reasons»), kept only to measure against."""


def risk_group_targeting(flags: pd.DataFrame, truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per year Y with a year after it: the risk group of Y (by `next_low_probability`), the
    first rule («any reason») and the same number of schools as the first rule taken in order of
    `next_low_probability` — group size and share of rated schools, precision (share low in Y+1)
    and the share of Y+1's new low schools (not low in Y) that were in the group. «Low» is the
    planted truth (`is_true_low`) where a truth is given, else the flag `is_low_result`."""
    keys = ["school_id", "exam_year"]
    frame = flags.set_index(keys)
    rules = frame["reasons"].map(lambda text: {r["rule"] for r in json.loads(text)})
    candidates = frame["is_rated"] & ~frame["is_on_shnor_list"].astype(bool)
    frame = frame.assign(old_rule=rules.map(lambda found: bool(found & set(OLD_RISK_RULES))))
    frame["old_rule"] &= candidates
    if truth is None:
        low = frame["is_low_result"]
    else:
        low = truth.set_index(keys)["is_true_low"].reindex(frame.index)
    frame["low"] = low.astype("boolean")
    later = frame["low"].rename("low_next").reset_index()
    later["exam_year"] -= 1
    frame = frame.join(later.set_index(keys))
    rows = []
    years = sorted(frame.index.get_level_values("exam_year").unique())
    for year in years[:-1]:
        now = frame.xs(year, level="exam_year")
        rated = now[now["is_rated"]]
        known = rated["low_next"].notna()
        low_next = rated["low_next"].fillna(False).astype(bool)
        new_low = known & low_next & ~rated["low"].fillna(False).astype(bool)
        size = int(rated["old_rule"].sum())
        ordered = rated["next_low_probability"].where(candidates.xs(year, level="exam_year"))
        same_size = ordered.rank(ascending=False, method="first") <= size
        groups = (
            ("next_low_probability", rated["is_risk_group"].astype(bool)),
            ("any_reason", rated["old_rule"].astype(bool)),
            ("next_low_probability_at_any_reason_size", same_size.fillna(False).astype(bool)),
        )
        for rule, group in groups:
            hits = group & low_next & known
            rows.append(
                {
                    "exam_year": int(year),
                    "rule": rule,
                    "rated": len(rated),
                    "group": int(group.sum()),
                    "group_share": round(float(group.mean()), 3),
                    "group_known": int((group & known).sum()),
                    "hits": int(hits.sum()),
                    "precision": round(float(hits.sum() / max((group & known).sum(), 1)), 3),
                    "new_low_next_year": int(new_low.sum()),
                    "new_low_in_group": int((group & new_low).sum()),
                    "new_low_caught": round(
                        float((group & new_low).sum() / max(new_low.sum(), 1)), 3
                    ),
                }
            )
    return pd.DataFrame(rows)
