"""Name keys for matching schools across files and years (docs/data-contract.md), and the matching
itself on small frames: alias, registry, ambiguous, unmatched, name-only, leading zeros."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor.ingest.school_matching import school_code_map, school_name_map
from shnor.ingest.school_names import municipality_key, name_school_id, school_name_key


@pytest.mark.parametrize(
    "name",
    [
        "МБОУ «СОШ № 5» с. Ёлкино",
        'МБОУ "СОШ №5" с. Елкино',
        "мбоу сош n 5 с елкино",
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная "
        "школа № 5» села Ёлкино",
        "МАОУ  СОШ  N5  с.Ёлкино",
        "MБOУ COШ № 5 с. Елкино",  # Latin M, O, C
        "МКОУ «Средняя школа № 5» с. Ёлкино",
    ],
)
def test_spellings_of_one_school_share_a_key(name):
    assert school_name_key(name) == "сош 5 с елкино"


def test_different_schools_keep_different_keys():
    keys = {
        school_name_key(n)
        for n in (
            "СОШ № 5",
            "СОШ № 15",
            "ООШ № 5",
            "Лицей № 5",
            "Гимназия № 5",
            "СОШ № 5 им. Ленина",
        )
    }
    assert len(keys) == 6


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ивановский муниципальный район", "Ивановский р-н"),
        ("Ивановский район", "ИВАНОВСКИЙ МУНИЦИПАЛЬНЫЙ РАЙОН"),
        ("г. Иваново", "городской округ Иваново"),
    ],
)
def test_municipality_spellings_share_a_key(a, b):
    assert municipality_key(a) == municipality_key(b)
    assert municipality_key("Ивановский район") != municipality_key("г. Иваново")


def test_name_ids_are_stable_and_drift_proof():
    assert name_school_id("Ивановский район", "МБОУ «СОШ № 1»") == name_school_id(
        "Ивановский муниципальный район", 'мбоу "сош №1"'
    )
    assert name_school_id("Ивановский район", "СОШ № 1").startswith("name:")


REGISTRY = pd.DataFrame(
    {
        "school_id": ["1", "2", "3", "4"],
        "school_name": ["СОШ № 1", "МКОУ ООШ № 2", "МБОУ ООШ № 2", "Гимназия № 3"],
        "municipality_name": ["Ивановский район"] * 3 + ["г. Городск"],
    }
)
NO_ALIASES = pd.DataFrame(columns=["municipality", "school_name", "school_code"])


def _names(*pairs, years="2025") -> pd.DataFrame:
    return pd.DataFrame(
        [(m, s, years, "ege/2025/svod.xlsx") for m, s in pairs],
        columns=["municipality_name", "school_name", "years", "source_files"],
    )


def test_names_map_to_registry_alias_or_their_own_identity():
    names = _names(
        ("Ивановский р-н", "Средняя общеобразовательная школа №1"),
        ("Ивановский район", "ООШ № 2"),
        ("г. Городск", "Гимназия № 33"),
        ("г. Городск", "Лицей"),
    )
    aliases = pd.DataFrame(
        [("г. Городск", "Лицей", "4")], columns=["municipality", "school_name", "school_code"]
    )
    mapped, review = school_name_map(names, REGISTRY, aliases)
    assert list(mapped["match_rule"]) == ["registry", "ambiguous", "unmatched", "alias"]
    assert list(mapped["school_id"][[0, 3]]) == ["1", "4"]
    assert mapped["school_id"][2] == name_school_id("г. Городск", "Гимназия № 33")
    ambiguous = review[review["match_status"] == "ambiguous"]
    assert sorted(ambiguous["candidate_school_id"]) == ["2", "3"]
    unmatched = review[review["match_status"] == "unmatched"]
    assert unmatched.iloc[0]["candidate_school_id"] == "4"  # «Гимназия № 3», most similar
    assert list(unmatched["candidate_rank"]) == sorted(unmatched["candidate_rank"])


def test_without_a_registry_names_are_identities_and_renames_are_suggested():
    names = pd.concat(
        [
            _names(("Район", "СОШ № 1"), ("Район", "СОШ № 2 с. Ёлкино"), years="2024"),
            _names(("Район", "сош №1"), ("Район", "СОШ № 2 имени Героя с. Ёлкино"), years="2025"),
        ]
    )
    mapped, review = school_name_map(names, REGISTRY.iloc[0:0], NO_ALIASES)
    assert set(mapped["match_rule"]) == {"name_only"}
    assert mapped["school_id"].nunique() == 3  # СОШ № 1 is one school in both years
    suggested = review[review["school_name"] == "СОШ № 2 с. Ёлкино"]
    assert list(suggested["candidate_school_name"]) == ["СОШ № 2 имени Героя с. Ёлкино"]


def test_codes_without_their_leading_zeros_find_the_registry_code():
    registry = pd.DataFrame({"school_id": ["012345", "700", "0700"]})
    mapped = school_code_map(["12345", "012345", "700", "00700", "sch1"], registry)
    assert list(mapped["school_id"]) == ["012345", "012345", "700", "00700", "sch1"]
    assert list(mapped["match_rule"]) == ["leading_zeros", "code", "code", "ambiguous", "code"]


def test_codes_differing_by_leading_zeros_without_a_registry_are_one_school():
    # no registry code fits: the spelling with the zeros wins (a spreadsheet only drops them)
    mapped = school_code_map(["12", "0012", "012", "5"], pd.DataFrame({"school_id": ["5"]}))
    assert list(mapped["school_id"]) == ["0012", "0012", "0012", "5"]
    assert list(mapped["match_rule"]) == [
        "leading_zeros_in_files",
        "code",
        "leading_zeros_in_files",
        "code",
    ]


def test_drifting_names_of_a_realistic_region_find_their_registry_school():
    from summary_workbooks import summary_region

    region = summary_region(seed=11, schools=380)
    first = region[2024]
    registry = pd.DataFrame(
        {
            "school_id": [f"c{s.key}" for s in first],
            "school_name": [s.name for s in first],
            "municipality_name": [s.municipality for s in first],
        }
    )
    for year, schools in region.items():
        names = _names(*[(s.municipality, s.name) for s in schools], years=str(year))
        mapped, _ = school_name_map(names, registry, NO_ALIASES)
        truth = [f"c{s.key}" for s in schools]
        right = sum(a == b for a, b in zip(mapped["school_id"], truth, strict=True))
        wrong = sum(
            a != b and not a.startswith("name:")
            for a, b in zip(mapped["school_id"], truth, strict=True)
        )
        assert right / len(schools) >= 0.98, year
        assert wrong == 0  # never guessed: what is not sure keeps its own identity
