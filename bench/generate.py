"""The benchmark's synthetic company, for ``bench/run.py``.

One tenant ("bench") with one quarter: regions and groups of about 100
people, people (a manager per group, every 20th a newcomer with a mentor)
with a revenue target and two KPI values each, a collaboration score per
group, profit, 50 one-off awards, one plan per installed scheme, a budget
ceiling of 5 % of revenue, and the quarter's sales — 5 % of them split
between two people, 2 % refunds. Rows are bulk-inserted with ids chosen here
so credits can refer to them; the same seed gives the same company.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

QUARTER = ("2024-Q3", date(2024, 7, 1), date(2024, 9, 30))
REGIONS = ("华东", "华南", "华北", "西南")
PRODUCTS = ("设备", "耗材", "服务")

PERSON_COLUMNS = (
    "tenant_id",
    "id",
    "employee_no",
    "name",
    "level",
    "hire_date",
    "team_id",
    "mentor_id",
    "base_salary",
)
METRIC_COLUMNS = (
    "tenant_id",
    "period_id",
    "person_id",
    "team_id",
    "metric",
    "weight",
    "actual",
    "target",
    "higher_is_better",
)
AWARD_COLUMNS = (
    "tenant_id",
    "period_id",
    "person_id",
    "kind",
    "amount",
    "reason",
    "approved_by_label",
    "created_at",
)
TRANSACTION_COLUMNS = (
    "tenant_id",
    "id",
    "external_id",
    "deal_date",
    "person_id",
    "customer",
    "product_line",
    "region",
    "amount",
    "collected_amount",
    "margin",
    "new_customer",
    "strategic",
    "row_hash",
    "imported_at",
)
CREDIT_COLUMNS = (
    "tenant_id",
    "transaction_id",
    "person_id",
    "share_bp",
    "deal_date",
    "region",
    "product_line",
    "amount",
    "collected_amount",
    "margin",
)


def app_for(url: str):
    from jili import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False})


def generate(url: str, people: int, transactions: int, seed: int = 7) -> dict:
    """Create the company in the database at ``url``; returns what was made."""
    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.tenancy import bound_tenant

    rnd = random.Random(seed)
    app = app_for(url)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        tenant = Tenant(slug="bench", name="基准测试公司")
        db.session.add(tenant)
        db.session.commit()
        t = tenant.id
        with bound_tenant(t):
            period, groups = _period_and_teams(t, people)
            conn = db.session.connection()
            ids, region_of, newcomers = _people(conn, t, people, groups)
            _targets_and_metrics(conn, t, period.id, ids, groups, rnd)
            now = datetime.now(UTC)
            _profit_and_awards(conn, t, period.id, ids, now)
            n_credits = _sales(conn, t, ids, region_of, transactions, rnd, now)
            _plans_and_budget(t, period.id)
            db.session.commit()
        with db.engine.connect() as c:  # planner statistics, as a live database has
            c.exec_driver_sql("ANALYZE")
            c.commit()
    return {
        "people": people,
        "transactions": transactions,
        "credits": n_credits,
        "newcomers": len(newcomers),
        "teams": len(groups) + len(REGIONS),
        "generate_seconds": round(time.perf_counter() - started, 1),
    }


def _bulk(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for i in range(0, len(rows), 50_000):
        conn.exec_driver_sql(sql, rows[i : i + 50_000])


def _next_id(conn, table: str) -> int:
    return conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar() + 1


def _period_and_teams(t: int, people: int):
    """The quarter, four regions, and a group per 100 people spread over them."""
    from jili.extensions import db
    from jili.org.models import Team
    from jili.periods.models import Period, PeriodKind

    label, start, end = QUARTER
    period = Period(
        tenant_id=t, kind=PeriodKind.QUARTER, label=label, start_date=start, end_date=end
    )
    db.session.add(period)
    regions = []
    for name in REGIONS:
        region = Team(tenant_id=t, name=f"{name}大区", kind="region")
        db.session.add(region)
        regions.append(region)
    db.session.flush()
    groups = []
    for i in range(max(1, people // 100)):
        group = Team(tenant_id=t, name=f"{REGIONS[i % 4]}{i + 1}组", parent_id=regions[i % 4].id)
        db.session.add(group)
        groups.append(group)
    db.session.flush()
    return period, groups


def _people(conn, t: int, people: int, groups: list) -> tuple[list[int], dict, list[int]]:
    """A manager per group, every 20th a newcomer mentored by the one before.
    Returns the ids, each one's region, and the newcomers."""
    from jili.org.models import Level

    start = QUARTER[1]
    n_groups = len(groups)
    first_id = _next_id(conn, "person")
    person_rows, newcomers, region_of = [], [], {}
    for i in range(people):
        pid = first_id + i
        group = groups[i % n_groups]
        level = (
            Level.MANAGER.value
            if i < n_groups
            else (Level.NEWCOMER.value if i % 20 == 0 else Level.CORE.value)
        )
        hire = start - timedelta(days=60 if level == "newcomer" else 400 + i % 900)
        mentor = first_id + i - 1 if level == "newcomer" else None  # inserted before
        if level == "newcomer":
            newcomers.append(pid)
        region_of[pid] = REGIONS[(i % n_groups) % 4]
        person_rows.append(
            (t, pid, f"E{i:06d}", f"员工{i}", level, hire, group.id, mentor, 1_000_000)
        )
    _bulk(conn, "person", PERSON_COLUMNS, person_rows)
    return [r[1] for r in person_rows], region_of, newcomers


