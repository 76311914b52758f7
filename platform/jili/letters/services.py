"""Responsibility letters (目标责任书): the tenant's template, issuing a letter per
person from their published targets, acknowledging it, and the PDF.

A letter is written in the company's language (the tenant's locale) and keeps a
frozen copy of what it said. :func:`issue_letters` is safe to call again and
again: a person whose letter would read the same gets no new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.letters.models import (
    DEFAULT_ACK_DAYS,
    TEXT_MAX,
    TITLE_MAX,
    LetterTemplate,
    ResponsibilityLetter,
)
from jili.org.models import Level, Person
from jili.periods.models import Period
from jili.targets import services as targets

TEMPLATE_FIELDS = ("title", "opening", "support", "authority", "closing", "acknowledge_days")
MAX_ACK_DAYS = 90


class LetterError(ValueError):
    """A refused letter action; the message is for the user."""


# --- the template -------------------------------------------------------------------


def default_template() -> dict[str, Any]:
    """The words a company starts from, in the current language."""
    return {
        "title": _("Target responsibility letter"),
        "opening": _(
            "This letter sets out the targets you are responsible for in the period "
            "below, what the company provides to help you reach them, and the limits "
            "of your authority."
        ),
        "support": _(
            "Product training and pre-sales support on request; marketing materials "
            "and customer references from the sales office; a monthly review with "
            "your manager."
        ),
        "authority": "\n".join(
            [
                _("Deals over 100,000 need your manager's approval."),
                _("Discounts beyond the price list need the regional director's approval."),
            ]
        ),
        "closing": _(
            "By acknowledging this letter you confirm that you have read these targets "
            "and the plans that pay on them."
        ),
        "acknowledge_days": DEFAULT_ACK_DAYS,
    }


def saved_template(tenant_id: int) -> LetterTemplate | None:
    return db.session.scalar(select(LetterTemplate).where(LetterTemplate.tenant_id == tenant_id))


def template_values(tenant_id: int) -> dict[str, Any]:
    """The tenant's template, or the default words when none was saved."""
    t = saved_template(tenant_id)
    if t is None:
        return default_template()
    return {f: getattr(t, f) for f in TEMPLATE_FIELDS}


