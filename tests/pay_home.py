"""The rows of the pay-visibility matrix (tests/test_pay_visibility.py) for the home
pages' own lists: a manager's whole under-70 % / 70–80 % list shows sales against
target for their own subtree only (the other team's figures never appear); no one
else has such a list on their home, so for them it is a 404."""

from __future__ import annotations

HIDDEN = (404, [])

HOME_PAGES = frozenset({"tenant.team_alerts"})


def home_matrix(w, case) -> dict[str, list[tuple[str, dict]]]:
    q3 = w.q3.id
    return {
        "tenant.team_alerts": [
            (f"/home/team/{q3}/under-70", case(HIDDEN, (200, []), HIDDEN)),
            (f"/home/team/{q3}/under-80", case(HIDDEN, (200, []), HIDDEN)),
        ],
    }
