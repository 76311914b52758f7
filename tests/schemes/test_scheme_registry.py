"""The plugin contract: hooks, registration, per-tenant filtering, entry points."""

from __future__ import annotations

import inspect
import sys
import textwrap
from decimal import Decimal

import pluggy
import pytest

from jili import hookimpl, hookspecs
from jili.schemes import (
    BUILTIN_PLUGINS,
    ENTRY_POINT_GROUP,
    Explanation,
    Fact,
    SchemeRegistrationError,
    SchemeRegistry,
    SchemeType,
    available_schemes,
    get_registry,
    make_plugin_manager,
)

BUILTIN_KEYS = {
    "tiered_commission",
    "excess_pool",
    "mentor_award",
    "profit_sharing",
    "performance_bonus",
    "special_awards",
}


class FlatBonus(SchemeType):
    """A test scheme: the same amount for everyone."""

    key = "flat_bonus"
    label = "Flat bonus"
    facts_needed = frozenset({Fact.SALES})

    @classmethod
    def calculate(cls, facts, settings, context):
        return [
            cls.line(context, p.person_id, Decimal(100), Explanation("Flat."))
            for p in facts.people_sorted()
        ]


class FlatBonusPlugin:
    @staticmethod
    @hookimpl
    def jili_scheme_types():
        return [FlatBonus]


def registry_with(*plugins, builtins=BUILTIN_PLUGINS) -> SchemeRegistry:
    pm = make_plugin_manager(builtins=builtins, entry_points=False, extra_plugins=plugins)
    return SchemeRegistry(pm, builtins)


def spec_functions():
    return [
        obj
        for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("jili_")
    ]


def test_every_hook_has_a_docstring_that_states_what_it_returns():
    assert spec_functions(), "hookspecs defines no hooks"
    for hook in spec_functions():
        doc = inspect.getdoc(hook) or ""
        assert doc, f"hook {hook.__name__} has no docstring"
        assert "Return" in doc or "return" in doc, f"{hook.__name__}: say what it returns"


def test_every_hook_in_the_manager_is_documented():
    pm = make_plugin_manager(builtins=(), entry_points=False)
    for name, caller in vars(pm.hook).items():
        if name.startswith("_"):
            continue
        assert caller.spec is not None and (caller.spec.function.__doc__ or "").strip(), name


def test_the_six_built_in_schemes_are_registered_with_their_origin():
    registry = get_registry()
    assert BUILTIN_KEYS <= set(registry.all())
    for key in BUILTIN_KEYS:
        origin = registry.origin(key)
        assert origin.kind == "built-in"
        assert origin.plugin == f"jili_{key}"


def test_built_in_schemes_have_docstrings_labels_and_valid_defaults():
    for key in BUILTIN_KEYS:
        scheme = get_registry().get(key)
        assert (scheme.__doc__ or "").strip()
        assert str(scheme.label)
        assert scheme.facts_needed
        assert scheme.validate_settings(scheme.default_settings()) == scheme.default_settings()


def test_a_test_scheme_is_offered_only_to_tenants_that_enable_it():
    registry = registry_with(FlatBonusPlugin)
    assert registry.get("flat_bonus") is FlatBonus
    assert registry.origin("flat_bonus").kind == "registered"
    assert "flat_bonus" in registry.available({"flat_bonus", "tiered_commission"})
    assert "flat_bonus" not in registry.available({"tiered_commission"})
    assert registry.available(set()) == {}


def test_an_enabled_scheme_that_is_not_installed_is_left_out_not_a_crash():
    registry = registry_with()
    assert registry.available({"uninstalled_scheme", "excess_pool"}).keys() == {"excess_pool"}
    assert registry.get("uninstalled_scheme") is None


def test_available_schemes_filters_the_process_registry():
    assert set(available_schemes({"profit_sharing", "nope"})) == {"profit_sharing"}


def test_a_misspelt_hook_fails_at_start_up():
    class Misspelt:
        @staticmethod
        @hookimpl
        def jili_scheme_typez():
            return [FlatBonus]

    with pytest.raises(pluggy.PluginValidationError, match="jili_scheme_typez"):
        make_plugin_manager(builtins=(), entry_points=False, extra_plugins=[Misspelt])


def test_a_misspelt_hook_without_the_marker_fails_too():
    class Unmarked:
        @staticmethod
        def jili_sheme_types():
            return []

    with pytest.raises(pluggy.PluginValidationError, match="jili_sheme_types"):
        make_plugin_manager(builtins=(), entry_points=False, extra_plugins=[Unmarked])


def test_a_hook_with_a_wrong_argument_fails_at_registration():
    class WrongArgs:
        @staticmethod
        @hookimpl
        def jili_scheme_types(app):
            return []

    with pytest.raises(pluggy.PluginValidationError):
        make_plugin_manager(builtins=(), entry_points=False, extra_plugins=[WrongArgs])


def test_two_plugins_with_the_same_scheme_key_fail_loudly():
    class Again:
        @staticmethod
        @hookimpl
        def jili_scheme_types():
            return [FlatBonus]

    with pytest.raises(SchemeRegistrationError, match="flat_bonus"):
        registry_with(FlatBonusPlugin, Again)


def test_a_plugin_returning_something_else_than_a_scheme_type_fails():
    class NoCalculate(SchemeType):
        """Forgot calculate."""

        key = "no_calculate"
        label = "x"

    class Bad:
        @staticmethod
        @hookimpl
        def jili_scheme_types():
            return [NoCalculate]

    with pytest.raises(SchemeRegistrationError, match="calculate"):
        registry_with(Bad, builtins=())


def test_third_party_schemes_load_from_the_entry_point_group(tmp_path, monkeypatch):
    (tmp_path / "acme_scheme.py").write_text(
        textwrap.dedent(
            '''
            from decimal import Decimal
            from jili import hookimpl
            from jili.schemes import SchemeType

            class AcmeBonus(SchemeType):
                """A third-party scheme."""
                key = "acme_bonus"
                label = "Acme bonus"

                @classmethod
                def calculate(cls, facts, settings, context):
                    return []

            @hookimpl
            def jili_scheme_types():
                return [AcmeBonus]
            '''
        )
    )
    dist = tmp_path / "acme_scheme-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-scheme\nVersion: 1.2\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme = acme_scheme\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_scheme", raising=False)

    registry = SchemeRegistry(make_plugin_manager())
    assert registry.get("acme_bonus").__name__ == "AcmeBonus"
    origin = registry.origin("acme_bonus")
    assert (origin.plugin, origin.kind, origin.distribution) == (
        "acme",
        "entry point",
        "acme-scheme 1.2",
    )
    assert registry.origin("excess_pool").kind == "built-in"


def test_the_app_does_not_start_with_a_misspelt_third_party_hook(tmp_path, monkeypatch):
    """create_app loads every scheme plugin: a misspelt hook in an installed
    package stops the start with pluggy's error, before any request."""
    from jili import create_app

    (tmp_path / "typo_scheme.py").write_text(
        "from jili import hookimpl\n\n@hookimpl\ndef jili_scheme_typess():\n    return []\n"
    )
    dist = tmp_path / "typo_scheme-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: typo-scheme\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ntypo = typo_scheme\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "typo_scheme", raising=False)
    get_registry.cache_clear()
    try:
        with pytest.raises(pluggy.PluginValidationError, match="jili_scheme_typess"):
            create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    finally:
        get_registry.cache_clear()
