"""Methodology presets: the reference numbers, overlays, and every way a preset file is refused."""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from shnor.methods.joint_effect import persistence_prior
from shnor.presets import PresetError, available_presets, load_preset


def _write(tmp_path: Path, text: str, name: str = "region.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _reference_toml() -> dict:
    data = resources.files("shnor.presets").joinpath("reference.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))


def _flat_keys(values: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in values.items():
        if isinstance(value, dict):
            keys |= _flat_keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


# --- the reference preset -------------------------------------------------------------------


def test_reference_has_the_numbers_of_the_methodology():
    preset = load_preset()
    assert preset.name == "reference"
    assert preset.version == "2026.1"
    assert preset.source == "reference"
    expected = {
        "indicators.ege_high_score": 80,
        "indicators.high_marks": [4, 5],
        "indicators.core_subjects": ["russian", "math", "math_profile", "math_base"],
        "indicators.interval_confidence": 0.95,
        "small_samples.small_sample_size": 10,
        "small_samples.limited_sample_size": 20,
        "small_samples.min_rated_participants": 10,
        "school_effect.shrinkage": True,
        "school_effect.pool_by": "region",
        "school_effect.weights.vpr": 1.0,
        "school_effect.weights.secondary": 1.0,
        "flags.low_share": 0.10,
        "flags.high_share": 0.10,
        "flags.stable_low_rule": "joint",
        "flags.confirmed_stable_low_probability": 0.9,
        "flags.recurrent_low_years": 2,
        "flags.recurrent_window_years": 3,
        "flags.absolute_risk.fail_share": 0.30,
        "flags.absolute_risk.procedure_count": 2,
        "flags.absolute_risk.min_participants": 10,
        "flags.risk_group.persistent_fail_share": 0.30,
        "flags.risk_group.deterioration_points": 0.10,
        "flags.risk_group.deterioration_alpha": 0.05,
        "flags.prevention_group.worst_share": 0.10,
        "flags.prevention_group.min_failed_subjects": 2,
        "flags.prevention_group.journal_mark_at_most": 3,
        "context.shnsu_share": 0.25,
        "context.index_method": "zscore_mean",
        "context.resilient_cva_best_share": 0.25,
        "objectivity.journal_mean_gap": 0.5,
        "objectivity.boundary_spike_p_value": 0.01,
        "objectivity.best_fail_share": 0.05,
        "objectivity.best_mean_share": 0.10,
        "objectivity.sudden_drop_points": 0.15,
        "objectivity.sudden_drop_alpha": 0.01,
        "objectivity.absent_share": 0.25,
        "objectivity.markers_in_one_procedure": 2,
        "objectivity.procedures_with_marker": 2,
        "year_over_year.alpha": 0.05,
        "year_over_year.min_change_points": 0.10,
        "exit.not_low_years": 2,
        "support.tutor_capacity": 2,
        "support.basic_task_solve_rate": 0.57,
        "support.advanced_task_solve_rate": 0.285,
    }
    for key, value in expected.items():
        assert preset[key] == value, key
        assert type(preset[key]) is type(value), key


def test_label_is_name_at_version():
    assert load_preset().label == "reference@2026.1"
    assert load_preset("urban_rural").label == "urban_rural@2026.1"


def test_parameters_are_flat_and_cover_every_key():
    preset = load_preset()
    parameters = preset.parameters()
    keys = [key for key, _ in parameters]
    assert len(keys) == len(set(keys))
    assert set(keys) == _flat_keys(_reference_toml())
    assert not any(isinstance(value, dict) for _, value in parameters)
    as_dict = dict(parameters)
    assert as_dict["flags.absolute_risk.fail_share"] == 0.30
    assert as_dict["school_effect.weights.ege"] == 1.0
    assert as_dict["preset.name"] == "reference"


def test_shipped_presets_are_listed():
    assert available_presets() == ["reference", "urban_rural"]


# --- overlays -------------------------------------------------------------------------------


def test_urban_rural_overlays_only_what_it_names():
    reference = dict(load_preset().parameters())
    urban_rural = dict(load_preset("urban_rural").parameters())
    changed = {key for key in reference if reference[key] != urban_rural[key]}
    assert changed == {
        "preset.name",
        "preset.description",
        "school_effect.pool_by",
        "flags.low_share",
    }
    assert urban_rural["school_effect.pool_by"] == "settlement_type"
    assert urban_rural["flags.low_share"] == 0.15
    assert urban_rural["flags.high_share"] == 0.10
    assert urban_rural["flags.absolute_risk.fail_share"] == 0.30


def test_preset_given_as_a_path(tmp_path):
    path = _write(
        tmp_path,
        '[preset]\nname = "oblast"\nversion = "7"\n\n'
        "[flags]\nlow_share = 0.2\n\n[flags.absolute_risk]\nprocedure_count = 3\n",
    )
    preset = load_preset(path)
    assert preset.label == "oblast@7"
    assert preset.source == str(path)
    assert preset["flags.low_share"] == 0.2
    assert preset["flags.absolute_risk.procedure_count"] == 3
    assert preset["flags.absolute_risk.fail_share"] == 0.30
    assert preset["context.shnsu_share"] == 0.25
    # the same file by its path as text
    assert load_preset(str(path)).label == "oblast@7"


def test_integer_is_accepted_where_a_float_is_expected(tmp_path):
    path = _write(tmp_path, "[school_effect.weights]\nvpr = 2\n")
    value = load_preset(path)["school_effect.weights.vpr"]
    assert value == 2.0
    assert type(value) is float


def test_missing_preset_file_is_an_error(tmp_path):
    with pytest.raises(PresetError, match="не найден"):
        load_preset(tmp_path / "absent.toml")


def test_invalid_toml_is_an_error(tmp_path):
    path = _write(tmp_path, "[flags\nlow_share = 0.1\n")
    with pytest.raises(PresetError, match="not a valid TOML"):
        load_preset(path)


def test_unknown_name_lists_the_shipped_presets():
    with pytest.raises(PresetError) as error:
        load_preset("no_such_preset")
    message = str(error.value)
    assert "'no_such_preset'" in message
    assert "reference" in message
    assert "urban_rural" in message


# --- refused keys and values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ("low_shar = 0.1\n", "low_shar"),
        ("[flagz]\nlow_share = 0.1\n", "flagz"),
        ("[flags]\nlow_shar = 0.1\n", "flags.low_shar"),
        ("[flags.absolute_risk]\nfail_shar = 0.3\n", "flags.absolute_risk.fail_shar"),
        ("[school_effect.weights]\nmock = 1.0\n", "school_effect.weights.mock"),
    ],
)
def test_unknown_key_names_the_dotted_key(tmp_path, text, dotted):
    path = _write(tmp_path, text)
    with pytest.raises(PresetError) as error:
        load_preset(path)
    assert f"unknown key '{dotted}'" in str(error.value)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ('[flags]\nlow_share = "0.1"\n', "flags.low_share"),
        ("[indicators]\nege_high_score = 80.5\n", "indicators.ege_high_score"),
        ("[flags]\nrecurrent_low_years = true\n", "flags.recurrent_low_years"),
        ('[school_effect]\nshrinkage = "yes"\n', "school_effect.shrinkage"),
        ("[indicators]\nhigh_marks = 4\n", "indicators.high_marks"),
        ("[flags.absolute_risk]\nprocedure_count = 2.5\n", "flags.absolute_risk.procedure_count"),
    ],
)
def test_wrong_type_names_the_key(tmp_path, text, dotted):
    path = _write(tmp_path, text)
    with pytest.raises(PresetError) as error:
        load_preset(path)
    assert f"'{dotted}' must be" in str(error.value)


