"""Reading a parsed tenant file entry by entry, for the import.

A :class:`FileReader` holds the file, what the import has created so far
(teams, people, periods by their natural keys) and the errors found. Its
readers take one value from an entry; an invalid value records an error that
names the entry ("people #3 (R003): ...") and gives None, so the import goes
on and reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from jili.accounts.models import Tenant
from jili.money import CURRENCIES, MoneyError, to_decimal
from jili.org.models import Person, Team
from jili.periods.models import Period
from jili.plan_as_code.schema import TenantFileError

#: Decimal places of the numbers that are not money (metric values, weights,
#: budget percentages): what their numeric(…, 4) columns keep.
NUMBER_PLACES = 4


class FileReader:
    def __init__(self, data: Mapping[str, Any], slug: str | None, source: str, actor):
        self.data = data
        self.slug = slug
        self.source = source
        self.actor = actor
        self.errors: list[str] = []
        self.tenant: Tenant | None = None
        self.years: list[int] = []
        self.teams: dict[str, Team] = {}
        self.people: dict[str, Person] = {}
        self.periods: dict[str, Period] = {}
        self.counts: dict[str, int] = {}
        self.kpis: dict[str, Any] = {}  # KPI code → Kpi, once the library is read

    # -- reporting

    def err(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def stop_if_errors(self) -> None:
        if self.errors:
            raise TenantFileError(self.errors)

    def entries(self, key: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The array of tables ``key`` as (where, entry) pairs, "people #3"."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.err(key, _("Must be an array of tables ([[%(key)s]]).", key=key))
            return []
        out = []
        for i, entry in enumerate(value, start=1):
            where = f"{key} #{i}"
            if not isinstance(entry, Mapping):
                self.err(where, _("Must be a table."))
                continue
            out.append((where, entry))
        return out

    def known(self, where: str, entry: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for key in entry:
            if key not in allowed:
                self.err(
                    where,
                    _(
                        "Unknown key %(key)s (expected one of: %(allowed)s).",
                        key=key,
                        allowed=", ".join(allowed),
                    ),
                )

    # -- value readers (each records an error and returns None when invalid)

    def text(self, where, entry, key, *, required=True, limit=200, default="") -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
                return None
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.err(where, _("%(key)s must be a non-empty text.", key=key))
            return None
        value = value.strip()
        if len(value) > limit:
            self.err(where, _("%(key)s is longer than %(n)d characters.", key=key, n=limit))
            return None
        return value

    def decimal(self, where, entry, key, *, required=True, minimum=None, money=False):
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
            return None
        if isinstance(value, float):
            self.err(
                where,
                _(
                    '%(key)s: write numbers with decimals as text, e.g. "1.8", so they stay exact.',
                    key=key,
                ),
            )
            return None
        try:
            number = to_decimal(value)
        except MoneyError:
            self.err(where, _("%(key)s: %(value)s is not a number.", key=key, value=value))
            return None
        # Refused, never rounded, exactly as an upload refuses it: a money
        # column keeps the currency's minor unit, the other numbers 4 places.
        places = self._money_places() if money else NUMBER_PLACES
        if number != number.quantize(Decimal(1).scaleb(-places)):
            if places == 0:
                message = _("%(v)s: this currency has no decimal places.", v=value)
            else:
                message = _("%(v)s: at most %(n)d decimal places.", v=value, n=places)
            self.err(where, f"{key}: {message}")
            return None
        if minimum is not None and number < minimum:
            self.err(where, _("%(key)s must be at least %(n)s.", key=key, n=minimum))
            return None
        return number + 0

    def _money_places(self) -> int:
        currency = self.tenant.currency if self.tenant is not None else "CNY"
        return min(2, CURRENCIES.get(currency, 2))

    def boolean(self, where, entry, key, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            self.err(where, _("%(key)s must be true or false.", key=key))
            return default
        return value

    def day(self, where, entry, key, *, required=True) -> date | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.err(where, _("%(key)s must be a date, e.g. 2024-07-15.", key=key))
        return None

    def period(self, where, entry, key="period") -> Period | None:
        label = entry.get(key)
        if not isinstance(label, str):
            self.err(where, _("%(key)s must be a period label, e.g. 2024-Q3.", key=key))
            return None
        period = self.periods.get(label.strip().upper())
        if period is None:
            self.err(
                where,
                _(
                    "Period %(label)s does not exist: add its fiscal year to [tenant] years.",
                    label=label,
                ),
            )
        return period

    def team(self, where, name) -> Team | None:
        team = self.teams.get(name) if isinstance(name, str) else None
        if team is None:
            self.err(where, _("Team %(name)s is not in the file's teams.", name=name))
        return team

    def person(self, where, no) -> Person | None:
        person = self.people.get(no) if isinstance(no, str) else None
        if person is None:
            self.err(where, _("Employee number %(no)s is not in the file's people.", no=no))
        return person

    def name_list(self, where, value, key) -> list | None:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.err(where, _("%(key)s must be a list of names.", key=key))
            return None
        return value

    def subject(self, where, entry) -> tuple[int | None, int | None] | None:
        """(person_id, team_id) from exactly one of ``person`` / ``team``."""
        has_person, has_team = "person" in entry, "team" in entry
        if has_person == has_team:
            self.err(where, _("Give either person (an employee number) or team (a name)."))
            return None
        if has_person:
            p = self.person(where, entry["person"])
            return (p.id, None) if p else None
        t = self.team(where, entry["team"])
        return (None, t.id) if t else None
