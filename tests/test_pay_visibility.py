"""Who sees whose pay, on every page that shows money or pay inputs.

One rule (jili.org.visibility): owner, admin, hr and consultant see everyone; a
manager sees themselves, their team and every team under it, and their direct
reports; staff see only themselves. A page either shows the rows the viewer may
see (totals over those rows, never the company's) or refuses.

The matrix walks the app's url_map: a route that is not classified here, or a
route open to a role that does not see everyone's pay without a row in the
matrix, fails the test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from jili.accounts.roles import PERMISSIONS
from jili.evaluation.models import Kpi, KpiSource
from jili.evaluation.services import library as eval_library
from jili.evaluation.services import scorecards as eval_cards
from jili.extensions import db
from jili.models import (
    Alert,
    AlertRule,
    MetricValue,
    OneOffAwardGrant,
    ProfitEntry,
    SalesCredit,
    SalesTarget,
    Transaction,
)
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from pay_appeals import APPEAL_NO_PAY, APPEAL_PAGES, appeal_matrix
from pay_cycle import CYCLE_PAGES, cycle_matrix
from pay_home import HOME_PAGES, home_matrix
from pay_jobs import job_matrix
from pay_letters import LETTER_NO_PAY, LETTER_PAGES, letter_matrix
from pay_results import RESULTS_NO_PAY, RESULTS_PAGES, results_matrix
from test_runs_pages import EN, CalcWorld

D = Decimal
ROLES = ("owner", "admin", "hr", "consultant", "manager", "staff")
EVERYONE_ROLES = {r.value for r in PERMISSIONS["statements.all"]}

# The other team (华南组): a person 孙外队 nobody in 华东一组 may see, and company
# totals. None of these strings may ever reach the manager or the staff of 华东一组.
THEIRS = [
    "987,654.35",  # 孙外队's sale
    "876,543.21",  # 孙外队's revenue target
    "98,765.43",  # 孙外队's monthly base salary
    "7,654.32",  # 孙外队's one-off award
    "4,321.98",  # 孙外队's KPI value (grouped like money)
    "11,851.85",  # 孙外队's commission: 987,654.35 × 1.2 %
    "6,093.33",  # 王芳's commission in run 2 (华南组): 507,777.75 × 1.2 %
    "3,333,333.33",  # 华南组's team target
    "66.77",  # 华南组's collaboration score
    "555,444.33",  # the company's profit
    "8765.43",  # 孙外队's KPI actual on his scorecard
    "23,700.00",  # run 1, the company's total
    "36,417.04",  # run 2, the company's total
    "876543.21",  # 孙外队's revenue target in a file (no grouping)
    "3333333.33",  # 华南组's team target in a file
]
# The manager's people besides the staff member: the staff member never sees these.
TEAM = [
    "5,438.53",  # 李娜 (sub-team 二队) in run 2: 453,210.95 × 1.2 %
    "22,222.22",  # 李娜's base salary
    "3,456.78",  # 李娜's award
    "1,234.56",  # 李娜's KPI value (grouped like money)
    "2345.67",  # 李娜's KPI actual on her scorecard
    "2,222,222.22",  # 华东一组's team target
    "1,333.33",  # 赵直属 (华南组, reports to the manager) in run 2: 111,111.15 × 1.2 %
    "18,471.86",  # run 2 over the manager's people: 11,700 + 5,438.53 + 1,333.33
]


class PayWorld(CalcWorld):
    """CalcWorld (华东一组 with 二队, 华南组, a manager with a direct report in
    华南组) plus 孙外队 in 华南组 with recognisable amounts, team targets, KPI
    values, awards, profit, two runs (the second changes 李娜 and adds 孙外队),
    a pilot run, and the period published."""

    def __init__(self, tenant, member, browser):
        super().__init__(tenant, member)
        self.admin_user = member(tenant, "admin")
        self.consultant_user = member(tenant, "consultant")
        with bound_tenant(self.t):
            self.out = self.person("E5", "孙外队", team=self.team_b, base_salary=D("98765.43"))
            self.a.base_salary = D("12345.67")
            self.a2.base_salary = D("22222.22")
            self.boss.base_salary = D("33333.33")
            self.target(self.out, "876543.21")
            self._inputs()
            db.session.commit()
        owner = browser(tenant.owner)
        assert self.calculate(owner).status_code == 302  # run 1
        with bound_tenant(self.t):
            self.sale(self.a2, "53210.95")  # 李娜: 453,210.95 → 5,438.53
            self.sale(self.b, "7777.75")  # 王芳: 507,777.75 → 6,093.33
            self.sale(self.direct, "11111.15")  # 赵直属: 111,111.15 → 1,333.33
            self.sale(self.out, "987654.35")  # 孙外队: 11,851.85
            db.session.commit()
        assert self.calculate(owner).status_code == 302  # run 2
        self.run1, self.run2 = self.runs()
        with bound_tenant(self.t):
            pilot = self.version(
                self.plan,
                TieredCommission,
                {"mode": "marginal"},
                period=self.q3,
                is_pilot=True,
                pilot_team_ids=[self.team_a.id, self.team_b.id],
            )
            db.session.commit()
        resp = owner.post(
            self.url(f"/periods/{self.q3.id}/runs/pilot"), data={"version_id": pilot.id}
        )
        assert resp.status_code == 302
        self.pilot_run = self.runs()[-1]
        resp = owner.post(self.url(f"/runs/{self.run2.id}/publish"), data={"status": "calculated"})
        assert resp.status_code == 302
        self.txn_out, self.txn_a2 = self._transactions()
        self._scorecards()

    def _scorecards(self):
        """A KPI set for core staff and Q3's scorecards: 孙外队's calls 8765.43 (of
        10,000: total 87.65), 李娜's 2345.67 (23.46)."""
        with bound_tenant(self.t):
            kpi = Kpi(tenant_id=self.t, code="calls", name="电话量", default_target=D(10000))
            kpi.source, kpi.cap = KpiSource.ENTERED, D(100)
            db.session.add(kpi)
            db.session.flush()
            eval_library.save_set(self.t, "core", "核心", [(kpi.id, D(1), None)])
            eval_cards.generate(self.t, self.q3)
            self.cards = {c.person_id: c for c in eval_cards.cards(self.t, self.q3)}
            for person, actual in ((self.out, "8765.43"), (self.a2, "2345.67")):
                card = self.cards[person.id]
                ((line, _k),) = eval_cards.lines(card)
                eval_cards.enter(card, self.q3, {line.id: (D(actual), None)})
            db.session.commit()

    def _inputs(self):
        q3, t = self.q3.id, self.t
        db.session.add_all(
            [
                SalesTarget(tenant_id=t, period_id=q3, team_id=self.team_a.id, metric="revenue", baseline=D("2222222.22")),
                SalesTarget(tenant_id=t, period_id=q3, team_id=self.team_b.id, metric="revenue", baseline=D("3333333.33")),
                MetricValue(tenant_id=t, period_id=q3, person_id=self.out.id, metric="visits",
                            weight=D(50), actual=D("4321.98"), target=D(5000)),
                MetricValue(tenant_id=t, period_id=q3, person_id=self.a2.id, metric="visits",
                            weight=D(50), actual=D("1234.56"), target=D(5000)),
                MetricValue(tenant_id=t, period_id=q3, team_id=self.team_b.id,
                            metric="collaboration", actual=D("66.77")),
                MetricValue(tenant_id=t, period_id=q3, team_id=self.team_a.id,
                            metric="collaboration", actual=D("55.44")),
                OneOffAwardGrant(tenant_id=t, period_id=q3, person_id=self.out.id,
                                 kind="strategic_client", amount=D("7654.32"), reason="华南大单"),
                OneOffAwardGrant(tenant_id=t, period_id=q3, person_id=self.a2.id,
                                 kind="strategic_client", amount=D("3456.78"), reason="华东大单"),
                ProfitEntry(tenant_id=t, period_id=q3, amount=D("555444.33")),
            ]
        )  # fmt: skip

    def _transactions(self):
        """The first deal of 孙外队 and of 李娜 (400,000.00)."""
        with bound_tenant(self.t):
            first = dict(
                db.session.execute(
                    select(Transaction.person_id, func.min(Transaction.id))
                    .where(Transaction.tenant_id == self.t)
                    .group_by(Transaction.person_id)
                ).all()
            )
        return first[self.out.id], first[self.a2.id]

    def user(self, role):
        return {
            "owner": self.tenant.owner,
            "admin": self.admin_user,
            "hr": self.hr_user,
            "consultant": self.consultant_user,
            "manager": self.manager_user,
            "staff": self.staff_user,
        }[role]