def _targets_and_metrics(conn, t: int, period_id: int, ids: list[int], groups, rnd) -> None:
    # Targets: 2,000,000.00 each (minor units), team targets from members.
    _bulk(
        conn,
        "sales_target",
        ("tenant_id", "period_id", "person_id", "metric", "baseline"),
        [(t, period_id, pid, "revenue", 200_000_000) for pid in ids],
    )
    # Published (version 1): people see published targets only.
    _bulk(
        conn,
        "target_publication",
        ("tenant_id", "period_id", "status", "version", "published_by_label",
         "accepted_difference_reason", "changed_at"),
        [(t, period_id, "published", 1, "bench", "", datetime.now(UTC).replace(tzinfo=None))],
    )  # fmt: skip
    # Two KPIs per person; a collaboration score per group.
    metrics = []
    for pid in ids:
        metrics.append((t, period_id, pid, None, "回款率", 60, rnd.randint(70, 100), 100, True))
        metrics.append((t, period_id, pid, None, "客户满意度", 40, rnd.randint(60, 100), 100, True))
    for g in groups:
        metrics.append(
            (t, period_id, None, g.id, "collaboration", 0, rnd.randint(50, 100), None, True)
        )
    _bulk(conn, "metric_value", METRIC_COLUMNS, metrics)


def _profit_and_awards(conn, t: int, period_id: int, ids: list[int], now: datetime) -> None:
    from jili.extensions import db
    from jili.inputs.models import ProfitEntry

    db.session.add(ProfitEntry(tenant_id=t, period_id=period_id, amount=Decimal("20000000")))
    awards = [
        (
            t,
            period_id,
            ids[i * 97 % len(ids)],
            "strategic_client",
            1_000_000,
            "战略客户",
            "bench",
            now,
        )
        for i in range(50)
    ]
    _bulk(conn, "one_off_award", AWARD_COLUMNS, awards)


def _sales(conn, t, ids, region_of, transactions: int, rnd, now: datetime) -> int:
    """The quarter's transactions and their credits: 5 % split between two
    people, 2 % refunds. Returns the number of credits."""
    _label, start, end = QUARTER
    days = (end - start).days + 1
    first_txn = _next_id(conn, "sales_transaction")
    txns, credit_rows = [], []
    for n in range(transactions):
        tid = first_txn + n
        pid = ids[rnd.randrange(len(ids))]
        day = start + timedelta(days=rnd.randrange(days))
        amount = rnd.randint(100_000, 5_000_000)  # 1,000.00 – 50,000.00
        if n % 50 == 0:
            amount = -amount // 4
        collected = amount * 9 // 10
        margin = amount // 4
        region, product = region_of[pid], PRODUCTS[n % 3]
        txns.append(
            (t, tid, f"X{tid}", day, pid, f"客户{n % 5000}", product, region)
            + (amount, collected, margin, False, False, "bench", now)
        )
        deal = (t, tid, day, region, product, amount, collected, margin)
        if n % 20 == 0:
            other = ids[(ids.index(pid) + 1) % len(ids)] if len(ids) > 1 else pid
            credit_rows.extend(_split_credits(deal, pid, other))
        else:
            credit_rows.append(
                (t, tid, pid, 10_000, day, region, product, amount, collected, margin)
            )
    _bulk(conn, "sales_transaction", TRANSACTION_COLUMNS, txns)
    del txns
    _bulk(conn, "sales_credit", CREDIT_COLUMNS, credit_rows)
    return len(credit_rows)


def _split_credits(deal: tuple, pid: int, other: int) -> list[tuple]:
    """A deal's credits split in halves between ``pid`` and ``other`` (the seller
    alone if ``other`` is the seller)."""
    t, tid, day, region, product, amount, collected, margin = deal
    half = amount // 2
    rows = []
    for who, part in ((pid, amount - half), (other, half)):
        if who == other and other == pid:
            continue
        share = part * 10_000 // amount if amount else 5000
        rows.append(
            (t, tid, who, share, day, region, product, part)
            + (
                collected * part // amount if amount else 0,
                margin * part // amount if amount else 0,
            )
        )
    return rows


def _plans_and_budget(t: int, period_id: int) -> None:
    """One enabled plan per installed scheme (version 1 from the quarter) and a
    budget ceiling of 5 % of revenue."""
    from jili.extensions import db
    from jili.incentives.models import (
        ApprovalStatus,
        IncentiveSetting,
        Plan,
        PlanVersion,
        TenantScheme,
    )
    from jili.schemes import get_registry

    for key, scheme in sorted(get_registry().all().items()):
        db.session.add(TenantScheme(tenant_id=t, scheme_key=key, enabled=True))
        plan = Plan(tenant_id=t, name=str(scheme.label), scheme_key=key)
        db.session.add(plan)
        db.session.flush()
        settings = scheme.default_settings()
        if key == "tiered_commission":
            settings = scheme.validate_settings(
                {**settings, "region_coefficients": {"华东": "1.1", "西南": "1.2"}}
            )
        if key == "excess_pool":
            settings = scheme.validate_settings({**settings, "collaboration_top_pct": "20"})
        db.session.add(
            PlanVersion(
                status=ApprovalStatus.APPROVED,
                tenant_id=t,
                plan_id=plan.id,
                number=1,
                effective_period_id=period_id,
                effective_from=QUARTER[1],
                settings=settings,
                eligibility={},
            )
        )
    db.session.add(IncentiveSetting(tenant_id=t, ceiling_quarter_pct=Decimal("5")))
