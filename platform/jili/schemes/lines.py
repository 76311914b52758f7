"""Payout lines and their explanations.

A :class:`PayoutLine` is what a scheme returns: who gets how much, from which
plan, and why. The *why* is an :class:`Explanation`, kept structured (inputs,
rule applied, arithmetic) so it can be stored as JSON, diffed between runs and
rendered in the reader's language later with :meth:`Explanation.text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_UNITS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (``pybabel
    extract`` picks up ``N_``); :meth:`Explanation.text` translates it."""
    return message


def quantize(amount: Decimal, places: int = 2) -> Decimal:
    """Round half-up to ``places`` decimals, the currency's minor unit (same as
    ``jili.money.quantize``, with the exponent looked up: it runs per line)."""
    unit = _UNITS.get(places) or Decimal(1).scaleb(-places)
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def fmt_money(amount: Decimal, places: int = 2) -> str:
    """``Decimal("650000")`` → ``"650,000.00"`` (no float on the way)."""
    return f"{quantize(amount, places):,.{places}f}"


def fmt_number(value: Decimal) -> str:
    """A plain number without trailing zeros: ``1.20`` → ``"1.2"``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_pct(percent: Decimal) -> str:
    """A value already in percent: ``Decimal("1.80")`` → ``"1.8 %"``."""
    return f"{fmt_number(percent)} %"


def fmt_ratio(fraction: Decimal, places: int = 2) -> str:
    """A fraction shown as percent: ``Decimal("0.96")`` → ``"96 %"``, ``1.3 → 130 %``."""
    return fmt_pct(quantize(fraction * 100, places))


#: The budget ceiling's step in a cut line's arithmetic, as stored (English) and
#: as shown (translated): ``budget ceiling 20,000.00 (proportional): 11,700.00 → 10,000.00``.
BUDGET_STEP = N_("budget ceiling %(ceiling)s (%(rule)s): %(before)s → %(after)s")
#: The budget rules' words inside that step.
BUDGET_RULE_WORDS = {"proportional": N_("proportional"), "priority": N_("priority")}


def budget_step(ceiling: str, rule: str, before: str, after: str) -> tuple[str, str]:
    """The stored step and the rule note (``"20,000.00 (proportional)"``) kept
    under ``rule["budget_ceiling"]``, from which :func:`localized_step` knows it."""
    note = f"{ceiling} ({rule})"
    return BUDGET_STEP % {"ceiling": ceiling, "rule": rule, "before": before, "after": after}, note


def localized_step(step: str, rule: Mapping[str, str], gettext) -> str:
    """One arithmetic step in the reader's language. Steps are numbers and
    symbols, except the budget ceiling's, stored in English: it is recognised
    exactly (from the note under ``rule["budget_ceiling"]``) and said again
    through ``gettext``. Any other step is returned as it is."""
    note = rule.get("budget_ceiling")
    if not note or " (" not in note:
        return step
    prefix = f"budget ceiling {note}: "
    if not step.startswith(prefix) or " → " not in step:
        return step
    before, after = step[len(prefix) :].split(" → ", 1)
    ceiling, word = note.rsplit(" (", 1)
    word = word.removesuffix(")")
    return gettext(
        BUDGET_STEP,
        ceiling=ceiling,
        rule=gettext(BUDGET_RULE_WORDS.get(word, word)),
        before=before,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a line pays what it pays.

    ``message`` is an untranslated sentence with ``%(name)s`` placeholders
    filled from ``inputs`` (the values used, as display strings) and ``rule``
    (the band or rule applied; its values are words or band descriptions and
    are translated too, so mark them with ``N_``). ``arithmetic`` lists each
    step as computed (``"650,000.00 × 1.8 % = 11,700.00"``). Everything is a
    string, so the explanation is JSON-able as is.
    """

    message: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    rule: Mapping[str, str] = field(default_factory=dict)
    arithmetic: tuple[str, ...] = ()

    def text(self) -> str:
        """The explanation in the current locale (English outside a request)."""
        from flask_babel import gettext

        params = {**self.inputs, **{k: gettext(v) if v else v for k, v in self.rule.items()}}
        sentence = gettext(self.message, **params) if params else gettext(self.message)
        if self.arithmetic:
            return f"{sentence} {'; '.join(self.localized_arithmetic(gettext))}"
        return sentence

    def localized_arithmetic(self, gettext) -> list[str]:
        """The arithmetic steps in the reader's language (see :func:`localized_step`)."""
        return [localized_step(step, self.rule, gettext) for step in self.arithmetic]

    def plain_text(self) -> str:
        """The explanation in English, without a translation lookup (what a run
        stores beside the structured form; pages translate the structured form)."""
        params = {**self.inputs, **self.rule}
        sentence = self.message % params if params else self.message
        if self.arithmetic:
            return f"{sentence} {'; '.join(self.arithmetic)}"
        return sentence

    def with_step(self, step: str, **rule: str) -> Explanation:
        """A copy with one more arithmetic step (e.g. the budget ceiling)."""
        return replace(self, arithmetic=(*self.arithmetic, step), rule={**self.rule, **rule})

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "inputs": dict(self.inputs),
            "rule": dict(self.rule),
            "arithmetic": list(self.arithmetic),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Explanation:
        return cls(
            message=data["message"],
            inputs=dict(data.get("inputs", {})),
            rule=dict(data.get("rule", {})),
            arithmetic=tuple(data.get("arithmetic", ())),
        )


@dataclass(frozen=True, slots=True)
class PayoutLine:
    """One amount for one person from one plan.

    ``amount`` is already rounded half-up to the currency's minor unit (the
    rounding happens once, at the end of the line). ``component`` names the
    part of a scheme that paid it (``"icebreaker"``, ``"over_target"``…);
    ``once_key`` is set for awards paid at most once per plan (the engine
    passes the keys already paid back in ``CalculationContext.paid_once_keys``).
    """

    person_id: int
    amount: Decimal
    scheme_key: str
    plan_key: str
    explanation: Explanation
    component: str = ""
    once_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; the amount as a string."""
        return {
            "person_id": self.person_id,
            "amount": str(self.amount),
            "scheme_key": self.scheme_key,
            "plan_key": self.plan_key,
            "component": self.component,
            "once_key": self.once_key,
            "explanation": self.explanation.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PayoutLine:
        return cls(
            person_id=int(data["person_id"]),
            amount=Decimal(data["amount"]),
            scheme_key=data["scheme_key"],
            plan_key=data["plan_key"],
            component=data.get("component", ""),
            once_key=data.get("once_key"),
            explanation=Explanation.from_dict(data["explanation"]),
        )
