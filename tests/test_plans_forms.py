"""The generic settings form: every built-in scheme's form round-trips its
defaults; error paths land on their field, row and column; a plugin's own
settings partial is used when it ships one."""

from __future__ import annotations

import html
import sys
import textwrap
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from jili.extensions import db
from jili.incentives import form_fields
from jili.incentives import forms as sforms
from jili.incentives.models import ApprovalStatus
from jili.models import Period, Plan, PlanVersion, TenantScheme
from jili.periods.services import generate_year
from jili.schemes import SchemeRegistry, get_registry
from jili.schemes import registry as scheme_registry
from jili.schemes.registry import BUILTIN_PLUGINS, make_plugin_manager
from jili.tenancy import bound_tenant
from plan_kit import approve_on_page

EN = {"Accept-Language": "en"}
BUILTIN_KEYS = sorted(get_registry().all())


class FormReader(HTMLParser):
    """What a browser would post from the page's plan form (default button)."""

    def __init__(self):
        super().__init__()
        self.data = MultiDict()
        self._select = None
        self._textarea = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "plan-form" in (a.get("class") or ""):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data.add(name, a.get("value", "on"))
            elif kind != "submit":
                self.data.add(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.add(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.add(*self._textarea)
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def read_form(html: str) -> MultiDict:
    reader = FormReader()
    reader.feed(html)
    return reader.data


def company(make_tenant, keys):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2024, 1)
        for key in keys:
            db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=key, enabled=True))
        db.session.commit()
    return tenant


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_every_built_in_form_round_trips_its_defaults(key, make_tenant, browser, member):
    scheme = get_registry().get(key)
    tenant = company(make_tenant, [key])
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key={key}", headers=EN)
    assert page.status_code == 200
    with force_locale("en"):
        labels = [str(f.label) for f in scheme.settings_fields]
    for label in labels:
        assert html.escape(label, quote=False) in page.text
    data = read_form(page.text)
    data["name"] = f"Plan {key}"
    resp = b.client.post(f"/t/{tenant.slug}/plans/new", data=data, headers=EN)
    assert resp.status_code == 302, resp.text
    with bound_tenant(tenant.id):
        (version,) = db.session.scalars(select(PlanVersion))
    assert version.settings == scheme.default_settings()
    approve_on_page(tenant, member, browser, version.plan_id)

    # The edit form shows the same values back, and saving them makes no new version.
    plan_url = f"/t/{tenant.slug}/plans/{version.plan_id}"
    data = read_form(b.get(f"{plan_url}/edit", headers=EN).text)
    resp = b.client.post(f"{plan_url}/edit", data=data, headers=EN)
    assert resp.status_code == 302, resp.text
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(db.func.count(PlanVersion.id))) == 1
    assert b.get(plan_url, headers=EN).status_code == 200


def test_form_values_parse_back_to_the_stored_settings():
    scheme = get_registry().get("tiered_commission")
    stored = scheme.validate_settings(
        {
            "mode": "marginal",
            "bands": [{"from_pct": "0", "rate_pct": "1"}, {"from_pct": "120", "rate_pct": "1.8"}],
            "region_coefficients": {"华东": "1.1", "华南": "0.9"},
            "attainment_cap_pct": "150",
        }
    )
    values = form_fields.form_values(scheme.settings_fields, stored)
    posted = MultiDict()
    for f in scheme.settings_fields:
        v = values[f.name]
        name = form_fields.PREFIX + f.name
        if form_fields.widget_kind(f) == "decimal_map":
            for i, row in enumerate(v):
                posted.add(f"{name}.{i}.key", row["key"])
                posted.add(f"{name}.{i}.value", row["value"])
        elif form_fields.widget_kind(f) == "bands":
            for i, row in enumerate(v):
                for col, cv in row.items():
                    posted.add(f"{name}.{i}.{col}", cv)
        else:
            posted.add(name, v)
    parsed = form_fields.parse_form(scheme.settings_fields, posted)
    raw, errors = form_fields.to_raw(scheme.settings_fields, parsed)
    assert errors == {}
    assert scheme.validate_settings(raw) == stored


