"""The manager home's alert lists in full: everyone of the manager's team under 70 %
of target, or from 70 % to under 80 %, to date in a period — the lowest first, 50 a
page. The home page shows the first few of each and links here. Only a manager
linked to a person sees it, and only their own team (the one pay-visibility rule);
anyone else, another company's period or an unknown band is a 404."""

from __future__ import annotations

from flask import abort, g, render_template, request

from jili.accounts.models import Role
from jili.accounts.roles import require
from jili.home.services import links, team
from jili.org import visibility
from jili.periods.models import Period
from jili.tenancy import get_scoped_or_404
from jili.web import bp

PAGE_SIZE = 50
HOME_ROWS = 20  # the home page shows the 20 lowest of each list


@bp.app_context_processor
def _alert_rows():
    return {"alert_rows": HOME_ROWS}


@bp.route("/home/team/<int:period_id>/<band>")
@require("tenant.view")
def team_alerts(period_id: int, band: str):
    if band not in team.BANDS or g.role != Role.MANAGER:
        abort(404)
    me = links.person_of_user(g.tenant.id, g.membership.user_id)
    if me is None:
        abort(404)
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    people = visibility.team_people(me)
    ranking, _without = team.team_ranking(g.tenant.id, g.tenant.currency, period, people)
    everyone = team.in_band(ranking, band)
    pages = max(1, -(-len(everyone) // PAGE_SIZE))
    page = request.args.get("page", 1, type=int)
    page = min(max(page, 1), pages)  # a page out of range shows the nearest one
    start = (page - 1) * PAGE_SIZE
    return render_template(
        "home/team_alerts.html",
        period=period,
        band=band,
        rows=everyone[start : start + PAGE_SIZE],
        first=start + 1,
        total=len(everyone),
        page=page,
        pages=pages,
    )