def test_a_value_where_a_table_belongs_names_the_key(tmp_path):
    path = _write(tmp_path, "flags = 0.1\n")
    with pytest.raises(PresetError, match="'flags' must be a table"):
        load_preset(path)


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ("[flags]\nlow_share = 0.0\n", "flags.low_share"),
        ("[flags]\nlow_share = 1\n", "flags.low_share"),
        ("[flags]\nhigh_share = 1.5\n", "flags.high_share"),
        ("[context]\nshnsu_share = -0.25\n", "context.shnsu_share"),
        ("[school_effect]\nconfidence = 95.0\n", "school_effect.confidence"),
        ("[indicators]\ninterval_confidence = 1.0\n", "indicators.interval_confidence"),
    ],
)
def test_share_outside_zero_one_is_rejected(tmp_path, text, dotted):
    with pytest.raises(PresetError, match=re.escape(f"'{dotted}' must be between 0 and 1")):
        load_preset(_write(tmp_path, text))


def test_bad_pool_by_is_rejected(tmp_path):
    path = _write(tmp_path, '[school_effect]\npool_by = "municipality"\n')
    with pytest.raises(PresetError, match=re.escape("'school_effect.pool_by' must be one of")):
        load_preset(path)


def test_every_shipped_pool_is_accepted(tmp_path):
    for pool in ("region", "settlement_type", "school_level"):
        path = _write(tmp_path, f'[school_effect]\npool_by = "{pool}"\n', name=f"{pool}.toml")
        assert load_preset(path)["school_effect.pool_by"] == pool


