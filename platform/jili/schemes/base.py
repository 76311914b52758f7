"""``SchemeType``: the class a scheme plugin subclasses.

A scheme type is a kind of incentive (tiered commission, excess pool…); a
*plan* is a tenant's configured instance of it (its settings, stored as
JSON). Everything a scheme does lives on its class, as class methods: it is
never instantiated and keeps no state, so one registry serves every tenant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from jili.schemes.facts import Fact, PeriodFacts
from jili.schemes.lines import Explanation, PayoutLine, quantize
from jili.schemes.one_person import OnePersonPayout, alone, full_recalculation
from jili.schemes.settings import Field, Settings, SettingsError, clean_fields, load_fields

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True, slots=True)
class CalculationContext:
    """What a calculation knows besides the facts.

    ``plan_key`` identifies the plan (version) the lines belong to; ``places``
    is the currency's minor unit (2 for CNY, 0 for JPY); ``paid_once_keys``
    are the ``PayoutLine.once_key`` values this plan already paid in earlier
    periods, so once-only awards are not paid twice.
    """

    plan_key: str
    places: int = 2
    currency: str = "CNY"
    paid_once_keys: frozenset[str] = frozenset()


class SchemeInputError(ValueError):
    """An input the scheme refuses (e.g. a one-off award outside its range).
    Raised from ``calculate``, it fails the whole run, loudly."""


class SchemeType:
    """Base class of every incentive scheme.

    Subclasses set ``key`` (unique, lower_snake_case, stored in plans),
    ``label`` (a ``lazy_gettext`` string), ``settings_fields`` and
    ``facts_needed``, and implement :meth:`calculate`.
    """

    key: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    description: ClassVar[Any] = ""
    settings_fields: ClassVar[tuple[Field, ...]] = ()
    facts_needed: ClassVar[frozenset[Fact]] = frozenset()
    #: True when a person's lines depend on that person's own facts only (no
    #: pool, no team, no one else): the what-if simulator then calculates the
    #: person alone instead of the whole company for each point of its curve.
    per_person: ClassVar[bool] = False
    #: Whether a manager's row carries the sales of the teams under theirs (the
    #: engine's roll-up). False when the scheme adds people up itself, e.g. a
    #: team pool split by each member's own excess.
    manager_rollup: ClassVar[bool] = True

    @classmethod
    def facts_for(cls, settings: Mapping[str, Any]) -> frozenset[Fact]:
        """The fact groups a plan with these (stored) ``settings`` needs; by
        default ``facts_needed``. Override to skip a costly query a plan's
        settings make useless (e.g. sales slices without coefficients)."""
        return cls.facts_needed

    @classmethod
    def default_settings(cls) -> dict[str, Any]:
        """The JSON settings of a new plan (every field at its default)."""
        return cls.validate_settings(
            {f.name: f.default for f in cls.settings_fields if not f.required}
        )

    @classmethod
    def validate_settings(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Clean ``raw`` into the JSON form a plan stores; raises
        :class:`SettingsError` with every field-level error at once."""
        cleaned = clean_fields(cls.settings_fields, raw)
        errors = cls.check_settings(load_fields(cls.settings_fields, cleaned))
        if errors:
            raise SettingsError(errors)
        return cleaned

    @classmethod
    def check_settings(cls, settings: Settings) -> dict[str, Any]:
        """Rules across fields, after each field is valid; returns field
        path → message (empty when fine). Override when needed."""
        return {}

    @classmethod
    def load_settings(cls, raw: Mapping[str, Any]) -> Settings:
        """Validate stored settings and return their typed view."""
        return load_fields(cls.settings_fields, cls.validate_settings(raw))

    @classmethod
    def calculate(
        cls, facts: PeriodFacts, settings: Mapping[str, Any], context: CalculationContext
    ) -> list[PayoutLine]:
        """Payout lines for one period: ``settings`` is the plan's stored JSON,
        ``facts`` the period's facts. Pure: same inputs, same lines, in person
        order. Must be overridden."""
        raise NotImplementedError(f"{cls.__name__}.calculate")

    @classmethod
    def prepare_one_person(
        cls, facts: PeriodFacts, settings: Mapping[str, Any], context: CalculationContext
    ) -> OnePersonPayout:
        """Optional (the what-if simulator's fast path): prepare the rest of the
        company once and return ``pay(changed)``, what ``changed.person_id``
        earns when ``calculate`` runs on ``facts.with_person(changed)`` — the
        same ``Decimal``, to the fen (see :mod:`jili.schemes.one_person`).

        By default a ``per_person`` scheme calculates the changed person alone
        and any other scheme recalculates the whole company for each call:
        right, and slow for a pool at 10,000 people. A pool overrides this to
        keep its other members' weights and pay one person against them."""
        if cls.per_person:
            return alone(cls, facts, settings, context)
        return full_recalculation(cls, facts, settings, context)

    @classmethod
    def line(
        cls,
        context: CalculationContext,
        person_id: int,
        amount: Decimal,
        explanation: Explanation,
        *,
        component: str = "",
        once_key: str | None = None,
    ) -> PayoutLine:
        """A payout line; ``amount`` is the exact result, rounded here, once."""
        return PayoutLine(
            person_id=person_id,
            amount=quantize(amount, context.places),
            scheme_key=cls.key,
            plan_key=context.plan_key,
            explanation=explanation,
            component=component,
            once_key=once_key,
        )


def check_scheme_type(scheme: Any) -> None:
    """Raise ``TypeError`` unless ``scheme`` is a usable SchemeType subclass."""
    if not (isinstance(scheme, type) and issubclass(scheme, SchemeType)):
        raise TypeError(f"{scheme!r} is not a SchemeType subclass")
    if not KEY_PATTERN.match(scheme.key or ""):
        raise TypeError(f"{scheme.__name__}.key {scheme.key!r} is not lower_snake_case")
    if not str(scheme.label):
        raise TypeError(f"{scheme.__name__} has no label")
    if scheme.calculate.__func__ is SchemeType.calculate.__func__:
        raise TypeError(f"{scheme.__name__} does not implement calculate()")
    if not (scheme.__doc__ or "").strip():
        raise TypeError(f"{scheme.__name__} has no docstring")
