"""The home page of a company, by role: staff see their own numbers, managers their
team's, owners / admins / hr the setup and what is due."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from jili.accounts.models import Membership, Role
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.home.services import charts, links, owed, progress, setup, team
from jili.home.services.team import RED, YELLOW
from jili.home.views import team_charts
from jili.letters import services as letter_services
from jili.org import visibility
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodStatus
from jili.web import bp

HUNDRED = Decimal(100)
CHART_ROWS = 30  # the ranking chart shows the first 30; the alert lists show everyone
MEASURES = {
    "revenue": _l("Booked revenue"),
    "collected": _l("Collected cash"),
    "margin": _l("Margin"),
}


def pct_text(value: Decimal) -> str:
    """A percentage for people: one decimal place, shown, not stored."""
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


@bp.app_context_processor
def _home_helpers():
    return {"measure_label": lambda m: str(MEASURES.get(m, m)), "pct_text": pct_text}


def _counts(tid: int) -> dict:
    return {
        "people": db.session.scalar(select(func.count(Person.id)).where(Person.tenant_id == tid)),
        "teams": db.session.scalar(select(func.count(Team.id)).where(Team.tenant_id == tid)),
        "members": db.session.scalar(
            select(func.count(Membership.id)).where(Membership.tenant_id == tid)
        ),
        "open_periods": db.session.scalar(
            select(func.count(Period.id)).where(
                Period.tenant_id == tid, Period.status == PeriodStatus.OPEN
            )
        ),
    }


def _my_numbers(me: Person) -> dict:
    """The staff home: own progress in the current periods, the estimate, the statement."""
    tenant = g.tenant
    today = progress.tenant_today(tenant.timezone)
    return {
        "today": today,
        "my_periods": [
            progress.person_progress(tenant.id, tenant.currency, me, period, today)
            for period in progress.current_periods(tenant.id, today, me.id)
        ],
        "my_statement": progress.latest_statement(tenant.id, me.id),
    }


def _team_numbers(me: Person) -> dict:
    """The manager home: the team subtree's attainment ranking, alerts and payout.
    The team is whom the one pay-visibility rule lets the manager see."""
    tenant = g.tenant
    today = progress.tenant_today(tenant.timezone)
    people = visibility.team_people(me)
    periods = []
    for period in progress.current_periods(tenant.id, today):
        tp = team.team_period(tenant.id, tenant.currency, period, people, me)
        bars = [
            charts.Bar(a.person.name, a.pct, _alert_class(a.pct)) for a in tp.ranking[:CHART_ROWS]
        ]
        words = charts.Words(
            title=_("Attainment by person, %(period)s", period=period.label),
            desc=_(
                "Booked revenue to date against target for each person of your team, "
                "best first; dashed lines at %(red)s, %(yellow)s and %(full)s.",
                red=pct_text(RED),
                yellow=pct_text(YELLOW),
                full=pct_text(HUNDRED),
            ),
            x_axis=_("Attainment against target"),
            y_axis=_("Person"),
        )
        svg = charts.hbar_chart(
            bars, words, pct_text, chart_id=f"rank-{period.id}", marks=(RED, YELLOW, HUNDRED)
        )
        periods.append(
            {
                "tp": tp,
                "chart": Markup(svg),
                "shown": bars,
                **team_charts.slice_charts(tp, pct_text),
            }
        )
    return {"team_periods": periods, "team_size": len(people)}


def _admin_numbers() -> dict:
    """The admin / hr home: setup checklist, what is due this week, cost against revenue."""
    tenant = g.tenant
    today = progress.tenant_today(tenant.timezone)
    rows = setup.cost_against_revenue(tenant.id, today)
    bars = [charts.Bar(r.period.label, r.pct) for r in rows if r.pct is not None]
    words = charts.Words(
        title=_("Incentive cost as a share of revenue"),
        desc=_(
            "For the current quarter and the four before it: the latest calculation's "
            "total divided by the revenue credited in the quarter."
        ),
        x_axis=_("Incentive cost / revenue"),
        y_axis=_("Quarter"),
    )
    chart = charts.hbar_chart(bars, words, pct_text, chart_id="cost") if bars else ""
    return {
        "steps": setup.checklist(tenant.id),
        "due": setup.due_this_week(tenant.id, today),
        "cost_rows": rows,
        "cost_chart": Markup(chart),
    }


def _alert_class(pct: Decimal) -> str:
    if pct >= HUNDRED:
        return "done"
    if pct < RED:
        return "low"
    return "mid" if pct < YELLOW else ""


def _letters(tid: int, me: Person | None) -> dict:
    """Responsibility letters waiting: the viewer's own, and how many in all for hr."""
    out: dict = {"my_letters": [], "letters_waiting": 0}
    if me is not None:
        out["my_letters"] = letter_services.unacknowledged_letters(tid, me.id)
    if can("letters.manage"):
        out["letters_waiting"] = len(letter_services.unacknowledged_letters(tid))
    return out


@bp.route("/")
@require("tenant.view")
def home():
    tid = g.tenant.id
    me = links.person_of_user(tid, g.membership.user_id)
    context: dict = {"me": me, "counts": {}, "unlinked": [], "my_periods": []}
    if me is not None:
        context.update(_my_numbers(me))
        if g.role == Role.MANAGER:
            context.update(_team_numbers(me))
    if g.role != "staff":
        context["counts"] = _counts(tid)
    if g.role in (Role.OWNER, Role.ADMIN, Role.HR, Role.CONSULTANT):
        context.update(_admin_numbers())
    if can("people.link") or can("members.view"):
        context["unlinked"] = links.unlinked_members(tid)
    context.update(_letters(tid, me))
    context["owed"] = owed.owed_items(tid, me, g.role, progress.tenant_today(g.tenant.timezone))
    return render_template("home/home.html", **context)
