"""Plan as code: `jili tenant export` — a tenant as one TOML file that round
trips byte for byte, with natural keys and nothing else (no ids, timestamps or
accounts). The import's errors and the CLI: test_tenant_toml_import.py."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from jili import ROOT, create_app
from jili.extensions import db
from jili.models import AuditLog, SalesCredit, Tenant, Transaction
from jili.plan_as_code.demo import load_file
from jili.plan_as_code.export import export_tenant, export_toml
from jili.plan_as_code.writer import dumps
from jili.tenancy import bound_tenant
from tenant_file_kit import RICH, SHILI, import_text, tenant_by_slug

PG_URL = os.environ.get("JILI_TEST_DATABASE_URL")


def _assert_round_trip(tenant: Tenant, new_slug: str) -> str:
    first = export_toml(tenant)
    copy = import_text(first, slug=new_slug)
    second = export_toml(copy)
    old, new = f'slug = "{tenant.slug}"', f'slug = "{new_slug}"'
    assert first.count(old) == 1
    assert second == first.replace(old, new)
    # and a third time, from the copy: nothing drifts
    third = export_toml(import_text(second, slug=new_slug + "-2"))
    assert third == second.replace(new, f'slug = "{new_slug}-2"')
    return first


# --- round trips ----------------------------------------------------------------------


def test_the_demo_tenant_round_trips_byte_for_byte(app):
    load_file(SHILI)
    text = _assert_round_trip(tenant_by_slug("shili"), "shili-copy")
    assert "[[plans.versions]]" in text and "pilot = true" in text
    assert text.count('approval = "proposed"') == 1  # the demo's one pending proposal
    assert "plan_self_approval" not in text  # maker-checker on, the default
    assert 'credits = "SL004:50;SL005:50"' in text
    assert 'amount = "-50000.00"' in text


@pytest.mark.parametrize("name", ["huadong", "xinyi"])
def test_the_other_demo_tenants_round_trip(app, name):
    load_file(Path(ROOT) / "tenants" / f"{name}.toml")
    _assert_round_trip(tenant_by_slug(name), f"{name}-copy")


def test_a_rich_tenant_round_trips_byte_for_byte(app):
    rich = import_text(RICH)
    _assert_round_trip(rich, "rich-copy")


@pytest.mark.skipif(bool(PG_URL), reason="a second database is a second SQLite file")
def test_a_fresh_database_gets_the_very_same_bytes(app, tmp_path):
    load_file(SHILI)
    text = export_toml(tenant_by_slug("shili"))
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        }
    )
    with other.app_context():
        db.create_all()
        assert tenant_by_slug("shili") is None
        again = export_toml(import_text(text))
        db.session.remove()
        db.engine.dispose()
    assert again == text


def test_export_is_deterministic_and_reads_back_as_written(app):
    load_file(SHILI)
    tenant = tenant_by_slug("shili")
    assert export_toml(tenant) == export_toml(tenant)
    exported = tomllib.loads(export_toml(tenant))
    written = tomllib.loads(SHILI.read_text(encoding="utf-8"))
    written.pop("demo_logins")
    written["format"] = 1
    # the file lists teams in its own order; the export walks the tree by name
    key = lambda t: t["name"]  # noqa: E731
    assert sorted(exported.pop("teams"), key=key) == sorted(written.pop("teams"), key=key)
    exported["plans"].sort(key=key)
    written["plans"].sort(key=key)
    metric = lambda m: (m["person"], m["metric"])  # noqa: E731
    assert sorted(exported.pop("metrics"), key=metric) == sorted(written.pop("metrics"), key=metric)
    assert exported == written


def test_the_rich_file_keeps_every_value(app):
    data = export_tenant(import_text(RICH))
    assert data["tenant"]["years"] == [2024]
    assert data["periods"] == {"weeks_of": ["2024-M04"]}
    assert data["schemes"] == {
        "enabled": ["excess_pool", "profit_sharing", "tiered_commission"],
        "disabled": ["mentor_award"],
    }
    assert data["budget"] == {
        "month": {"amount": "500000.00"},
        "quarter": {"amount": "1500000.00", "pct_of_revenue": "8.5"},
        "year": {"pct_of_revenue": "7"},
        "rule": "priority",
        "release_from_attainment_pct": "150",
        "release_pct": "10",
    }
    people = {p["employee_no"]: p for p in data["people"]}
    assert people["R003"]["level"] == "core" and "hire_date" not in people["R003"]
    assert people["R003"]["base_salary"] == "40000.00"
    assert people["R004"]["mentor"] == "R002"
    _plans_keep_every_value(data)
    metrics = data["metrics"]
    assert metrics[0] == {
        "period": "2024-Q2",
        "team": "台北一課",
        "metric": "collaboration",
        "weight": "0",
        "actual": "87.5",
    }
    assert metrics[1]["higher_is_better"] is False and metrics[1]["actual"] == "0.5"
    targets = data["targets"]
    assert targets[0]["team"] == "台北一課"
    assert targets[1] == {
        "period": "2024-Q2",
        "person": "R002",
        "revenue": "300000.00",
        "collected": "250000.00",
        "margin": "90000.00",
        "deals": "12.00",
        "leads": "40.00",
        "challenge": {"revenue": "390000.00", "leads": "50.00"},
    }
    assert [m["code"] for m in data["target_metrics"]] == ["leads", "complaints", "star_revenue"]
    assert data["target_publications"] == [
        {"period": "2024-Q2", "status": "published", "version": 3,
         "accepted_difference": "新人下月到職"}
    ]  # fmt: skip
    assert targets[2]["period"] == "2024-M04-W27"
    txns = {t["external_id"]: t for t in data["transactions"]}
    assert [t["external_id"] for t in data["transactions"]] == ["T-1", "T-2", "T-1R"]
    assert txns["T-1"]["credits"] == "R002:33.33;R003:33.33;R004:33.34"
    assert txns["T-1"]["new_customer"] is True and "strategic" not in txns["T-1"]
    assert txns["T-2"]["credits"] == "R004:100" and txns["T-2"]["strategic"] is True
    assert txns["T-1R"]["amount"] == "-20000.00"
    assert data["awards"] == [
        {
            "period": "2024-Q2",
            "person": "R003",
            "kind": "strategic_client",
            "amount": "8000.00",
            "reason": "簽下台積電供應鏈",
            "approved_by": "黃雅婷",
        }
    ]


def test_credits_are_split_and_add_up_to_the_deal(app):
    rich = import_text(RICH)
    with bound_tenant(rich.id):
        txn = db.session.scalar(
            select(Transaction).where(
                Transaction.tenant_id == rich.id, Transaction.external_id == "T-1"
            )
        )
        parts = db.session.scalars(
            select(SalesCredit).where(
                SalesCredit.tenant_id == rich.id, SalesCredit.transaction_id == txn.id
            )
        ).all()
        assert sorted(c.share_bp for c in parts) == [3333, 3333, 3334]
        assert sum(c.amount for c in parts) == txn.amount


def _plans_keep_every_value(data: dict) -> None:
    """The rich file's plans: versions, approval, eligibility, settings."""
    plans = {p["name"]: p for p in data["plans"]}
    assert [p["name"] for p in data["plans"]] == ["分紅", "提成"]  # by priority
    v1, v2, v3, v4, v5 = plans["提成"]["versions"]
    # approval: approved (in force) is the default and not written; the others are
    assert "approval" not in v1 and "approval" not in v3
    assert (v4["approval"], v4["reason"]) == ("rejected", "too generous")
    assert (v5["approval"], v5["note"]) == ("proposed", "awaiting the owner")
    assert data["tenant"]["plan_self_approval"] is True
    assert v1["eligibility"] == {"teams": ["北區"], "levels": ["core"]}
    assert v1["settings"]["bands"] == [
        {"from_pct": "0", "rate_pct": "1.2"},
        {"from_pct": "120", "rate_pct": "1.8"},
    ]  # defaults filled in by the scheme's validation
    assert v2["settings"]["region_coefficients"] == {"台北": "1.1"}
    assert v2["settings"]["attainment_cap_pct"] == "200"
    assert v3["pilot"] is True and v3["pilot_teams"] == ["台北二課"]
    assert v3["settings"]["attainment_cap_pct"] == ""  # None: no cap
    # settings that hold person ids travel as employee numbers
    assert plans["分紅"]["versions"][0]["settings"]["people"] == ["R001", "R003"]