def case(everyone, manager, staff, **others):
    """Per role: (status, strings that must appear). Strings of THEIRS must never
    appear for the manager or staff, nor TEAM for staff (checked for every page)."""
    out = {role: everyone for role in EVERYONE_ROLES}
    out.update(manager=manager, staff=staff, **others)
    return out


# Every route that shows pay to someone who does not see everyone's: matrix() has
# rows for each.
PAY_PAGES = (
    frozenset(
        {
            "tenant.home",
            "tenant.period_runs",
            "tenant.run_detail",
            "tenant.run_export_csv",
            "tenant.run_export_xlsx",
            "tenant.statements",
            "tenant.statement",
            "tenant.simulator",
            "tenant.transactions",
            "tenant.transaction_detail",
            "tenant.targets",
            "tenant.targets_grid",
            "tenant.targets_person",
            "tenant.targets_export_csv",
            "tenant.targets_export_xlsx",
            "tenant.metrics",
            "tenant.awards",
            "tenant.profit",
            "tenant.people",
            "tenant.scorecards_list",
            "tenant.scorecard",
            "tenant.alerts",
            "tenant.alert_detail",
            "tenant.job_detail",
            "tenant.job_download",
        }
    )
    | LETTER_PAGES
    | APPEAL_PAGES
    | CYCLE_PAGES
    | RESULTS_PAGES
    | HOME_PAGES
)
REFUSED = (403, [])
HIDDEN = (404, [])


