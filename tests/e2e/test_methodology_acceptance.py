"""Acceptance of the methodology on regions with planted truth, pooled over regions and years:
shnor against the naive ranking by pooled raw fail share, on the demo generator and on an
independent one (tests/independent_region.py: scores on each work's scale, heteroscedastic
schools, tiny and exam-only schools, persistence 0.5 and 0.8) that shares none of the demo's
assumptions.

Power (measured before these seeds were chosen; stable-low F1 of shnor minus the naive ranking's
per 300-school region): independent generator +0.08 (sd 0.11, 8 regions) at persistence 0.5 and
+0.10 (sd 0.06, 8 regions) at 0.8; demo generator +0.05 (sd 0.05, 3 regions). Pooled over the
four independent regions below the margin is about two standard errors from zero (with the
earlier rule, each year's own composite ranked apart, +0.04: about one); two regions of one
persistence alone do not separate the methods reliably at 0.5, so the assertion is pooled (these
seeds: 0.5 shnor 0.640, naive 0.667; 0.8 shnor 0.672, naive 0.581; printed, not asserted)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from independent_region import generate_independent_region

from shnor.demo import generate_demo_region
from shnor.evaluation import demo_figures, figures_against_truth
from shnor.presets import load_preset
from shnor.stages import build_step, flag_step, ingest_step

pytestmark = pytest.mark.slow

# Seeds fixed before their results were seen; the e2e fixture's region (seed 7) is the second
# demo-generator region.
EXTRA_SEEDS = (21,)
SCHOOLS = 300
# Independent regions: (seed, persistence of the true school quality).
INDEPENDENT = ((11, 0.5), (12, 0.5), (11, 0.8), (12, 0.8))


def flagged_figures(data_dir, preset):
    """Ingest, build and flag a region (the checks of the marts and the reports are not what is
    judged here) and its figures from the warehouse's marts."""
    ingest_step(data_dir)
    build_step(data_dir, preset)
    flag_step(data_dir, preset)
    with duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True) as con:
        flags = con.execute("SELECT * FROM marts.fct_school_flags").df()
        results = con.execute("SELECT * FROM marts.fct_school_procedure_results").df()
    truth = pd.read_parquet(data_dir / "demo_truth.parquet")
    return figures_against_truth(flags, results, truth, preset)


@pytest.fixture(scope="module")
def independent_figures(tmp_path_factory):
    """The figures of the independent generator's regions."""
    preset = load_preset()
    found = []
    for seed, persistence in INDEPENDENT:
        folder = tmp_path_factory.mktemp(f"independent{seed}_{persistence}")
        generate_independent_region(folder, seed=seed, persistence=persistence)
        found.append(flagged_figures(folder, preset))
    return found


@pytest.fixture(scope="module")
def figures(request, tmp_path_factory):
    """The figures of the extra demo-generator regions and of the e2e demo region (asked for
    last: under xdist the other worker makes the demo run meanwhile)."""
    preset = load_preset()
    found = []
    for seed in EXTRA_SEEDS:
        region = generate_demo_region(
            tmp_path_factory.mktemp(f"region{seed}"), seed=seed, school_count=SCHOOLS
        )
        found.append(flagged_figures(region.data_dir, preset))
    request.getfixturevalue("demo_run")
    demo_region = request.getfixturevalue("demo_region")
    return [demo_figures(demo_region.data_dir, preset), *found]


def pooled(figures, key):
    """Hits, flagged and true summed over the regions → precision, recall, F1."""
    hits = sum(f[key].hits for f in figures)
    flagged = sum(f[key].flagged for f in figures)
    true = sum(f[key].true for f in figures)
    return hits / flagged, hits / true, 2 * hits / (flagged + true)


def test_stable_low_f1_is_at_least_the_naive_rankings(figures):
    _, _, shnor = pooled(figures, "shnor")
    _, _, naive = pooled(figures, "naive")
    print(f"\nstable-low F1 (demo generator): shnor {shnor:.3f}, naive {naive:.3f}")
    assert shnor >= naive


