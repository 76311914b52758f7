"""Settings are JSON, validated by the scheme with field-level errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from jili.schemes import SettingsError, get_registry
from jili_excess_pool import ExcessPool
from jili_performance_bonus import PerformanceBonus
from jili_special_awards import SpecialAwards
from jili_tiered_commission import TieredCommission


def errors_of(scheme, raw) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        scheme.validate_settings(raw)
    return caught.value.errors


def test_default_settings_are_json_with_decimals_as_strings():
    for scheme in get_registry().all().values():
        settings = scheme.default_settings()
        assert json.loads(json.dumps(settings)) == settings


def test_a_float_is_refused_where_money_is_expected():
    assert "pool_rate_pct" in errors_of(ExcessPool, {"pool_rate_pct": 20.0})


def test_every_bad_field_is_reported_at_once_by_path():
    errors = errors_of(
        TieredCommission,
        {
            "mode": "progressive",
            "bands": [{"from_pct": "0", "rate_pct": "abc"}, {"from_pct": "120", "rate_pct": "-1"}],
            "region_coefficients": {"华东": "x"},
            "colour": "red",
        },
    )
    assert set(errors) == {
        "mode",
        "bands[0].rate_pct",
        "bands[1].rate_pct",
        "region_coefficients[华东]",
        "colour",
    }


def test_bands_must_start_at_zero_and_rise():
    assert "bands[0].from_pct" in errors_of(
        TieredCommission, {"bands": [{"from_pct": "10", "rate_pct": "1"}]}
    )
    assert "bands[1].from_pct" in errors_of(
        TieredCommission,
        {"bands": [{"from_pct": "0", "rate_pct": "1"}, {"from_pct": "0", "rate_pct": "2"}]},
    )


def test_commission_rates_may_not_fall_from_band_to_band():
    errors = errors_of(
        TieredCommission,
        {"bands": [{"from_pct": "0", "rate_pct": "2"}, {"from_pct": "120", "rate_pct": "1"}]},
    )
    assert "bands[1].rate_pct" in errors


def test_cleaning_normalises_input_and_keeps_it_exact():
    cleaned = PerformanceBonus.validate_settings(
        {"level_bases": {"core": "8,000", "newcomer": 5000}, "attainment_cap_pct": ""}
    )
    assert cleaned["level_bases"] == {"core": "8000", "newcomer": "5000"}
    assert cleaned["attainment_cap_pct"] is None
    typed = PerformanceBonus.load_settings(cleaned)
    assert typed.level_bases["core"] == Decimal("8000")


def test_cross_field_rules_are_reported_on_the_field():
    errors = errors_of(
        SpecialAwards,
        {"one_off_kinds": [{"key": "x", "label": "X", "minimum": "500", "maximum": "100"}]},
    )
    assert errors == {"one_off_kinds[0].maximum": "Must not be below the minimum."}


def test_settings_must_be_a_table():
    assert errors_of(ExcessPool, ["not", "a", "table"])
