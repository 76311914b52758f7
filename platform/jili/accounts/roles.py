"""What each role may do in a tenant. Enforced on the server by :func:`require`."""

from __future__ import annotations

from functools import wraps

from flask import abort, g

from jili.accounts.models import Role

# Short names keep the permission table readable.
O, A, C, M, H, S = Role.OWNER, Role.ADMIN, Role.CONSULTANT, Role.MANAGER, Role.HR, Role.STAFF  # noqa: E741

PERMISSIONS: dict[str, frozenset[Role]] = {
    "tenant.view": frozenset({O, A, C, M, H, S}),
    "config.view": frozenset({O, A, C, M, H}),
    "settings.edit": frozenset({O, A}),
    "org.view": frozenset({O, A, C, M, H}),
    "org.edit": frozenset({O, A, C, H}),
    "periods.view": frozenset({O, A, C, M, H}),
    "periods.edit": frozenset({O, A, H}),
    "periods.reopen": frozenset({O, A}),
    "members.view": frozenset({O, A}),
    "members.edit": frozenset({O, A}),
    "people.link": frozenset({O, A, H}),  # link a member's login to a person
    "audit.view": frozenset({O, A}),
    # Incentives (issue 3)
    "schemes.edit": frozenset({O, A}),  # the budget ceiling
    # Enable / disable scheme plugins: a consultant the company let in may do it too.
    "schemes.enable": frozenset({O, A, C}),
    "plans.view": frozenset({O, A, C, M, H}),
    "plans.edit": frozenset({O, A, C}),
    "inputs.view": frozenset({O, A, C, M, H}),
    "inputs.edit": frozenset({O, A, C, H}),  # transactions, targets, metric values
    # Targets as a process (issue 12): the grid, splits, publication, metrics.
    "targets.view": frozenset({O, A, C, M, H}),  # the grid; managers: published, own teams
    "targets.edit": frozenset({O, A, C, H}),  # set and split targets while draft
    "targets.publish": frozenset({O, A, H}),
    "targets.metrics": frozenset({O, A, C, H}),  # the tenant's own metrics
    "targets.mine": frozenset({O, A, C, M, H, S}),  # one's own published targets
    "profit.view": frozenset({O, A, C, H}),  # the company's profit: not for managers
    "profit.edit": frozenset({O, A, H}),  # hr / finance
    "awards.approve": frozenset({O, A}),
    "runs.view": frozenset({O, A, C, M, H}),
    "runs.calculate": frozenset({O, A, C, H}),
    "runs.publish": frozenset({O, A}),
    "runs.export": frozenset({O, A, H}),
    # Background jobs (calculations, imports, exports): each job page also needs the
    # permission its kind needs (jili.jobs.views.KIND_PERMISSION).
    "jobs.view": frozenset({O, A, C, H}),
    # Whose pay one sees, on every page that shows money or pay inputs (statements,
    # runs, transactions, targets, KPI values, awards, salaries, the simulator, home):
    # jili.org.visibility applies these two. Without either: one's own only.
    "statements.all": frozenset({O, A, C, H}),  # every person's pay
    "statements.team": frozenset({O, A, C, M, H}),  # managers: their team subtree's
    # Evaluation (issue 14): the KPI library, sets per level and rating bands; the
    # scorecards themselves follow jili.org.visibility (self, team subtree, everyone).
    "kpis.view": frozenset({O, A, C, M, H}),
    "kpis.edit": frozenset({O, A, C, H}),
    "scorecards.view": frozenset({O, A, C, M, H, S}),
    "scorecards.edit": frozenset({O, A, C, H}),  # generate, enter values, calibrate
    # Anonymous feedback: consultants get inbox/summary only by the tenant's explicit
    # grant, kept in its feedback settings (see jili.feedback.views.allowed).
    "feedback.inbox": frozenset({O, A, H}),
    "feedback.summary": frozenset({O, A, M, H}),
    "feedback.settings": frozenset({O, A}),
    # Responsibility letters and target adjustments (issue 12). Everyone sees and
    # acknowledges their own letter and asks for their own adjustment; who may
    # approve an adjustment is decided per request (jili.adjustments.services).
    "letters.manage": frozenset({O, A, H}),  # issue letters, follow who acknowledged
    "letters.template": frozenset({O, A, C, H}),
    "adjustments.review": frozenset({O, A, H}),  # hr's data review
    "adjustments.rule": frozenset({O, A}),  # how far a target moves without a director
    # Working-day calendar, alert rules, alerts and improvement plans (issue 12)
    "calendar.view": frozenset({O, A, C, M, H}),
    "calendar.edit": frozenset({O, A, H}),
    "alerts.rules.view": frozenset({O, A, C, M, H}),
    "alerts.rules.edit": frozenset({O, A, H}),
    # whose alerts one sees follows jili.org.visibility (self, team subtree, everyone)
    "alerts.view": frozenset({O, A, C, M, H, S}),
    # writing an improvement plan: the person, or a manager/hr/admin/owner who sees them
    "alerts.plan": frozenset({O, A, M, H, S}),
    # Using the results (issue 14 item 6): the promotion list and opening the C
    # ratings' improvement plans are hr's; the period review (item 8) shows every
    # team's pay, so it is for the roles that see everyone's.
    "results.manage": frozenset({O, A, H}),
    "review.view": frozenset({O, A, C, H}),
}

# Which roles an inviter may hand out: nobody but an owner makes an owner.
GRANTABLE: dict[Role, frozenset[Role]] = {
    O: frozenset(Role),
    A: frozenset({A, C, M, H, S}),
}


def can(permission: str, role: Role | None = None) -> bool:
    role = role if role is not None else getattr(g, "role", None)
    return role is not None and role in PERMISSIONS[permission]


def require(permission: str):
    """View decorator: 403 unless the member's role in ``g.tenant`` has ``permission``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator
