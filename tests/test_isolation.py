"""Walk every route as a member of tenant A with tenant B's object ids: each is a 404.

A route this test does not know makes it fail, so new routes must be classified here.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.dbtypes import utcnow
from jili.extensions import db
from jili.feedback import service as feedback_service
from jili.feedback.models import Category
from jili.incentives.models import ApprovalStatus
from jili.models import (
    CalculationRun,
    Invitation,
    Membership,
    OneOffAwardGrant,
    Period,
    Person,
    Plan,
    PlanVersion,
    Role,
    Team,
    Transaction,
)
from jili.periods.models import PeriodKind
from jili.tenancy import bound_tenant

# Routes outside any tenant, and why they need no isolation check.
PUBLIC = {
    "static": "static files",
    "healthz": "the process answers: no tenant, no data (test_health)",
    "readyz": "database, schema and queue answer: no tenant, no data (test_health)",
    "i18n.set_language": "sets the visitor's language only",
    "auth.home": "lists only the user's own memberships",
    "auth.login": "no tenant data",
    "auth.logout": "no tenant data",
    "auth.signup": "creates a new tenant",
    "auth.account": "the user's own account",
    "auth.accept_invitation": "keyed by a secret token; tested in test_invitations",
    "auth.signup_slug": "suggests a free address; says only what signing up says",
    "auth.forgot_password": "the same answer for every address; test_password_reset",
    "auth.reset_password": "keyed by a secret token; tested in test_password_reset",
    "feedback_public.submit": "anonymous feedback, keyed by the tenant's link; tested in test_feedback",
    "feedback_public.receipt": "anonymous feedback, keyed by link and receipt code; test_feedback",
    "feedback_public.reply": "anonymous feedback, keyed by link and receipt code; test_feedback",
}


@pytest.fixture
def two_tenants(make_tenant, member):
    a = make_tenant(slug="alpha")
    b = make_tenant(slug="bravo")
    with bound_tenant(b.id):
        team = Team(tenant_id=b.id, name="B 组")
        db.session.add(team)
        db.session.flush()
        person = Person(tenant_id=b.id, employee_no="B1", name="乙", team_id=team.id)
        period = Period(
            tenant_id=b.id,
            kind=PeriodKind.MONTH,
            label="2024-07",
            start_date=date(2024, 7, 1),
            end_date=date(2024, 7, 31),
        )
        inv = Invitation(
            tenant_id=b.id,
            email="x@b.example",
            role=Role.STAFF,
            token_hash="0" * 64,
            expires_at=utcnow() + timedelta(days=1),
        )
        db.session.add_all([person, period, inv])
        db.session.flush()
        incentive_ids = _incentive_objects(b.id, person, period)
        incentive_ids.update(_process_objects(b, person, period))
        db.session.commit()
        membership = db.session.scalar(select(Membership).where(Membership.tenant_id == b.id))
        thread, _code = feedback_service.create_thread(b, Category.OTHER, "B 的反馈")
        db.session.commit()
        ids = {
            "thread_id": thread.id,
            "team_id": team.id,
            "person_id": person.id,
            "period_id": period.id,
            "invitation_id": inv.id,
            "membership_id": membership.id,
            **incentive_ids,
        }
    return a, b, ids


def _incentive_objects(tenant_id, person, period) -> dict:
    """One of each incentive object in tenant B; URL arguments use these names."""
    plan = Plan(tenant_id=tenant_id, name="B 提成", scheme_key="tiered_commission")
    db.session.add(plan)
    db.session.flush()
    version = PlanVersion(
        status=ApprovalStatus.APPROVED,  # as if approved
        tenant_id=tenant_id,
        plan_id=plan.id,
        number=1,
        effective_period_id=period.id,
        effective_from=period.start_date,
        settings={},
    )
    txn = Transaction(
        tenant_id=tenant_id,
        external_id="B-1",
        deal_date=period.start_date,
        person_id=person.id,
        amount=Decimal("100"),
        row_hash="0" * 64,
    )
    award = OneOffAwardGrant(
        tenant_id=tenant_id,
        period_id=period.id,
        person_id=person.id,
        kind="strategic_client",
        amount=Decimal("5000"),
        reason="B",
    )
    run = CalculationRun(
        tenant_id=tenant_id,
        period_id=period.id,
        number=1,
        fingerprint="0" * 64,
        plans=[],
        budget={},
        total=Decimal("0"),
        line_count=0,
    )
    db.session.add_all([version, txn, award, run])
    db.session.flush()
    from jili.jobs.models import Job, JobStatus

    job = Job(  # a finished calculation job of B's, with its file (an export's)
        tenant_id=tenant_id, kind="calculate", about_period_id=period.id,
        status=JobStatus.FAILED, message="worker_lost", params={}, message_args={},
        result={"run_id": run.id, "file": "b.csv"},
    )  # fmt: skip
    db.session.add(job)
    db.session.flush()
    return {
        "job_id": job.id,
        "plan_id": plan.id,
        "version_id": version.id,
        "transaction_id": txn.id,
        "award_id": award.id,
        "run_id": run.id,
    }


def _process_objects(tenant, person, period) -> dict:
    """One of each target, review and notification object in tenant B."""
    from jili.adjustments.models import AdjustmentRequest
    from jili.alerts.models import Alert, AlertRule, ImprovementPlan
    from jili.evaluation.models import EvaluationLevel, Kpi, Scorecard
    from jili.letters.models import ResponsibilityLetter
    from jili.notifications.models import Notification
    from jili.targets.models import TargetMetric
    from jili.workdays.models import CalendarDay

    t = tenant.id
    rule = AlertRule(tenant_id=t, threshold=Decimal("80"))
    metric = TargetMetric(tenant_id=t, code="b_leads", name="B 线索")
    kpi = Kpi(tenant_id=t, code="B 指标", name="B 指标")
    level = EvaluationLevel(tenant_id=t, code="b_only", name="B 级")
    day = CalendarDay(tenant_id=t, day=date(2024, 10, 1))
    card = Scorecard(tenant_id=t, period_id=period.id, person_id=person.id, level="b_only")
    letter = ResponsibilityLetter(
        tenant_id=t, period_id=period.id, person_id=person.id, version=1, content={}
    )
    request = AdjustmentRequest(
        tenant_id=t, period_id=period.id, person_id=person.id, metric="revenue",
        old_value=Decimal("100"), new_value=Decimal("105"), reason="B",
    )  # fmt: skip
    note = Notification(tenant_id=t, user_id=tenant.owner.id, kind="alert_raised")
    db.session.add_all([rule, metric, kpi, level, day, card, letter, request, note])
    db.session.flush()
    alert = Alert(
        tenant_id=t, rule_id=rule.id, person_id=person.id, period_id=period.id,
        level="red", metric="revenue",
    )  # fmt: skip
    db.session.add(alert)
    db.session.flush()
    from jili.appeals.models import AppealCase, AppealFile, CaseKind

    appeal = AppealCase(
        tenant_id=t, kind=CaseKind.CREDIT, person_id=person.id, case_period_id=period.id,
        reference="B-1", amount_claimed=Decimal("100"), reason="B",
        raised_on=date(2024, 10, 8), due_on=date(2024, 10, 15),
    )  # fmt: skip
    db.session.add(appeal)
    db.session.flush()
    evidence = AppealFile(tenant_id=t, case_id=appeal.id, name="b.pdf",
                          content_type="application/pdf", size=1, stored_as="b")  # fmt: skip
    db.session.add(evidence)
    plan = ImprovementPlan(  # a C rating's plan (issue 14 item 6)
        tenant_id=t, scorecard_id=card.id, person_id=person.id, due_date=date(2024, 10, 8)
    )
    db.session.add(plan)
    db.session.flush()
    return {
        "case_id": appeal.id, "file_id": evidence.id,
        "rule_id": rule.id, "metric_id": metric.id, "kpi_id": kpi.id, "level": "b_only",
        "day_id": day.id, "card_id": card.id, "letter_id": letter.id,
        "request_id": request.id, "note_id": note.id, "alert_id": alert.id,
        "evidence_id": card.id,  # the card is B's: any evidence id under it is a 404
        "improvement_id": plan.id,
        "band": "under-70",  # the manager's alert list (with B's period: a 404)
    }  # fmt: skip


def _tenant_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        yield rule


def test_every_route_is_classified(app):
    unknown = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint not in PUBLIC and not r.rule.startswith("/t/<slug>")
    ]
    assert unknown == [], f"classify these routes in test_isolation.py: {unknown}"


def test_other_tenants_objects_are_404_for_every_route(app, two_tenants, browser):
    a, b, ids = two_tenants
    owner_a = browser(a.owner)
    checked = 0
    for rule in _tenant_rules(app):
        args = set(rule.arguments) - {"slug"}
        unknown = args - set(ids)
        assert not unknown, f"{rule.rule}: teach test_isolation.py about {unknown}"
        for slug in ("alpha", "bravo"):
            if not args and slug == "alpha":
                continue  # A's own pages without object ids are A's to see
            url = rule.build({"slug": slug, **{k: ids[k] for k in args}}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                resp = owner_a.client.open(url, method=method, data={"csrf_token": owner_a.token})
                assert resp.status_code == 404, f"{method} {url} gave {resp.status_code}"
                checked += 1
    assert checked > 20
    # And nothing of B's changed.
    with bound_tenant(b.id):
        assert db.session.get(Team, ids["team_id"]).name == "B 组"
        assert db.session.get(Membership, ids["membership_id"]) is not None


def test_anonymous_visitor_gets_login_not_a_hint_of_existence(client, make_tenant):
    make_tenant(slug="alpha")
    known = client.get("/t/alpha/people")
    unknown = client.get("/t/no-such-company/people")
    assert known.status_code == unknown.status_code == 302
    assert "/login" in known.headers["Location"]
