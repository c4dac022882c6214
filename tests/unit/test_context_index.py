"""The social-context index of docs/methodology.md (higher = harder) and ШНСУ (worst 25%)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor.methods.context_index import COMPONENT_SIGNS, context_index, shnsu_mask


def long(data: dict[str, dict[str, float]], year: int = 2026) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"school_id": school, "exam_year": year, "component": component, "share": share}
            for school, components in data.items()
            for component, share in components.items()
        ]
    )


def indexed(components: pd.DataFrame, method: str = "zscore_mean") -> pd.DataFrame:
    return context_index(components, method).set_index(["school_id", "exam_year"])


SD = np.sqrt(0.06)  # sample sd of 0.8, 0.5, 0.2, 0.5


def test_signed_z_scores_are_averaged_higher_education_makes_it_easier():
    components = long(
        {
            "a": {"parents_higher_education_share": 0.8, "low_income_share": 0.1},
            "b": {"parents_higher_education_share": 0.5, "low_income_share": 0.2},
            "c": {"parents_higher_education_share": 0.2, "low_income_share": 0.3},
            "d": {"parents_higher_education_share": 0.5},
        }
    )
    result = indexed(components)
    assert list(result.reset_index().columns) == [
        "school_id",
        "exam_year",
        "context_index",
        "component_count",
        "imputed_component_count",
        "is_context_imputed",
    ]
    # higher education: −z; low income (mean 0.2, sd 0.1): +z; the index is their mean
    expected = {
        "a": (-(0.3 / SD) + -1.0) / 2,
        "b": 0.0,
        "c": ((0.3 / SD) + 1.0) / 2,
        "d": 0.0,  # at the mean of the one, the other imputed with the mean (z = 0)
    }
    for school, value in expected.items():
        assert result.loc[(school, 2026), "context_index"] == pytest.approx(value)
    assert result.loc[("a", 2026), "context_index"] < result.loc[("c", 2026), "context_index"]


def test_each_sign_points_the_right_way():
    assert COMPONENT_SIGNS["parents_higher_education_share"] == -1
    assert COMPONENT_SIGNS["top_category_teacher_share"] == -1
    for component in ("single_parent_share", "low_income_share", "vacancy_share"):
        assert COMPONENT_SIGNS[component] == 1
    for component, sign in COMPONENT_SIGNS.items():
        easy = long({"x": {component: 0.1}, "y": {component: 0.3}, "z": {component: 0.5}})
        result = indexed(easy)
        order = result["context_index"].droplevel("exam_year")
        # a higher share is harder (higher index) exactly for the + components
        assert (order["z"] > order["x"]) == (sign == 1), component
        assert order["y"] == pytest.approx(0.0)


def test_imputation_is_counted_per_school():
    components = long(
        {
            "a": {"parents_higher_education_share": 0.8, "low_income_share": 0.1},
            "b": {"parents_higher_education_share": 0.5, "low_income_share": 0.2},
            "c": {"parents_higher_education_share": 0.2, "low_income_share": 0.3},
            "d": {"parents_higher_education_share": 0.5},
            "e": {"on_register_share": 0.01},
        }
    )
    on_register = long({s: {"on_register_share": 0.02} for s in ("a", "b")})
    result = indexed(pd.concat([components, on_register]))
    counts = result[["component_count", "imputed_component_count", "is_context_imputed"]]
    assert counts.droplevel("exam_year").to_dict("index") == {
        "a": {"component_count": 3, "imputed_component_count": 0, "is_context_imputed": False},
        "b": {"component_count": 3, "imputed_component_count": 0, "is_context_imputed": False},
        "c": {"component_count": 2, "imputed_component_count": 1, "is_context_imputed": True},
        "d": {"component_count": 1, "imputed_component_count": 2, "is_context_imputed": True},
        "e": {"component_count": 1, "imputed_component_count": 2, "is_context_imputed": True},
    }


def test_a_component_constant_across_schools_does_not_produce_nan():
    components = long(
        {
            "a": {"parents_higher_education_share": 0.8, "vacancy_share": 0.05},
            "b": {"parents_higher_education_share": 0.5, "vacancy_share": 0.05},
            "c": {"parents_higher_education_share": 0.2, "vacancy_share": 0.05},
        }
    )
    for method in ("zscore_mean", "pca"):
        result = indexed(components, method)
        assert result["context_index"].notna().all(), method
    result = indexed(components)
    # the constant component adds z = 0 to everyone: the index is −z(higher education) / 2
    assert result.loc[("a", 2026), "context_index"] == pytest.approx(-(0.3 / 0.3) / 2)
    assert result.loc[("b", 2026), "context_index"] == pytest.approx(0.0)


def test_a_constant_component_is_not_counted_as_imputed():
    components = long(
        {
            "a": {"parents_higher_education_share": 0.8, "vacancy_share": 0.05},
            "b": {"parents_higher_education_share": 0.5, "vacancy_share": 0.05},
            "c": {"parents_higher_education_share": 0.2, "vacancy_share": 0.05},
            "d": {"parents_higher_education_share": 0.4},
        }
    )
    result = indexed(components).droplevel("exam_year")
    assert result["imputed_component_count"].to_dict() == {"a": 0, "b": 0, "c": 0, "d": 1}
    assert result["is_context_imputed"].to_dict() == {"a": False, "b": False, "c": False, "d": True}


def test_each_year_is_standardised_on_its_own():
    first = long({"a": {"low_income_share": 0.1}, "b": {"low_income_share": 0.3}}, 2025)
    second = long({"a": {"low_income_share": 0.5}, "b": {"low_income_share": 0.7}}, 2026)
    result = indexed(pd.concat([first, second]))["context_index"]
    assert result.loc[("a", 2025)] == pytest.approx(result.loc[("a", 2026)])
    assert result.loc[("a", 2025)] == pytest.approx(-1 / np.sqrt(2))


def _correlated_components(reflect: bool) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    hardship = np.linspace(0.0, 1.0, 12)
    data = {}
    for i, h in enumerate(hardship):
        data[f"s{i:02d}"] = {
            "parents_higher_education_share": 0.7 - 0.5 * h + rng.normal(0, 0.02),
            "low_income_share": 0.1 + 0.4 * h + rng.normal(0, 0.02),
            "unemployed_parents_share": 0.05 + 0.2 * h + rng.normal(0, 0.02),
            "vacancy_share": 0.3 - 0.2 * h if reflect else 0.1 + 0.2 * h,
        }
    return long(data)


@pytest.mark.parametrize("reflect", [False, True])
def test_pca_is_oriented_like_the_z_mean(reflect):
    components = _correlated_components(reflect)
    zmean = indexed(components)["context_index"]
    pca = indexed(components, "pca")["context_index"]
    assert pca.notna().all()
    assert np.corrcoef(zmean, pca)[0, 1] > 0.8
    # the hardest and easiest schools agree
    assert pca.idxmax() == zmean.idxmax()
    assert pca.idxmin() == zmean.idxmin()


def test_pca_orientation_does_not_depend_on_the_order_of_schools():
    components = _correlated_components(False)
    forward = indexed(components, "pca")["context_index"]
    backward = indexed(components.iloc[::-1], "pca")["context_index"]
    assert backward.reindex(forward.index).to_numpy() == pytest.approx(forward.to_numpy())


def test_an_unknown_method_raises():
    components = long({"a": {"low_income_share": 0.1}, "b": {"low_income_share": 0.3}})
    with pytest.raises(ValueError, match="'factor'"):
        context_index(components, "factor")


def test_no_known_components_give_an_empty_frame():
    components = long({"a": {"something_else": 0.1}})
    result = context_index(components)
    assert result.empty
    assert "context_index" in result.columns


def test_shnsu_is_the_hardest_quarter():
    index = pd.Series(
        [0.9, -0.3, 1.4, 0.0, -1.2, 0.2, 2.0, -0.5],
        index=[f"s{i}" for i in range(8)],
    )
    mask = shnsu_mask(index, 0.25)
    assert mask[mask].index.tolist() == ["s2", "s6"]  # the two highest (hardest) of eight
    assert mask.dtype == bool
    # ties straddling the cut-off are not ШНСУ; a missing index never is
    tied = pd.Series([2.0, 1.0, 1.0, 0.0, np.nan, -1.0, -2.0, -3.0, -4.0])
    assert shnsu_mask(tied, 0.25).tolist() == [True] + [False] * 8