def _alerts(w: PayWorld) -> tuple[int, int]:
    """A quarter's alert for 孙外队 (another team) and one for 李娜 (the manager's
    sub-team), each with a figure from THEIRS / TEAM as what the rule saw."""
    if not hasattr(w, "alert_ids"):
        with bound_tenant(w.t):
            rule = AlertRule(tenant_id=w.t, level="yellow", measure="value", metric="kpi",
                             threshold=D(9999), periods=1, period_kind="quarter")  # fmt: skip
            db.session.add(rule)
            db.session.flush()
            ids = []
            for person, value in ((w.out, "4321.98"), (w.a2, "1234.56")):
                alert = Alert(tenant_id=w.t, rule_id=rule.id, person_id=person.id,
                              period_id=w.q3.id, level="yellow", metric="kpi",
                              values=[["2024-Q3", value]])  # fmt: skip
                db.session.add(alert)
                db.session.flush()
                ids.append(alert.id)
            db.session.commit()
        w.alert_ids = tuple(ids)
    return w.alert_ids


def matrix(w: PayWorld) -> dict[str, list[tuple[str, dict]]]:
    """endpoint → [(url, expectations per role)], over every page showing pay."""
    q3, r2 = w.q3.id, w.run2.id
    own_statement = ["11,700.00", "张伟"]
    return {
        **letter_matrix(w, case) | home_matrix(w, case),
        **review_matrix(w),
        "tenant.home": [
            ("/", case((200, []), (200, ["33,333.33"]), (200, ["12,345.67"]))),
        ],
        "tenant.period_runs": [
            (f"/periods/{q3}/runs", case((200, ["36,417.04", "23,700.00"]), (200, ["18,471.86", "17,700.00"]), REFUSED)),
        ],
        "tenant.run_detail": [
            (f"/runs/{r2}", case((200, ["11,851.85", "36,417.04", "6,093.33"]), (200, ["5,438.53", "18,471.86", "638.53"]), REFUSED)),
            (f"/runs/{w.run1.id}", case((200, ["23,700.00"]), (200, ["4,800.00", "17,700.00"]), REFUSED)),
            (f"/runs/{w.pilot_run.id}", case((200, ["11,851.85"]), (200, ["5,438.53"]), REFUSED)),
        ],
        "tenant.run_export_csv": [
            (f"/runs/{r2}/export.csv", case((200, ["11851.85", "孙外队"]), REFUSED, REFUSED, consultant=REFUSED)),
        ],
        "tenant.run_export_xlsx": [
            (f"/runs/{r2}/export.xlsx", case((200, []), REFUSED, REFUSED, consultant=REFUSED)),
        ],
        "tenant.statements": [
            (f"/statements?period_id={q3}", case((200, ["11,851.85", "孙外队"]), (200, ["5,438.53", "1,333.33"]), (200, own_statement))),
        ],
        "tenant.statement": [
            (f"/periods/{q3}/statements/{w.out.id}", case((200, ["11,851.85"]), HIDDEN, HIDDEN)),
            (f"/periods/{q3}/statements/{w.b.id}", case((200, ["6,093.33"]), HIDDEN, HIDDEN)),
            (f"/periods/{q3}/statements/{w.a2.id}", case((200, ["5,438.53"]), (200, ["5,438.53"]), HIDDEN)),
            (f"/periods/{q3}/statements/{w.direct.id}", case((200, ["1,333.33"]), (200, ["1,333.33"]), HIDDEN)),
            (f"/periods/{q3}/statements/{w.a.id}", case((200, own_statement), (200, own_statement), (200, own_statement))),
        ],
        "tenant.simulator": [
            (f"/simulator?period_id={q3}&person_id={w.out.id}", case((200, ["987,654.35"]), HIDDEN, HIDDEN)),
            (f"/simulator?period_id={q3}&person_id={w.a2.id}", case((200, ["453,210.95"]), (200, ["453,210.95"]), HIDDEN)),
            (f"/simulator?period_id={q3}", case((200, []), (200, []), (200, ["650,000.00"]))),
        ],
        "tenant.transactions": [
            ("/transactions", case((200, ["987,654.35"]), (200, ["400,000.00"]), REFUSED)),
            (f"/transactions?person_id={w.out.id}", case((200, ["987,654.35"]), HIDDEN, REFUSED)),
        ],
        "tenant.transaction_detail": [
            (f"/transactions/{w.txn_out}", case((200, ["987,654.35"]), HIDDEN, REFUSED)),
            (f"/transactions/{w.txn_a2}", case((200, ["400,000.00"]), (200, ["400,000.00"]), REFUSED)),
        ],
        "tenant.targets": [
            (f"/targets?period_id={q3}", case((200, ["876,543.21", "3,333,333.33"]), (200, ["2,222,222.22", "500,000.00"]), REFUSED)),
        ],
        "tenant.targets_grid": [
            (f"/targets/plan?period_id={q3}&team_id={w.team_a.id}", case((200, ["2,222,222.22"]), (200, ["2,222,222.22"]), REFUSED)),
            (f"/targets/plan?period_id={q3}&team_id={w.team_b.id}", case((200, ["3,333,333.33"]), HIDDEN, REFUSED)),
        ],
        "tenant.targets_export_csv": [
            (f"/targets/plan/export.csv?period_id={q3}&team_id={w.team_a.id}", case((200, ["2222222.22"]), (200, ["2222222.22"]), REFUSED)),
            (f"/targets/plan/export.csv?period_id={q3}&team_id={w.team_b.id}", case((200, ["3333333.33"]), HIDDEN, REFUSED)),
        ],
        "tenant.targets_export_xlsx": [
            (f"/targets/plan/export.xlsx?period_id={q3}&team_id={w.team_a.id}", case((200, []), (200, []), REFUSED)),
            (f"/targets/plan/export.xlsx?period_id={q3}&team_id={w.team_b.id}", case((200, []), HIDDEN, REFUSED)),
        ],
        "tenant.targets_person": [
            (f"/targets/people/{w.out.id}?period_id={q3}", case((200, ["876,543.21"]), HIDDEN, HIDDEN)),
            (f"/targets/people/{w.a.id}?period_id={q3}", case((200, ["500,000.00"]), (200, ["500,000.00"]), (200, ["500,000.00"]))),
        ],
        "tenant.metrics": [
            (f"/metrics?period_id={q3}", case((200, ["4,321.98", "66.77"]), (200, ["1,234.56", "55.44"]), REFUSED)),
        ],
        "tenant.awards": [
            ("/awards", case((200, ["7,654.32"]), (200, ["3,456.78"]), REFUSED)),
        ],
        "tenant.profit": [
            ("/profit", case((200, ["555,444.33"]), REFUSED, REFUSED)),
        ],
        **job_matrix(w, case),
        "tenant.people": [
            ("/people", case((200, ["98,765.43", "22,222.22"]), (200, ["22,222.22", "12,345.67", "孙外队"]), REFUSED)),
        ],
    }  # fmt: skip