def clean_template(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The template's fields checked: (clean values, field → error)."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ("title", "opening", "support", "authority", "closing"):
        text = str(values.get(name) or "").replace("\r\n", "\n").strip()
        limit = TITLE_MAX if name == "title" else TEXT_MAX
        if "\x00" in text:
            errors[name] = _("The text contains a character that cannot be stored.")
        elif len(text) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
        out[name] = text
    if not out["title"]:
        errors["title"] = _("The letter needs a title.")
    raw = str(values.get("acknowledge_days") if values.get("acknowledge_days") is not None else "")
    try:
        days = int(raw.strip())
        if not 1 <= days <= MAX_ACK_DAYS:
            raise ValueError
        out["acknowledge_days"] = days
    except ValueError:
        errors["acknowledge_days"] = _(
            "Enter a whole number of days from 1 to %(n)d.", n=MAX_ACK_DAYS
        )
    return out, errors


def save_template(tenant_id: int, values: dict[str, Any], actor=None) -> LetterTemplate:
    """Create or change the tenant's template (values from :func:`clean_template`)."""
    t = saved_template(tenant_id)
    before = {f: getattr(t, f) for f in TEMPLATE_FIELDS} if t is not None else None
    if t is None:
        t = LetterTemplate(tenant_id=tenant_id)
        db.session.add(t)
    for f in TEMPLATE_FIELDS:
        setattr(t, f, values[f])
    db.session.flush()
    after = {f: getattr(t, f) for f in TEMPLATE_FIELDS}
    audit.record(
        "letter_template.update", t, tenant_id=tenant_id, before=before or {}, after=after,
        actor=actor,
    )  # fmt: skip
    return t


# --- issuing ------------------------------------------------------------------------


def _plans_for(tenant_id: int, period: Period, person: Person) -> list[str]:
    """Names of the active plans of the period that pay ``person``."""
    from jili.incentives.engine.versions import PlanStatus, plans_for_period
    from jili.org.visibility import team_subtree

    names = []
    for entry in plans_for_period(tenant_id, period):
        if entry.status != PlanStatus.ACTIVE or entry.version is None:
            continue
        rule = entry.version.eligibility or {}
        team_ids, levels = rule.get("team_ids") or [], set(rule.get("levels") or [])
        person_ids = set(rule.get("person_ids") or [])
        if team_ids or levels or person_ids:
            if person.id in person_ids:
                names.append(entry.plan.name)
                continue
            if not (team_ids or levels):
                continue
            teams = {t for tid in team_ids for t in team_subtree(tenant_id, tid)}
            if team_ids and person.team_id not in teams:
                continue
            if levels and person.level.value not in levels:
                continue
        names.append(entry.plan.name)
    return names


def _acknowledge_by(tenant_id: int, start: date, days: int) -> date:
    try:
        from jili.workdays.services import add_working_days
    except ImportError:  # the working-day calendar is not there: calendar days
        return start + timedelta(days=days)
    return add_working_days(tenant_id, start, days)


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def letter_content(tenant_id: int, period: Period, person: Person) -> dict[str, Any] | None:
    """What ``person``'s letter for ``period`` says now, or None when they have no
    published target in it. A manager's letter also holds their team's own
    targets (``team_targets``, only when the team has some)."""
    lines = targets.published_targets(tenant_id, period.id, person.id)
    team_lines = []
    if person.level == Level.MANAGER and person.team_id is not None:
        team_lines = targets.published_targets(tenant_id, period.id, None, team_id=person.team_id)
    if not lines and not team_lines:
        return None
    tpl = template_values(tenant_id)
    content = {
        "title": tpl["title"],
        "opening": tpl["opening"],
        "support": tpl["support"],
        "authority": [a.strip() for a in tpl["authority"].split("\n") if a.strip()],
        "closing": tpl["closing"],
        "acknowledge_days": tpl["acknowledge_days"],
        "person": {
            "name": person.name,
            "employee_no": person.employee_no,
            "team": person.team.name if person.team else "",
        },
        "period": {
            "label": period.label,
            "start": period.start_date.isoformat(),
            "end": period.end_date.isoformat(),
        },
        "deadline": period.end_date.isoformat(),
        "targets": [_line(line) for line in lines],
        "plans": _plans_for(tenant_id, period, person),
    }
    if team_lines:
        content["team_targets"] = [_line(line) for line in team_lines]
    return content


def _line(line) -> dict[str, str]:
    return {
        "metric": line.metric,
        "label": _text(line.label),
        "unit": _text(line.unit),
        "kind": getattr(line.kind, "value", line.kind),
        "baseline": _text(line.baseline),
        "challenge": _text(line.challenge) if line.challenge is not None else "",
    }


def current_letter(tenant_id: int, period_id: int, person_id: int) -> ResponsibilityLetter | None:
    return db.session.scalar(
        select(ResponsibilityLetter).where(
            ResponsibilityLetter.tenant_id == tenant_id,
            ResponsibilityLetter.period_id == period_id,
            ResponsibilityLetter.person_id == person_id,
            ResponsibilityLetter.current.is_(True),
        )
    )


def issue_letters(
    tenant_id: int, period_id: int, actor_user_id: int | None, person_ids=None
) -> list[ResponsibilityLetter]:
    """Issue a new letter version to each person of the period (or of
    ``person_ids``) whose published targets or template words differ from their
    current letter; returns the letters issued. The caller commits."""
    tenant = db.session.get(Tenant, tenant_id)
    period = db.session.scalar(
        select(Period).where(Period.tenant_id == tenant_id, Period.id == period_id)
    )
    if tenant is None or period is None:
        raise LetterError(_("There is no such period."))
    query = select(Person).where(Person.tenant_id == tenant_id).order_by(Person.employee_no)
    if person_ids is not None:
        query = query.where(Person.id.in_(sorted(person_ids) or [-1]))
    version = targets.targets_version(tenant_id, period_id)
    issued = []
    with force_locale(tenant.locale):
        for person in db.session.scalars(query).all():
            content = letter_content(tenant_id, period, person)
            if content is None:
                continue
            old = current_letter(tenant_id, period_id, person.id)
            if old is not None and old.content == content:
                continue
            issued.append(_issue_one(tenant, period, person, old, content, version, actor_user_id))
    return issued


def _issue_one(tenant, period, person, old, content, version, actor_user_id):
    if old is not None:
        db.session.execute(
            update(ResponsibilityLetter)
            .where(ResponsibilityLetter.tenant_id == tenant.id, ResponsibilityLetter.id == old.id)
            .values(current=False)
        )
        old.current = False
    letter = ResponsibilityLetter(
        tenant_id=tenant.id,
        period_id=period.id,
        person_id=person.id,
        version=(old.version + 1) if old is not None else 1,
        targets_version=version,
        content=content,
        current=True,
        issued_by_id=actor_user_id,
    )
    db.session.add(letter)
    db.session.flush()
    audit.record(
        "letter.issue", letter, tenant_id=tenant.id, actor=_user(actor_user_id),
        after={"person_id": person.id, "period_id": period.id, "version": letter.version},
    )  # fmt: skip
    notify(
        tenant.id, person_id=person.id, kind="letter_to_acknowledge",
        params={"period": period.label, "version": letter.version},
        link=f"/t/{tenant.slug}/letters/{letter.id}",
    )  # fmt: skip
    return letter


def _user(user_id: int | None):
    if user_id is None:
        return None
    from jili.accounts.models import User

    return db.session.get(User, user_id)


def notify(tenant_id: int, **kw) -> None:
    """Tell someone through jili.notifications when it is there; never fails the caller."""
    try:
        from jili.notifications.services import notify as send
    except ImportError:
        return
    send(tenant_id, **kw)


def acknowledge(tenant_id: int, letter: ResponsibilityLetter, user) -> None:
    """The person acknowledges their current letter (only their own)."""
    person = db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.id == letter.person_id)
    )
    if person is None or person.user_id is None or person.user_id != user.id:
        raise LetterError(_("Only the person a letter is for can acknowledge it."))
    if not letter.current:
        raise LetterError(
            _("A newer version of this letter was issued: acknowledge that one instead.")
        )
    if letter.acknowledged_at is not None:
        raise LetterError(_("This letter is already acknowledged."))
    letter.acknowledged_at = utcnow()
    letter.acknowledged_by_id = user.id
    audit.record(
        "letter.acknowledge", letter, tenant_id=tenant_id, actor=user,
        after={"person_id": letter.person_id, "period_id": letter.period_id,
               "version": letter.version},
    )  # fmt: skip


