"""What someone owes, on their home page: one list gathered from every capability.

A capability that puts a to-do on people's home pages writes, in its own services, a
function ``home_items(tenant_id, me, role, today) -> list`` whose items have ``text``
(already translated), ``url``, ``due`` (a date or None) and ``overdue`` (bool), and adds
it to ``PROVIDERS`` below: one line, so parallel work merges without conflict. ``me`` is
the signed-in member's person (None when their login is not linked to one); ``role`` is
their role in the company, so hr can be shown what is overdue across the company.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jili.appeals.services.home import home_items as appeals_items

Provider = Callable[[int, Any, str, date], list]

PROVIDERS: list[Provider] = [appeals_items]


def _evaluation(tenant_id: int, me, role: str, today: date) -> list:
    from jili.evaluation.services.duties import home_items

    return home_items(tenant_id, me, role, today)


PROVIDERS.append(_evaluation)


def _improvement_plans(tenant_id: int, me, role: str, today: date) -> list:
    from jili.evaluation.services.followups import home_items

    return home_items(tenant_id, me, role, today)


PROVIDERS.append(_improvement_plans)


def owed_items(tenant_id: int, me, role: str, today: date) -> list:
    """Every provider's items, overdue first, then by due date (undated last)."""
    items = [item for provider in PROVIDERS for item in provider(tenant_id, me, role, today)]
    return sorted(items, key=lambda i: (not i.overdue, i.due is None, i.due or today))