def test_errors_land_on_their_field_row_and_column():
    scheme = get_registry().get("performance_bonus")
    values = form_fields.form_values(scheme.settings_fields, scheme.default_settings())
    form = sforms.build_form(
        scheme,
        values,
        {
            "coefficient_bands[2].coefficient": "Too low.",
            "coefficient_bands[0]": "Bad row.",
            "level_bases[core]": "Enter a number.",
            "attainment_cap_pct": "Must be at least 0.",
            "no_such_setting": "Not a setting of this scheme.",
        },
    )
    bands = form.field("coefficient_bands")
    assert bands.rows[2]["errors"] == {"coefficient": "Too low."}
    assert bands.rows[0]["row_errors"] == ["Bad row."]
    assert bands.rows[1]["errors"] == {}
    bases = form.field("level_bases")
    core = next(r for r in bases.rows if r["values"]["key"] == "core")
    assert core["errors"] == {"value": "Enter a number."}
    assert form.field("attainment_cap_pct").errors == ["Must be at least 0."]
    assert form.errors == ["no_such_setting: Not a setting of this scheme."]
    assert form.has_errors


def test_a_name_listed_twice_in_a_map_is_an_error():
    scheme = get_registry().get("tiered_commission")
    posted = MultiDict(
        [
            ("s.region_coefficients.0.key", "华东"),
            ("s.region_coefficients.0.value", "1.1"),
            ("s.region_coefficients.1.key", " 华东 "),
            ("s.region_coefficients.1.value", "1.2"),
        ]
    )
    parsed = form_fields.parse_form(scheme.settings_fields, posted)
    _raw, errors = form_fields.to_raw(scheme.settings_fields, parsed)
    assert errors == {"region_coefficients[华东]": "华东 is listed twice."}


def test_settings_diff_names_what_changed():
    scheme = get_registry().get("tiered_commission")
    before = scheme.default_settings()
    after = scheme.validate_settings(
        {
            **before,
            "bands": [{"from_pct": "0", "rate_pct": "1.2"}, {"from_pct": "120", "rate_pct": "2"}],
            "region_coefficients": {"华东": "1.1"},
        }
    )
    changes = sforms.settings_diff(scheme, before, after)
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("bands[1].rate_pct", "1.8", "2"),
        ("region_coefficients[华东]", None, "1.1"),
    ]
    assert changes[0].label == "Bands by attainment, row 2, Rate (%)"
    assert changes[1].label == "Region coefficients: 华东"
    assert sforms.settings_diff(None, {"x": "1"}, {"x": "2"})[0].label == "x"


PARTIAL_PLUGIN = '''
from decimal import Decimal
from jili import hookimpl
from jili.schemes import Explanation, PercentField, SchemeType


class Custom(SchemeType):
    """A scheme with its own settings partial."""

    key = "custom_partial"
    label = "Custom partial"
    settings_fields = (PercentField("rate_pct", "Rate (%)", default="1"),)

    @classmethod
    def calculate(cls, facts, settings, context):
        return []


@hookimpl
def jili_scheme_types():
    return [Custom]
'''

PARTIAL = """{% import "incentives/plans/_settings_macros.html" as m %}
<p class="custom-partial">Our own layout</p>
{{ m.settings_field(form.field("rate_pct"), form) }}
"""


@pytest.fixture
def partial_plugin(tmp_path, monkeypatch):
    pkg = tmp_path / "acme_partial"
    (pkg / "templates" / "acme_partial").mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(PARTIAL_PLUGIN))
    (pkg / "templates" / "acme_partial" / "settings.html").write_text(PARTIAL)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("acme_partial")
    reg = SchemeRegistry(
        make_plugin_manager(builtins=BUILTIN_PLUGINS, entry_points=False, extra_plugins=[module])
    )
    monkeypatch.setattr(scheme_registry, "get_registry", lambda: reg)
    yield reg
    sys.modules.pop("acme_partial", None)


def test_a_plugin_ships_its_own_settings_partial(partial_plugin, make_tenant, browser):
    tenant = company(make_tenant, ["custom_partial", "tiered_commission"])
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=custom_partial", headers=EN)
    assert page.status_code == 200
    assert "Our own layout" in page.text and 'name="s.rate_pct" value="1"' in page.text
    # Errors still come back next to the field in the plugin's layout.
    data = read_form(page.text)
    data["name"] = "Custom"
    data["s.rate_pct"] = "lots"
    resp = b.client.post(f"/t/{tenant.slug}/plans/new", data=data, headers=EN)
    assert resp.status_code == 400
    assert "Our own layout" in resp.text and "Enter a number." in resp.text
    data["s.rate_pct"] = "3"
    assert b.client.post(f"/t/{tenant.slug}/plans/new", data=data).status_code == 302
    # A scheme without a partial gets the generic form.
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=tiered_commission", headers=EN)
    assert "Our own layout" not in page.text and "Bands by attainment" in page.text


