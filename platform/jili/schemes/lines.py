"""Payout lines and their explanations.

A :class:`PayoutLine` is what a scheme returns: who gets how much, from which
plan, and why. The *why* is an :class:`Explanation`, kept structured (inputs,
rule applied, arithmetic) so it can be stored as JSON, diffed between runs and
rendered in the reader's language later with :meth:`Explanation.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    # quantize() inlined and the format looked up: this runs several times per line.
    unit = _UNITS.get(places) or Decimal(1).scaleb(-places)
    spec = _MONEY_FORMATS.get(places) or f",.{places}f"
    return format(amount.quantize(unit, rounding=ROUND_HALF_UP), spec)


_MONEY_FORMATS = {places: f",.{places}f" for places in range(7)}


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


class Step(str):
    """Words inside an explanation, translated when they are read.

    ``Step(N_("pool %(excess)s × %(rate)s = %(pool)s"), excess=…, rate=…, pool=…)``
    *is* its English text (a ``str``, so arithmetic still joins, compares and
    stores as before) and also keeps its message and parameters, so a page
    renders it in the reader's language (:meth:`translate`). A parameter may be
    a ``Step`` itself (``"120 % (capped)"`` inside a longer step). Use it for an
    arithmetic step, or an input or rule value, that holds a word; numbers and
    symbols alone stay plain strings. Declare each message once at import time
    with :func:`step_message`, so runs stored as plain English before steps
    were translatable are read back as steps too.
    """

    message: str
    params: dict[str, str]

    def __new__(cls, message: str, **params: str) -> Step:
        self = super().__new__(cls, _render(message, params, _untranslated))
        self.message = message
        self.params = params
        return self

    def __reduce__(self):  # pickled (a worker's cache) as message + params
        return (_make_step, (self.message, self.params))

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The text with ``gettext`` applied to the message and nested steps."""
        return _render(self.message, self.params, gettext)

    def to_json(self) -> dict[str, Any]:
        return {"step": self.message, "params": {k: dump(v) for k, v in self.params.items()}}


def _make_step(message: str, params: Mapping[str, str]) -> Step:
    return Step(message, **params)


def _untranslated(message: str) -> str:
    return message


def _render(message: str, params: Mapping[str, str], gettext: Callable[[str], str]) -> str:
    values = {k: translated(v, gettext) for k, v in params.items()}
    try:
        return gettext(message) % values
    except (KeyError, ValueError, TypeError):  # a broken translation: the English
        return message % values


def translated(value: str, gettext: Callable[[str], str]) -> str:
    """``value`` for the reader: a :class:`Step` translated, any other string as is."""
    return value.translate(gettext) if isinstance(value, Step) else value


def dump(value: str) -> Any:
    """A string of an explanation as JSON: a step keeps its message and params."""
    return value.to_json() if isinstance(value, Step) else value


# Step messages the schemes declare, as patterns that read a stored English
# text back as the step it was (longest first, so the most specific wins).
_STEP_PATTERNS: dict[str, re.Pattern[str]] = {}
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


def step_message(message: str) -> str:
    """Declare ``message`` (``N_``-marked, with at least one word besides its
    ``%(name)s`` placeholders) as a step's message; returns it unchanged."""
    if message not in _STEP_PATTERNS:
        escaped = re.escape(message).replace("%%", "%")
        body = _PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>.+?)", escaped)
        _STEP_PATTERNS[message] = re.compile(f"^{body}$")
    return message


def load(value: Any) -> str:
    """A stored string of an explanation back: a step's JSON as a :class:`Step`;
    a plain English text that reads as a declared step (runs stored before the
    steps were translatable) as that step; anything else as it is."""
    if isinstance(value, Mapping) and "step" in value:
        params = {k: load(v) for k, v in dict(value.get("params") or {}).items()}
        return Step(str(value["step"]), **params)
    if not isinstance(value, str) or not _has_letters(value):
        return value
    for message, pattern in sorted(_STEP_PATTERNS.items(), key=lambda kv: -len(kv[0])):
        match = pattern.match(value)
        if match:
            return Step(message, **{k: load(v) for k, v in match.groupdict().items()})
    return value


def _has_letters(text: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in text)


def budget_step(ceiling: str, rule: str, before: str, after: str) -> tuple[Step, str]:
    """The budget ceiling's step in a cut line's arithmetic (``budget ceiling
    20,000.00 (proportional): 11,700.00 → 10,000.00`` in English, said in the
    reader's language when read) and the note kept under ``rule["budget_ceiling"]``."""
    note_message = BUDGET_NOTES.get(rule)
    note = Step(note_message, ceiling=ceiling) if note_message else f"{ceiling} ({rule})"
    return Step(BUDGET_STEP, note=note, before=before, after=after), str(note)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a line pays what it pays.

    ``message`` is an untranslated sentence with ``%(name)s`` placeholders
    filled from ``inputs`` (the values used, as display strings) and ``rule``
    (the band or rule applied; its values are words or band descriptions and
    are translated too, so mark them with ``N_``). ``arithmetic`` lists each
    step as computed (``"650,000.00 × 1.8 % = 11,700.00"``). Everything is a
    string; a string holding words is a :class:`Step`, translated when read
    (:meth:`to_dict` keeps its message and parameters).
    """

    message: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    rule: Mapping[str, str] = field(default_factory=dict)
    arithmetic: tuple[str, ...] = ()

    def text(self) -> str:
        """The explanation in the current locale (English outside a request)."""
        from flask_babel import gettext

        params = {k: translated(v, gettext) for k, v in self.inputs.items()}
        params.update({k: _rule_value(v, gettext) for k, v in self.rule.items()})
        sentence = gettext(self.message, **params) if params else gettext(self.message)
        if self.arithmetic:
            return f"{sentence} {'; '.join(self.steps(gettext))}"
        return sentence

    def steps(self, gettext: Callable[[str], str]) -> list[str]:
        """The arithmetic, each step's words through ``gettext``."""
        return [translated(step, gettext) for step in self.arithmetic]

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
        # Plain strings as they are without a call (this runs for every line stored).
        return {
            "message": self.message,
            "inputs": {k: v if type(v) is str else dump(v) for k, v in self.inputs.items()},
            "rule": {k: v if type(v) is str else dump(v) for k, v in self.rule.items()},
            "arithmetic": [s if type(s) is str else dump(s) for s in self.arithmetic],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Explanation:
        return cls(
            message=data["message"],
            inputs={k: load(v) for k, v in dict(data.get("inputs", {})).items()},
            rule={k: load(v) for k, v in dict(data.get("rule", {})).items()},
            arithmetic=tuple(load(step) for step in data.get("arithmetic", ())),
        )


def _rule_value(value: str, gettext: Callable[[str], str]) -> str:
    """A rule value: a step translated, a word (``N_``-marked) looked up."""
    if isinstance(value, Step):
        return value.translate(gettext)
    return gettext(value) if value else value


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


# The budget ceiling's step, as jili.schemes.budget writes it (English text):
# declared here so a page reads it in the reader's language, in new runs and old.
BUDGET_NOTES = {
    "proportional": step_message(N_("%(ceiling)s (proportional)")),
    "priority": step_message(N_("%(ceiling)s (priority)")),
}
BUDGET_STEP = step_message(N_("budget ceiling %(note)s: %(before)s → %(after)s"))