def unacknowledged_letters(
    tenant_id: int, person_id: int | None = None, person_ids=None
) -> list[ResponsibilityLetter]:
    """Current letters not yet acknowledged, oldest first (of one person, of the
    given people, or of everyone)."""
    query = select(ResponsibilityLetter).where(
        ResponsibilityLetter.tenant_id == tenant_id,
        ResponsibilityLetter.current.is_(True),
        ResponsibilityLetter.acknowledged_at.is_(None),
    )
    if person_id is not None:
        query = query.where(ResponsibilityLetter.person_id == person_id)
    if person_ids is not None:
        query = query.where(ResponsibilityLetter.person_id.in_(sorted(person_ids) or [-1]))
    return list(db.session.scalars(query.order_by(ResponsibilityLetter.issued_at)))


@dataclass
class TargetRow:
    label: str
    unit: str
    kind: str
    baseline: Decimal
    challenge: Decimal | None


def target_rows(letter: ResponsibilityLetter, key: str = "targets") -> list[TargetRow]:
    """The letter's own targets (or with ``key="team_targets"``, its team's)."""
    return [
        TargetRow(
            t["label"], t["unit"], t["kind"], Decimal(t["baseline"]),
            Decimal(t["challenge"]) if t.get("challenge") else None,
        )
        for t in letter.content.get(key, [])
    ]  # fmt: skip


def acknowledge_by(letter: ResponsibilityLetter) -> date:
    days = int(letter.content.get("acknowledge_days") or DEFAULT_ACK_DAYS)
    return _acknowledge_by(letter.tenant_id, letter.issued_at.date(), days)


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """The printable page as a PDF (WeasyPrint; the CJK glyphs come from Noto CJK)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()