def test_stable_low_f1_beats_the_naive_rankings_on_independent_regions(independent_figures):
    """Regions built on assumptions shnor does not share, with less persistence than the demo
    too: shnor's stable-low F1 pooled over them at least the naive ranking's."""
    shnor_precision, shnor_recall, shnor = pooled(independent_figures, "shnor")
    _, _, naive = pooled(independent_figures, "naive")
    print(
        f"\nstable-low F1 (independent generator): shnor {shnor:.3f} (precision "
        f"{shnor_precision:.3f}, recall {shnor_recall:.3f}), naive {naive:.3f}"
    )
    assert shnor >= naive
    for persistence in sorted({p for _, p in INDEPENDENT}):
        same = [f for f, (_, p) in zip(independent_figures, INDEPENDENT, strict=True)
                if p == persistence]  # fmt: skip
        print(f"  persistence {persistence}: shnor {pooled(same, 'shnor')[2]:.3f}, "
              f"naive {pooled(same, 'naive')[2]:.3f}")  # fmt: skip


def test_false_flags_among_tiny_schools_at_most_half_the_naive_rankings(figures):
    shnor = sum(f["tiny_false_flags"]["shnor"] for f in figures)
    naive = sum(f["tiny_false_flags"]["naive"] for f in figures)
    print(f"\ntiny-school false stable-low flags: shnor {shnor}, naive {naive}")
    assert naive > 0 and shnor <= naive / 2


def test_tiny_schools_flagged_at_least_as_precisely_as_by_the_naive_ranking(
    figures, independent_figures
):
    """Small schools are flagged only on strong evidence: on each generator, shnor's stable-low
    flags among tiny schools are at least as precise as the naive ranking's."""
    for name, found in (("demo", figures), ("independent", independent_figures)):
        precision = {}
        for method in ("shnor", "naive"):
            flagged = sum(f["tiny_flags"][method] for f in found)
            false = sum(f["tiny_false_flags"][method] for f in found)
            precision[method] = 1 - false / flagged if flagged else 1.0
            print(f"\n{name}, tiny schools, {method}: {flagged} flagged, {false} false")
        assert precision["shnor"] >= precision["naive"]