def review_matrix(w: PayWorld) -> dict[str, list[tuple[str, dict]]]:
    """The review pages' part of the matrix: scorecards and alerts (the cycle's
    assessment pages and evidence: pay_cycle.py)."""
    q3 = w.q3.id
    alert_out, alert_a2 = _alerts(w)
    return {
        **cycle_matrix(w, case),
        "tenant.scorecards_list": [
            (f"/scorecards?period_id={q3}", case((200, ["孙外队", "87.65", "23.46"]), (200, ["李娜", "23.46"]), (200, ["张伟"]))),
        ],
        "tenant.scorecard": [
            (f"/scorecards/{w.cards[w.out.id].id}", case((200, ["8765.43", "87.65"]), HIDDEN, HIDDEN)),
            (f"/scorecards/{w.cards[w.a2.id].id}", case((200, ["2345.67"]), (200, ["2345.67"]), HIDDEN)),
            (f"/scorecards/{w.cards[w.a.id].id}", case((200, ["张伟"]), (200, ["张伟"]), (200, ["张伟"]))),
        ],
        "tenant.alerts": [
            ("/alerts", case((200, ["孙外队", "李娜"]), (200, ["李娜"]), (200, []))),
        ],
        **appeal_matrix(w, case),
        "tenant.alert_detail": [
            (f"/alerts/{alert_out}", case((200, ["4321.98"]), HIDDEN, HIDDEN)),
            (f"/alerts/{alert_a2}", case((200, ["1234.56"]), (200, ["1234.56"]), HIDDEN)),
        ],
        **results_matrix(w, case),
    }  # fmt: skip


