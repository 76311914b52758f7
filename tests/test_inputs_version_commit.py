"""PostgreSQL renews a company's inputs version at commit (migration 0023,
``inputs_pending``), not at the transaction's first write: two writing transactions of
one company do not wait for each other (an hr edit during a long import), a rolled-back
transaction leaves the version alone, and an estimate read inside a writing
transaction is never cached."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from jili.extensions import db
from jili.incentives.services import estimates
from jili.inputs.models import SalesCredit, SalesTarget, Transaction
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodKind
from jili.tenancy import bound_tenant


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _company(tenant_id: int) -> tuple[Person, Period, Transaction]:
    team = Team(tenant_id=tenant_id, name="华东")
    db.session.add(team)
    db.session.flush()
    person = Person(tenant_id=tenant_id, employee_no="E1", name="张三", team_id=team.id)
    period = Period(
        tenant_id=tenant_id,
        kind=PeriodKind.MONTH,
        label="2026-11",
        start_date=date(2026, 11, 1),
        end_date=date(2026, 11, 30),
    )
    db.session.add_all([person, period])
    db.session.flush()
    deal = Transaction(
        tenant_id=tenant_id,
        external_id="D1",
        deal_date=date(2026, 11, 3),
        person_id=person.id,
        amount=Decimal("100.00"),
        row_hash="x",
    )
    db.session.add(deal)
    db.session.commit()
    return person, period, deal


def _connection(tenant_id: int):
    """A connection of its own with an open transaction bound to the company."""
    conn = db.engine.connect()
    conn.begin()
    conn.execute(text("SELECT set_config('jili.tenant_id', :t, true)"), {"t": str(tenant_id)})
    return conn


def _committed_version(tenant_id: int) -> str:
    with db.engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT set_config('jili.tenant_id', :t, true)"), {"t": str(tenant_id)})
        row = conn.execute(
            text("SELECT changes, token FROM inputs_version WHERE tenant_id = :t"),
            {"t": tenant_id},
        ).one_or_none()
    return "none" if row is None else f"{row[0]}:{row[1]}"


@pytest.fixture
def company(app, make_tenant):
    if not _on_postgresql():
        pytest.skip("PostgreSQL renews at commit; SQLite per row (a single writer)")
    acme = make_tenant("acme")
    with bound_tenant(acme.id):
        person, period, deal = _company(acme.id)
        yield acme.id, person.id, period, deal.id


def test_a_writer_does_not_wait_for_a_long_import_of_its_company(company):
    tenant_id, person_id, period, deal_id = company
    before = _committed_version(tenant_id)
    importing = _connection(tenant_id)  # a long import: writes a credit, not committed
    editing = _connection(tenant_id)
    try:
        session = Session(bind=importing)
        session.add(
            SalesCredit(
                tenant_id=tenant_id,
                transaction_id=deal_id,
                person_id=person_id,
                share_bp=10000,
                deal_date=date(2026, 11, 3),
                amount=Decimal("100.00"),
            )
        )
        session.flush()
        assert importing.scalar(text("SELECT count(*) FROM inputs_pending")) == 1
        # hr edits a target meanwhile: fails (lock timeout) rather than hangs if it waits
        editing.execute(text("SET LOCAL lock_timeout = '2s'"))
        hr = Session(bind=editing)
        hr.add(
            SalesTarget(
                tenant_id=tenant_id,
                period_id=period.id,
                person_id=person_id,
                metric="revenue",
                baseline=Decimal("5000.00"),
            )
        )
        hr.flush()
        editing.commit()
        after_edit = _committed_version(tenant_id)
        assert after_edit != before
        importing.commit()
        after_import = _committed_version(tenant_id)
        assert after_import not in (before, after_edit)
        assert int(after_import.split(":")[0]) == int(before.split(":")[0]) + 2
    finally:
        importing.close()
        editing.close()
    with db.engine.connect() as conn:  # nothing left pending (RLS aside: bypass)
        conn.execute(text("SELECT set_config('jili.bypass', 'on', false)"))
        assert conn.scalar(text("SELECT count(*) FROM inputs_pending")) == 0
        conn.execute(text("SELECT set_config('jili.bypass', '', false)"))


def test_a_rolled_back_transaction_leaves_the_version(company):
    tenant_id, person_id, period, _deal = company
    before = _committed_version(tenant_id)
    conn = _connection(tenant_id)
    try:
        conn.execute(text("UPDATE person SET name = '李四' WHERE tenant_id = :t"), {"t": tenant_id})
        conn.execute(text("SAVEPOINT s"))
        conn.execute(text("UPDATE team SET name = 'x' WHERE tenant_id = :t"), {"t": tenant_id})
        conn.execute(text("ROLLBACK TO SAVEPOINT s"))
        assert conn.scalar(text("SELECT count(*) FROM inputs_pending")) == 1
        conn.rollback()
    finally:
        conn.close()
    assert _committed_version(tenant_id) == before


def test_a_write_undone_by_a_savepoint_is_noted_again(company):
    """The guard is transaction-local and so rolls back with a savepoint, as the
    pending row does: the next write notes the transaction again."""
    tenant_id, *_ = company
    before = _committed_version(tenant_id)
    conn = _connection(tenant_id)
    try:
        conn.execute(text("SAVEPOINT s"))
        conn.execute(text("UPDATE team SET name = 'x' WHERE tenant_id = :t"), {"t": tenant_id})
        conn.execute(text("ROLLBACK TO SAVEPOINT s"))
        assert conn.scalar(text("SELECT count(*) FROM inputs_pending")) == 0
        conn.execute(text("UPDATE team SET name = 'y' WHERE tenant_id = :t"), {"t": tenant_id})
        assert conn.scalar(text("SELECT count(*) FROM inputs_pending")) == 1
        conn.commit()
    finally:
        conn.close()
    assert _committed_version(tenant_id) != before


def test_an_estimate_read_inside_a_writing_transaction_is_not_cached(company, monkeypatch):
    tenant_id, _person, period, _deal = company
    calculated = []
    monkeypatch.setattr(estimates, "budget_policy", lambda *a: None)
    monkeypatch.setattr(estimates, "policy_dict", lambda policy: {})
    monkeypatch.setattr(estimates, "paid_once_keys", lambda *a: {})
    monkeypatch.setattr(estimates, "_calculate", lambda *a: calculated.append(a) or object())
    estimates.clear_cache()
    db.session.execute(text("UPDATE team SET name = 'a' WHERE tenant_id = :t"), {"t": tenant_id})
    inside = estimates._company_estimate(tenant_id, "CNY", period, [])
    assert inside is not estimates._company_estimate(tenant_id, "CNY", period, [])
    assert len(calculated) == 2 and not estimates._CACHE
    db.session.commit()
    after = estimates._company_estimate(tenant_id, "CNY", period, [])
    assert after is estimates._company_estimate(tenant_id, "CNY", period, [])
    assert len(calculated) == 3 and len(estimates._CACHE) == 1
    estimates.clear_cache()