def test_bad_index_method_is_rejected(tmp_path):
    path = _write(tmp_path, '[context]\nindex_method = "mean"\n')
    with pytest.raises(PresetError, match=re.escape("'context.index_method' must be one of")):
        load_preset(path)


def test_non_positive_weight_is_rejected(tmp_path):
    path = _write(tmp_path, "[school_effect.weights]\nege = 0.0\n")
    with pytest.raises(
        PresetError, match=re.escape("'school_effect.weights.ege' must be positive")
    ):
        load_preset(path)


@pytest.mark.parametrize(("mean", "sd", "largest"), [(0.7, 0.46, "0.458"), (0.5, 0.5, "0.500")])
def test_persistence_prior_without_a_beta_is_rejected_when_the_preset_loads(
    tmp_path, mean, sd, largest
):
    """An sd of ρ's prior no beta distribution has at its mean is an error of the preset (it
    used to fail only when the schools were scored); the message says the largest sd."""
    text = f"[school_effect]\ndefault_persistence = {mean}\npersistence_prior_sd = {sd}\n"
    with pytest.raises(PresetError) as error:
        load_preset(_write(tmp_path, text))
    message = str(error.value)
    assert "'school_effect.persistence_prior_sd'" in message
    assert f"при среднем {mean} разброс должен быть меньше" in message
    assert message.endswith(f"≈ {largest}")
    with pytest.raises(ValueError, match="no beta distribution"):
        persistence_prior(mean, sd)  # what scoring would have met


def test_persistence_prior_just_below_the_largest_sd_loads_and_scores(tmp_path):
    text = "[school_effect]\ndefault_persistence = 0.7\npersistence_prior_sd = 0.458\n"
    preset = load_preset(_write(tmp_path, text))
    prior = persistence_prior(
        preset["school_effect.default_persistence"], preset["school_effect.persistence_prior_sd"]
    )
    assert len(prior.values) == 9


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("persistence_prior_sd = -0.1\n", "не может быть отрицательным"),
        ("default_persistence = 1.0\n", "строго между 0 и 1"),
    ],
)
def test_persistence_prior_out_of_range_is_rejected(tmp_path, text, words):
    with pytest.raises(PresetError, match=words):
        load_preset(_write(tmp_path, "[school_effect]\n" + text))


def test_a_point_persistence_needs_no_beta(tmp_path):
    text = "[school_effect]\ndefault_persistence = 0.95\npersistence_prior_sd = 0.0\n"
    assert load_preset(_write(tmp_path, text))["school_effect.default_persistence"] == 0.95


# --- bugs -----------------------------------------------------------------------------------


def test_absolute_risk_fail_share_in_percent_is_rejected(tmp_path):
    path = _write(tmp_path, "[flags.absolute_risk]\nfail_share = 30\n")
    with pytest.raises(PresetError, match=re.escape("flags.absolute_risk.fail_share")):
        load_preset(path)


def test_list_of_wrong_element_type_names_the_key(tmp_path):
    path = _write(tmp_path, '[indicators]\nhigh_marks = ["4", "5"]\n')
    with pytest.raises(PresetError, match=re.escape("indicators.high_marks")):
        load_preset(path)


def test_shipped_name_works_next_to_a_folder_of_that_name(tmp_path, monkeypatch):
    (tmp_path / "reference").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_preset("reference").label == "reference@2026.1"


def test_own_preset_without_a_name_is_not_labelled_reference(tmp_path):
    path = _write(tmp_path, "[flags]\nlow_share = 0.2\n")
    preset = load_preset(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    assert (preset.name, preset.version) == (path.stem, f"sha256-{digest}")
    assert preset["flags.low_share"] == 0.2
