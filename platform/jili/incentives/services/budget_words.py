"""The budget ceiling in words, with its numbers, in the reader's language:
what a run page, a statement and the confirmation before a deep cut say.

Built from a run's stored ``budget`` (see ``engine.storage.store_final_run``);
runs stored before the ceiling was per period kind lack the kind, the revenue
and the factor, and get the same sentences without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from jili.i18n import format_money
from jili.schemes.lines import fmt_number

HUNDRED = Decimal(100)

#: The ceiling's period kinds as the settings page names them.
KIND_LABELS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
    "week": _l("Week"),
}

CUT_SENTENCES = {
    "month": _l(
        "The month’s budget ceiling of %(ceiling)s (%(basis)s) cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "quarter": _l(
        "The quarter’s budget ceiling of %(ceiling)s (%(basis)s) cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "year": _l(
        "The year’s budget ceiling of %(ceiling)s (%(basis)s) cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "week": _l(
        "The week’s budget ceiling of %(ceiling)s (%(basis)s) cut the payouts "
        "from %(before)s to %(after)s."
    ),
    None: _l(
        "The budget ceiling of %(ceiling)s (%(basis)s) cut the payouts from %(before)s to "
        "%(after)s."
    ),
}
WOULD_CUT_SENTENCES = {
    "month": _l(
        "The month’s budget ceiling of %(ceiling)s (%(basis)s) would cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "quarter": _l(
        "The quarter’s budget ceiling of %(ceiling)s (%(basis)s) would cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "year": _l(
        "The year’s budget ceiling of %(ceiling)s (%(basis)s) would cut the payouts "
        "from %(before)s to %(after)s."
    ),
    "week": _l(
        "The week’s budget ceiling of %(ceiling)s (%(basis)s) would cut the payouts "
        "from %(before)s to %(after)s."
    ),
    None: _l(
        "The budget ceiling of %(ceiling)s (%(basis)s) would cut the payouts from "
        "%(before)s to %(after)s."
    ),
}
NOT_REACHED_SENTENCES = {
    "month": _l(
        "The month’s budget ceiling of %(ceiling)s (%(basis)s) was not reached: "
        "%(before)s is paid as calculated."
    ),
    "quarter": _l(
        "The quarter’s budget ceiling of %(ceiling)s (%(basis)s) was not reached: "
        "%(before)s is paid as calculated."
    ),
    "year": _l(
        "The year’s budget ceiling of %(ceiling)s (%(basis)s) was not reached: "
        "%(before)s is paid as calculated."
    ),
    "week": _l(
        "The week’s budget ceiling of %(ceiling)s (%(basis)s) was not reached: "
        "%(before)s is paid as calculated."
    ),
    None: _l(
        "The budget ceiling of %(ceiling)s (%(basis)s) was not reached: %(before)s is "
        "paid as calculated."
    ),
}


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _pct(value: Decimal) -> str:
    return f"{fmt_number(value)} %"


def basis(budget: Mapping) -> str:
    """How the ceiling came about: a fixed amount, a percent of the period's
    revenue, the lower of the two; plus the released extra when it was."""
    amount, pct = _dec(budget.get("amount")), _dec(budget.get("pct_of_revenue"))
    revenue = _dec(budget.get("revenue"))
    if pct is not None and revenue is not None:
        share = revenue * pct / HUNDRED if revenue > 0 else Decimal(0)
        of_revenue = _(
            "%(pct)s of revenue %(revenue)s = %(share)s",
            pct=_pct(pct),
            revenue=format_money(revenue),
            share=format_money(share),
        )
    elif pct is not None:
        of_revenue = _("%(pct)s of revenue", pct=_pct(pct))
    if amount is not None and pct is not None:
        text = _(
            "the lower of the fixed %(amount)s and %(of_revenue)s",
            amount=format_money(amount),
            of_revenue=of_revenue,
        )
    elif pct is not None:
        text = of_revenue
    else:
        text = _("a fixed amount")
    if budget.get("released"):
        text = _(
            "%(basis)s, raised by %(extra)s released at an attainment of %(from)s or more",
            basis=text,
            extra=_pct(_dec(budget.get("release_pct")) or Decimal(0)),
            **{"from": _pct(_dec(budget.get("release_from_attainment_pct")) or Decimal(0))},
        )
    return text


def _values(budget: Mapping) -> dict[str, str]:
    return {
        "ceiling": format_money(_dec(budget.get("ceiling"))),
        "basis": basis(budget),
        "before": format_money(_dec(budget.get("total_before"))),
        "after": format_money(_dec(budget.get("total_after"))),
    }


def _how(budget: Mapping) -> list[str]:
    """How the cut was shared, and how much is not paid."""
    out = []
    factor = _dec(budget.get("factor"))
    if budget.get("rule") == "priority":
        out.append(
            _(
                "Plans were paid in priority order (lower number first) while the budget "
                "lasted; the plan where it ran out was scaled down, the plans after it pay "
                "nothing."
            )
        )
    elif factor is not None:
        out.append(
            _(
                "Every positive payout was scaled by the same factor, %(factor)s.",
                factor=fmt_number(factor),
            )
        )
    before, after = _dec(budget.get("total_before")), _dec(budget.get("total_after"))
    if before is not None and after is not None and before > 0:
        out.append(
            _(
                "%(removed)s (%(share)s of the calculated payouts) is not paid.",
                removed=format_money(before - after),
                share=_pct(((before - after) * HUNDRED / before).quantize(Decimal("0.1"))),
            )
        )
    return out


def ceiling_sentences(budget: Mapping | None) -> list[str]:
    """A final run's budget ceiling in words; empty when it had no ceiling."""
    if not budget or budget.get("pilot") or budget.get("ceiling") in (None, ""):
        return []
    kind = budget.get("period_kind")
    kind = kind if kind in CUT_SENTENCES else None
    if not budget.get("applied"):
        return [str(NOT_REACHED_SENTENCES[kind]) % _values(budget)]
    out = [str(CUT_SENTENCES[kind]) % _values(budget), *_how(budget)]
    if budget.get("confirmed"):
        out.append(
            _("It removed more than half of the payouts and was confirmed before the run was kept.")
        )
    return out


def confirmation_sentences(budget: Mapping) -> list[str]:
    """What the person is asked to confirm before a run that loses more than
    half of its payouts is stored."""
    kind = budget.get("period_kind")
    kind = kind if kind in WOULD_CUT_SENTENCES else None
    return [str(WOULD_CUT_SENTENCES[kind]) % _values(budget), *_how(budget)]


def statement_sentences(budget: Mapping | None, before: Decimal, after: Decimal) -> list[str]:
    """On a statement whose lines the ceiling cut: the ceiling in words and this
    statement's own total before and after it."""
    if before == after:
        return []
    return [
        *ceiling_sentences(budget)[:1],
        _(
            "The payouts on this statement were cut from %(before)s to %(after)s.",
            before=format_money(before),
            after=format_money(after),
        ),
    ]
