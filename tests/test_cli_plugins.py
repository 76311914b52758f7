"""`jili plugins list`: every installed scheme with its English label and origin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

import jili.schemes as schemes
from jili.schemes import (
    PayoutLine,
    SchemeOrigin,
    SchemeRegistry,
    SchemeType,
    get_registry,
    make_plugin_manager,
)


class Lottery(SchemeType):
    """A test scheme from a plugin registered in code."""

    key = "lottery"
    label = _l("Lottery")

    @classmethod
    def calculate(cls, facts, settings, context) -> list[PayoutLine]:
        return []


class LotteryPlugin:
    __name__ = "acme_lottery"

    @staticmethod
    def jili_scheme_types():
        return [Lottery]


def _rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_lists_every_builtin_scheme_aligned(runner):
    result = runner.invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    header, *rows = _rows(result.output)
    assert header.split() == ["key", "label", "origin"]
    registry = get_registry()
    assert [r.split()[0] for r in rows] == sorted(registry.all())
    label_col, origin_col = header.index("label"), header.index("origin")
    for row in rows:
        key = row.split()[0]
        assert row[label_col - 1] == " " and row[label_col] != " "
        assert row[origin_col:] == f"built-in: {registry.origin(key).plugin}"
    tiered = next(r for r in rows if r.startswith("tiered_commission "))
    assert tiered[label_col:origin_col].strip() == "Tiered commission"


def test_labels_are_english_whatever_the_default_language(app, runner):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans"
    result = runner.invoke(args=["plugins", "list"])
    assert "Excess pool" in result.output and "Profit sharing" in result.output


def test_third_party_schemes_show_where_they_come_from(runner, monkeypatch):
    registry = SchemeRegistry(make_plugin_manager(extra_plugins=[LotteryPlugin()]))
    real_origin = registry.origin

    def origin(key):
        if key == "excess_pool":  # as if installed from a distribution's entry point
            return SchemeOrigin("acme_pool", "entry point", "acme-jili 1.2.0")
        return real_origin(key)

    monkeypatch.setattr(registry, "origin", origin)
    monkeypatch.setattr(schemes, "get_registry", lambda: registry)
    result = runner.invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    rows = {r.split()[0]: r for r in _rows(result.output)[1:]}
    assert len(rows) == 7
    assert rows["lottery"].endswith("registered: acme_lottery")
    assert " Lottery " in rows["lottery"]
    assert rows["excess_pool"].endswith("entry point: acme_pool (acme-jili 1.2.0)")