# Routes that show no pay (names and structure only, or nothing of anyone's money).
NO_PAY = {
    "tenant.settings": "the company's settings",
    "tenant.teams": "team names and head counts",
    "tenant.team_new": "a team form",
    "tenant.team_edit": "a team form",
    "tenant.team_delete": "an action",
    "tenant.periods": "period labels and states",
    "tenant.periods_generate": "an action",
    "tenant.periods_weeks": "an action",
    "tenant.period_advance": "an action",
    "tenant.period_reopen": "an action",
    "tenant.plans": "plan names and rules",
    "tenant.plan_detail": "a plan's rules and versions, no one's payout",
    "tenant.plan_version": "a plan version's rules",
    "tenant.schemes": "which schemes are enabled and the budget rule",
    "tenant.targets_template": "a blank example file",
    "tenant.kpis": "the KPI library: definitions and default targets, no one's values",
    "tenant.kpi_set": "a level's KPIs with weights and default targets, no one's values",
    "tenant.my_targets": "a redirect to one's own targets",
    "tenant.metrics_template": "a blank example file",
    "tenant.transactions_template": "a blank example file",
    "tenant.feedback.home": "anonymous feedback",
    "tenant.feedback.summary": "anonymous feedback counts",
    **LETTER_NO_PAY,
    "tenant.alert_plan": "an action (the alert's own visibility applies)",
    **RESULTS_NO_PAY,
    "tenant.alert_rules": "the company's alert rules, no one's figures",
    "tenant.calendar": "the company's holidays",
    "tenant.notifications": "one's own notifications",
    "tenant.notification_open": "an action on one's own notification",
    "tenant.notifications_read_all": "an action",
    "tenant.notifications_email": "an action",
    **APPEAL_NO_PAY,
}


def _everyone_only(app, endpoint: str) -> bool:
    """A route only roles that see everyone's pay may open."""
    permission = getattr(app.view_functions[endpoint], "permission", None)
    return permission is not None and PERMISSIONS[permission] <= PERMISSIONS["statements.all"]