def test_statistically_confirmed_list_is_very_precise(figures):
    precision, recall, _ = pooled(figures, "shnor_confirmed")
    print(f"\nconfirmed list: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9


def test_objectivity_concern_finds_inflated_vpr_with_few_false_alarms(figures):
    recall = sum(f["objectivity"]["recall"] for f in figures) / len(figures)
    false_alarms = sum(f["objectivity"]["false_alarm_rate"] for f in figures) / len(figures)
    print(f"\nobjectivity: recall {recall:.3f}, false alarms {false_alarms:.3%}")
    assert recall >= 0.7
    assert false_alarms <= 0.05


def test_objectivity_on_independent_regions_finds_inflation_big_enough_to_detect(
    independent_figures,
):
    """The independent generator's inflation (most would-be «2» put on the «3» boundary, a
    quarter kept away, journal honest) changes only as many results as a school has weak pupils:
    of its inflating school-years 33% change none (half of them summary-only municipalities, no
    scores), 17% one or two. Recall over all of them measures the generator, not the method, so
    the ≥ 70% of §6 is asserted among those with ≥ 5 changed results (and, as before, ≥ 8). The
    five school tests are combined by Fisher at 0.03; the boundary test alone needs about 8
    results moved onto the boundary (binomial p 0.0014), and the graded M3 (ВПР «2» against
    what the school's ОГЭ/ЕГЭ predict) carries the schools with 5–7. Measured on these and two
    more regions (seed 13), with the graded M3 (without it): ≥ 8 changed 50 of 54 found (51),
    5–7 8 of 16 (3), 3–4 3 of 18 (3), all 176 inflating 39% (35%); on these four regions ≥ 5
    changed 49 of 60 (47). False alarms among honest school-years 2.2% (1.9%), at most 2.6%
    per region (≤ 5% asserted per region)."""
    rates = [f["objectivity"]["false_alarm_rate"] for f in independent_figures]
    recall = sum(f["objectivity"]["recall"] for f in independent_figures) / len(rates)
    print(f"\nobjectivity (independent): all inflating {recall:.3f}; false alarms {rates}")
    for least in (5, 8):
        inflated = sum(f["objectivity"][f"inflated_{least}"] for f in independent_figures)
        found = sum(f["objectivity"][f"found_{least}"] for f in independent_figures)
        print(f"  {found} of {inflated} inflating school-years with ≥ {least} changed found")
        assert inflated >= 20, "too few inflating school-years big enough to detect to judge"
        assert found / inflated >= 0.7
    assert max(rates) <= 0.05


def test_low_exam_results_of_inflated_schools_are_not_hidden(figures):
    """Truly stable-low schools with inflated ВПР: shnor finds at least as many as the naive
    ranking, which the inflated marks fool."""
    shnor = [f["inflated_stable_low_recall"]["shnor"] for f in figures]
    naive = [f["inflated_stable_low_recall"]["naive"] for f in figures]
    shnor = [v for v in shnor if v == v]
    naive = [v for v in naive if v == v]
    print(f"\ninflated and truly stable-low, recall: shnor {shnor}, naive {naive}")
    assert len(shnor) >= 2, "too few regions with an inflated, truly stable-low school to judge"
    assert sum(shnor) > sum(naive)


def test_resilient_schools_are_recovered(figures):
    """Reported figures; the floors only guard against a regression to chance level."""
    precision, recall, _ = pooled(figures, "resilient")
    print(f"\nresilient: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.35 and recall >= 0.3


def risk_group_pooled(figures):
    """The risk group's counts per rule summed over regions and years → share of rated schools,
    precision for next year's truly low schools and the share of next year's new truly low
    schools it held a year ahead."""
    table = pd.concat([f["risk_group"] for f in figures]).groupby("rule").sum(numeric_only=True)
    return pd.DataFrame(
        {
            "share": table["group"] / table["rated"],
            "precision": table["hits"] / table["group_known"],
            "caught": table["new_low_in_group"] / table["new_low_next_year"],
        }
    )


def assert_risk_group_targets(figures, generator, catches_more_at_same_size=True):
    """More precise than the first rule («any reason») for next year's truly low schools, at its
    own size and at the first rule's size (ordered by `next_low_probability`); at that size it
    also holds at least as many of next year's new low schools a year ahead, where asked."""
    found = risk_group_pooled(figures)
    print(f"\nrisk group ({generator}):\n{found.round(3)}")
    new, old = found.loc["next_low_probability"], found.loc["any_reason"]
    same_size = found.loc["next_low_probability_at_any_reason_size"]
    assert new["precision"] > old["precision"]
    assert same_size["precision"] >= old["precision"]
    if catches_more_at_same_size:
        assert same_size["caught"] >= old["caught"]


def test_risk_group_targets_next_years_low_schools(figures):
    """On the demo generator the first rule puts 28 % of rated schools in the group and so holds
    every one of next year's 19 new low schools; the same number in order of
    `next_low_probability` holds 18 (measured, printed). One school apart, so catching ahead is
    not asserted here but on the independent regions, where the groups are smaller."""
    assert_risk_group_targets(figures, "demo generator", catches_more_at_same_size=False)
    for region in figures:
        shares = region["risk_group"].query("rule == 'next_low_probability'")["group_share"]
        assert (shares <= 0.15).all(), shares


def test_risk_group_targets_on_independent_regions(independent_figures):
    assert_risk_group_targets(independent_figures, "independent generator")