def test_the_export_holds_no_ids_timestamps_or_accounts(app):
    load_file(SHILI)
    text = export_toml(tenant_by_slug("shili"))
    assert "password" not in text and "demo_logins" not in text and "@" not in text

    def keys(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    doc = tomllib.loads(text)
    found = set(keys(doc))
    assert not {k for k in found if k.endswith("_id") and k != "external_id"}
    assert not {k for k in found if k.endswith("_at") or k in {"id", "user", "login"}}
    # A period's state (open, calculated, closed) is not configuration; whether its
    # targets are a draft or published is (the file says what people may see).
    assert not any("status" in p for p in doc.get("periods", []))


def test_the_import_is_audited(app):
    rich = import_text(RICH, source="rich.toml")
    with bound_tenant(rich.id):
        entry = db.session.scalar(
            select(AuditLog).where(
                AuditLog.tenant_id == rich.id, AuditLog.action == "tenant.import"
            )
        )
    assert entry.after["source"] == "rich.toml"
    assert entry.after["people"] == 4 and entry.after["transactions"] == 3
    assert entry.after["plan_versions"] == 6


def test_dumps_writes_valid_toml_for_awkward_values(app):
    data = {
        "format": 1,
        "tenant": {"name": 'A "quoted"\\ name\twith tab', "slug": "x"},
        "plans": [
            {
                "name": "p",
                "versions": [
                    {
                        "number": 1,
                        "settings": {
                            "weird key": "v",
                            "long": ["x" * 30, "y" * 30, "z" * 30, "w"],
                            "map": {"a.b": "1"},
                        },
                    }
                ],
            }
        ],
    }
    assert tomllib.loads(dumps(data)) == data
