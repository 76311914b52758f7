"""The facts table equals the credits it sums after any sequence of imports,
refunds, splits, re-imports, corrections and deletions; the engine reads the
same sales from it as from the credits; ``jili facts verify|rebuild``."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text

from jili.extensions import db
from jili.incentives.engine.sales import period_months, period_sales
from jili.inputs.models import SalesCredit, SalesFact, Transaction
from jili.inputs.services import facts
from jili.inputs.services.transactions import import_transaction_rows
from jili.org.models import Person
from jili.schemes import Fact
from jili.tenancy import bound_tenant

PEOPLE = ("E1", "E2", "E3")
START = date(2024, 1, 20)  # deals fall in January, February and early March
_slugs = itertools.count()


def _row(ext: str, day: int, seller: int, amount: int, split: int, region: int, new: bool):
    shares = ""
    if split:  # split between the seller and the next person
        other = PEOPLE[(seller + 1) % len(PEOPLE)]
        shares = f"{PEOPLE[seller]}:{split};{other}:{100 - split}"
    return {
        "external_id": ext,
        "deal_date": (START + timedelta(days=day)).isoformat(),
        "employee_no": PEOPLE[seller],
        "region": ("", "华东", "North")[region],
        "product_line": ("A", "B")[day % 2],
        "amount": f"{amount}.{day % 100:02d}",  # negative: a refund
        "collected_amount": str(max(amount, 0) // 2),
        "margin": str(amount // 3),
        "new_customer": "yes" if new else "no",
        "credits": shares,
    }


rows = st.builds(
    _row,
    ext=st.sampled_from([f"T{i}" for i in range(12)]),  # re-imports and clashes
    day=st.integers(0, 45),
    seller=st.integers(0, 2),
    amount=st.integers(-500, 5000),
    split=st.sampled_from([0, 0, 33, 50]),
    region=st.integers(0, 2),
    new=st.booleans(),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("import"), st.lists(rows, min_size=1, max_size=6)),
        st.tuples(st.just("delete_txn"), st.integers(0, 20)),
        st.tuples(st.just("bulk_delete"), st.integers(0, 20)),
        st.tuples(st.just("move_credit"), st.integers(0, 40), st.integers(0, 45)),
        st.tuples(st.just("flip_new"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=8,
)


def _apply(tenant, op) -> None:
    txns = db.session.scalars(select(Transaction).order_by(Transaction.id)).all()
    if op[0] == "import":
        import_transaction_rows(tenant, op[1])  # may be refused whole: nothing written
    elif op[0] == "delete_txn" and txns:  # through the ORM unit of work
        txn = txns[op[1] % len(txns)]
        for credit in db.session.scalars(
            select(SalesCredit).where(SalesCredit.transaction_id == txn.id)
        ):
            db.session.delete(credit)
        db.session.flush()
        db.session.delete(txn)
    elif op[0] == "bulk_delete" and txns:  # one ORM-enabled DELETE statement
        txn = txns[op[1] % len(txns)]
        db.session.execute(delete(SalesCredit).where(SalesCredit.transaction_id == txn.id))
        db.session.execute(delete(Transaction).where(Transaction.id == txn.id))
    elif op[0] == "move_credit":
        found = db.session.scalars(select(SalesCredit).order_by(SalesCredit.id)).all()
        if found:  # a correction: another day (maybe another month), another amount
            credit = found[op[1] % len(found)]
            credit.deal_date = START + timedelta(days=op[2])
            credit.amount = credit.amount - Decimal("1.01")
    elif op[0] == "flip_new" and txns:
        txn = txns[op[1] % len(txns)]
        txn.new_customer = not txn.new_customer
    db.session.commit()


def _raw_sales(tenant_id: int, first: date, last: date) -> dict:
    rows = db.session.execute(
        select(
            SalesCredit.person_id,
            SalesCredit.region,
            SalesCredit.product_line,
            func.sum(SalesCredit.amount),
            func.sum(SalesCredit.collected_amount),
            func.sum(SalesCredit.margin),
        )
        .where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.deal_date >= first,
            SalesCredit.deal_date <= last,
        )
        .group_by(SalesCredit.person_id, SalesCredit.region, SalesCredit.product_line)
    ).all()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


class _Span:
    def __init__(self, first: date, last: date):
        self.start_date, self.end_date = first, last


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_facts_equal_the_credits_after_any_sequence_of_writes(app, make_tenant, ops):
    tenant = make_tenant(slug=f"f{next(_slugs)}")
    with bound_tenant(tenant.id):
        for no in PEOPLE:
            db.session.add(Person(tenant_id=tenant.id, employee_no=no, name=no))
        db.session.commit()
        for op in ops:
            _apply(tenant, op)
        assert facts.verify(db.session(), tenant.id) == []
        # the engine's reading (whole months from the table, edges from credits)
        for first, last in ((date(2024, 1, 1), date(2024, 3, 31)),
                            (date(2024, 1, 25), date(2024, 2, 10)),
                            (date(2024, 2, 1), date(2024, 2, 29))):  # fmt: skip
            _sales, slices = period_sales(
                tenant.id, _Span(first, last), frozenset({Fact.SALES_SLICES}), None
            )
            got = {
                (pid, s.region, s.product_line): (s.booked_revenue, s.collected_cash, s.margin)
                for pid, ss in slices.items()
                for s in ss
            }
            assert got == _raw_sales(tenant.id, first, last)


def test_period_months_cut_whole_months_and_edges():
    assert period_months(date(2024, 1, 1), date(2024, 3, 31)) == (
        (date(2024, 1, 1), date(2024, 3, 1)),
        [],
    )
    assert period_months(date(2024, 1, 15), date(2024, 3, 10)) == (
        (date(2024, 2, 1), date(2024, 2, 1)),
        [(date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 3, 1), date(2024, 3, 10))],
    )
    assert period_months(date(2024, 2, 5), date(2024, 2, 11)) == (
        None,
        [(date(2024, 2, 5), date(2024, 2, 11))],
    )


def _seed(make_tenant):
    tenant = make_tenant(slug="cli")
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="E1", name="一"))
        db.session.commit()
        rows = [_row(f"C{i}", i * 7, 0, 100 + i, 0, i % 3, i % 2 == 0) for i in range(6)]
        assert import_transaction_rows(tenant, [{**r, "employee_no": "E1"} for r in rows]).ok
        db.session.commit()
    return tenant


def test_cli_verify_finds_a_drift_and_rebuild_repairs_it(app, make_tenant, runner):
    tenant = _seed(make_tenant)
    ok = runner.invoke(args=["facts", "verify", "--tenant", "cli"])
    assert ok.exit_code == 0, ok.output
    assert "equals the credits" in ok.output
    with bound_tenant(tenant.id):  # a write behind the session's back
        db.session.connection().execute(
            text("UPDATE sales_fact SET amount = amount + 1 WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
        db.session.commit()
    bad = runner.invoke(args=["facts", "verify", "--tenant", "cli"])
    assert bad.exit_code == 1
    assert "differ from the credits" in bad.output and "booked" in bad.output
    fixed = runner.invoke(args=["facts", "rebuild", "--tenant", "cli"])
    assert fixed.exit_code == 0, fixed.output
    again = runner.invoke(args=["facts", "verify", "--tenant", "cli"])
    assert again.exit_code == 0, again.output
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(func.count()).select_from(SalesFact)) > 0


def test_verify_of_an_unknown_tenant_is_a_clear_error(app, runner):
    out = runner.invoke(args=["facts", "verify", "--tenant", "nobody"])
    assert out.exit_code != 0 and "no tenant 'nobody'" in out.output


def test_the_engine_reads_whole_months_from_the_table_and_cut_months_from_credits(app, make_tenant):
    """Proof of where the engine reads: a drift written behind the session's back
    shows in a quarter (whole months: the table) but not in a week (the credits)."""
    from jili.incentives.engine.facts import build_facts

    tenant = _seed(make_tenant)
    with bound_tenant(tenant.id):
        person = db.session.scalar(select(Person.id))
        quarter = _Span(date(2024, 1, 1), date(2024, 3, 31))
        week = _Span(date(2024, 1, 22), date(2024, 1, 28))
        quarter.id = week.id = -1  # no targets, KPI values or awards
        quarter.label, week.label = "2024-Q1", "2024-W04"
        quarter.kind = week.kind = type("K", (), {"value": "quarter"})()
        need = frozenset({Fact.SALES})
        q_before = build_facts(tenant.id, quarter, need).people[person].booked_revenue
        w_before = build_facts(tenant.id, week, need).people[person].booked_revenue
        assert w_before == Decimal("101.07")  # C1 on 27 January (the week's one deal)
        db.session.connection().execute(
            text("UPDATE sales_fact SET amount = amount + 100 WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
        rows = db.session.scalar(select(func.count()).select_from(SalesFact))
        assert build_facts(tenant.id, quarter, need).people[person].booked_revenue == (
            q_before + rows * Decimal("1.00")
        )
        assert build_facts(tenant.id, week, need).people[person].booked_revenue == w_before
        db.session.rollback()
