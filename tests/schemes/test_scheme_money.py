"""Money is Decimal everywhere; lines and explanations are JSON-able."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from scheme_kit import context, facts, person

from jili.schemes import PayoutLine, fmt_money, fmt_pct, fmt_ratio
from jili_tiered_commission import TieredCommission

ROOT = Path(__file__).resolve().parents[2]


def test_no_float_in_platform_or_plugins():
    offenders = []
    for folder in (ROOT / "platform", ROOT / "plugins"):
        for path in folder.rglob("*.py"):
            if re.search(r"\bfloat\(", path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_line_round_trips_through_json():
    (line,) = TieredCommission.calculate(
        facts(person(1, target=500_000, booked_revenue=650_000)),
        TieredCommission.default_settings(),
        context(),
    )
    again = PayoutLine.from_dict(json.loads(json.dumps(line.to_dict())))
    assert again == line
    assert again.amount == Decimal("11700.00")


def test_numbers_are_shown_without_float_artefacts():
    assert fmt_money(Decimal("650000")) == "650,000.00"
    assert fmt_money(Decimal("0.005")) == "0.01"
    assert fmt_pct(Decimal("1.80")) == "1.8 %"
    assert fmt_ratio(Decimal("1.3")) == "130 %"
    assert fmt_ratio(Decimal(88) / Decimal(90)) == "97.78 %"