def test_templates_of_packages_that_are_not_scheme_plugins_are_not_served(partial_plugin, app):
    loader = sforms.PluginTemplateLoader()
    from jinja2 import TemplateNotFound

    with pytest.raises(TemplateNotFound):
        loader.get_source(app.jinja_env, "jinja2/__init__.py")
    with pytest.raises(TemplateNotFound):
        loader.get_source(app.jinja_env, "acme_partial/../../__init__.py")
    source, _name, _up = loader.get_source(app.jinja_env, "acme_partial/settings.html")
    assert "Our own layout" in source


def test_plan_of_an_uninstalled_scheme_is_kept_in_the_listing(make_tenant, browser):
    tenant = company(make_tenant, [])
    with bound_tenant(tenant.id):
        plan = Plan(tenant_id=tenant.id, name="Ghost", scheme_key="ghost_scheme")
        db.session.add(plan)
        db.session.flush()
        jan = db.session.scalar(select(Period).where(Period.label == "2024-01"))
        db.session.add(
            PlanVersion(
                status=ApprovalStatus.APPROVED,  # as if approved
                tenant_id=tenant.id,
                plan_id=plan.id,
                number=1,
                effective_period_id=jan.id,
                effective_from=jan.start_date,
                settings={},
            )
        )
        db.session.commit()
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/plans", headers=EN)
    assert page.status_code == 200 and "Ghost" in page.text and "unavailable" in page.text


ZH = {"Accept-Language": "zh-CN"}


def test_an_on_off_setting_is_a_checkbox_only_and_unticking_it_saves(make_tenant, browser, member):
    """Special awards: unticking the over-target bonus makes a new version with it off
    (it used to sit beside a raw "JSON" box holding True and say "no change")."""
    tenant = company(make_tenant, ["special_awards"])
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=special_awards", headers=EN)
    assert "<textarea" not in page.text and "JSON" not in page.text
    data = read_form(page.text)
    data["name"] = "Awards"
    assert b.client.post(f"/t/{tenant.slug}/plans/new", data=data).status_code == 302
    with bound_tenant(tenant.id):
        plan_id = db.session.scalar(select(Plan.id))
    approve_on_page(tenant, member, browser, plan_id)
    edit = b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit", headers=EN).text
    assert edit.count('name="s.over_target_enabled"') == 1
    data = read_form(edit)
    data.pop("s.over_target_enabled")  # the box unticked: a browser sends nothing
    resp = b.client.post(f"/t/{tenant.slug}/plans/{plan_id}/edit", data=data, headers=EN)
    assert resp.status_code == 302, resp.text
    with bound_tenant(tenant.id):
        latest = db.session.scalars(select(PlanVersion).order_by(PlanVersion.number.desc())).first()
    assert latest.number == 2
    assert latest.settings["over_target_enabled"] is False
    assert latest.settings["attainment_award_enabled"] is True


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_no_built_in_setting_is_edited_as_raw_json(key):
    scheme = get_registry().get(key)
    kinds = {form_fields.widget_kind(f) for f in scheme.settings_fields}
    for f in scheme.settings_fields:
        kinds |= {form_fields.widget_kind(c) for c in getattr(f, "fields", ())}
    assert "json" not in kinds


def test_a_level_map_is_one_labelled_input_per_level(make_tenant, browser):
    """Performance bonus: the base per level reads 新人 / 骨干 / 经理, each its own
    input; no level code to type, an empty level is simply absent."""
    tenant = company(make_tenant, ["performance_bonus"])
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=performance_bonus", headers=ZH).text
    section = page[page.index('id="setting-level_bases"') :]
    section = section[: section.index("</table>")]
    for label in ("新人", "骨干", "经理"):
        assert f">{label}</label>" in section
    assert 'type="hidden" name="s.level_bases.1.key" value="core"' in section
    assert section.count('value="core"') == 1  # the hidden one: nothing to type
    data = read_form(page)
    data["name"] = "绩效"
    data["s.level_bases.2.value"] = "12000"
    resp = b.client.post(f"/t/{tenant.slug}/plans/new", data=data, headers=ZH)
    assert resp.status_code == 302, resp.text
    with bound_tenant(tenant.id):
        (version,) = db.session.scalars(select(PlanVersion))
    assert version.settings["level_bases"] == {
        "core": "8000",
        "manager": "12000",
        "newcomer": "5000",
    }
    detail = b.get(f"/t/{tenant.slug}/plans/{version.plan_id}", headers=ZH).text
    assert "经理: 12,000" in detail  # grouped like money (issue 10 item 14)


def test_a_level_map_refuses_a_name_that_is_not_a_level():
    scheme = get_registry().get("profit_sharing")
    with pytest.raises(Exception) as exc:
        scheme.validate_settings({**scheme.default_settings(), "grade_weights": {"boss": "9"}})
    assert "grade_weights[boss]" in str(exc.value)