def test_every_route_that_can_show_pay_has_a_row_in_the_matrix(app):
    """A route a manager or staff member may open is either in the matrix or
    known to show no pay; the rest are open only to roles that see everyone."""
    known = PAY_PAGES | set(NO_PAY)
    unclassified = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/t/<slug>")
        and rule.endpoint not in known
        and not _everyone_only(app, rule.endpoint)
    ]
    assert unclassified == [], f"add these routes to test_pay_visibility.py: {unclassified}"


@pytest.fixture
def world(make_tenant, member, browser):
    return PayWorld(make_tenant(), member, browser)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_pay_the_rule_allows(world, browser, app, role):
    w = world
    b = browser(w.user(role))
    pages = matrix(w)
    assert set(pages) == PAY_PAGES
    forbidden = [] if role in EVERYONE_ROLES else THEIRS + (TEAM if role == "staff" else [])
    for endpoint, urls in pages.items():
        for path, expectations in urls:
            status, expected = expectations[role]
            resp = b.get(w.url(path), headers=EN)
            where = f"{role} {endpoint} {path}"
            assert resp.status_code == status, f"{where}: {resp.status_code}"
            body = resp.get_data(as_text=not path.split("?")[0].endswith((".xlsx", ".pdf")))
            if isinstance(body, bytes):
                continue
            leaked = [text for text in forbidden if text in body]
            assert leaked == [], f"{where} leaks {leaked}"
            for text in expected:
                assert text in body, f"{where}: {text} missing"
            for fragment in ("HX-Request",):  # the htmx fragment of the same page
                if status == 200 and not path.endswith((".csv", ".xlsx", ".pdf", "/evidence")):
                    part = b.get(w.url(path), headers={**EN, fragment: "true"}).text
                    assert [t for t in forbidden if t in part] == [], f"{where} (htmx)"


def test_a_deal_split_across_teams_shows_a_manager_only_their_persons_share(world, browser):
    """李娜 (华东一组·二队) shares a deal 50/50 with 孙外队 (华南组): the manager
    sees the deal with 李娜's half; 孙外队's half and the deal's whole stay hidden."""
    w = world
    with bound_tenant(w.t):
        txn = Transaction(
            tenant_id=w.t, external_id="SPLIT-1", deal_date=w.q3.start_date, person_id=w.out.id,
            amount=D("246913.58"), collected_amount=D("0"), margin=D("0"), row_hash="s",
        )  # fmt: skip
        db.session.add(txn)
        db.session.flush()
        for person in (w.a2, w.out):
            db.session.add(
                SalesCredit(
                    tenant_id=w.t, transaction_id=txn.id, person_id=person.id, share_bp=5000,
                    deal_date=txn.deal_date, amount=D("123456.79"), collected_amount=D("0"),
                    margin=D("0"),
                )
            )  # fmt: skip
        db.session.commit()
    manager = browser(w.manager_user)
    page = manager.get(w.url(f"/transactions/{txn.id}"), headers=EN)
    assert page.status_code == 200
    assert "123,456.79" in page.text and "李娜" in page.text
    assert "246,913.58" not in page.text
    assert "1 more credit goes to someone whose pay you may not see" in page.text
    listing = manager.get(w.url("/transactions"), headers=EN).text
    assert "SPLIT-1" in listing and "123,456.79" in listing and "246,913.58" not in listing
    owner = browser(w.tenant.owner).get(w.url(f"/transactions/{txn.id}"), headers=EN).text
    assert "246,913.58" in owner and "孙外队" in owner


def test_a_member_without_a_person_and_without_a_team_sees_no_ones_pay(world, browser, member):
    """A manager whose login is linked to no person sees no one's rows."""
    w = world
    manager = browser(member(w.tenant, "manager"))
    page = manager.get(w.url(f"/runs/{w.run2.id}"), headers=EN).text
    assert "No one earned anything in this run." in page
    assert not [t for t in THEIRS + TEAM if t in page]
    assert manager.get(w.url(f"/transactions/{w.txn_a2}")).status_code == 404
