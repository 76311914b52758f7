"""Mentor award (师徒制 / 伯乐奖 / 破冰奖): each award once, in the period of the event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scheme_kit import JULY_2024, Q3_2024, context, facts, person, settings_for

from jili.schemes import PeriodInfo
from jili_mentor_award import MentorAward

MENTOR = person(1, level="core", hire_date=date(2019, 1, 1))
NEWCOMER = person(
    2,
    level="newcomer",
    hire_date=date(2024, 5, 6),
    mentor_id=1,
    first_deal_date=date(2024, 7, 15),
    target=100_000,
    booked_revenue=60_000,
)


def lines_for(*people, period=Q3_2024, paid=frozenset(), **settings):
    return MentorAward.calculate(
        facts(*people, period=period),
        settings_for(MentorAward, **settings),
        context(paid_once_keys=frozenset(paid)),
    )


def summary(lines):
    return [(line.person_id, line.component, line.amount) for line in lines]


def test_a_first_deal_pays_the_mentor_bole_and_the_newcomer_1000_icebreaker():
    assert summary(lines_for(MENTOR, NEWCOMER)) == [
        (2, "icebreaker", Decimal("1000.00")),
        (1, "bole", Decimal("1000.00")),
    ]


def test_each_award_carries_a_once_key_and_is_not_paid_twice():
    first = lines_for(MENTOR, NEWCOMER)
    assert {line.once_key for line in first} == {"icebreaker:2", "bole:2"}
    again = lines_for(MENTOR, NEWCOMER, paid={"icebreaker:2", "bole:2"})
    assert summary(again) == [(2, "", Decimal("0.00"))]
    assert "paid once" in again[0].explanation.plain_text()


def test_the_award_is_paid_only_in_the_period_of_the_first_deal():
    august = PeriodInfo("2024-08", "month", date(2024, 8, 1), date(2024, 8, 31))
    assert lines_for(MENTOR, NEWCOMER, period=JULY_2024) != []
    assert summary(lines_for(MENTOR, NEWCOMER, period=august)) == [(2, "", Decimal("0.00"))]


def test_a_first_deal_after_the_newcomer_months_pays_nothing():
    late = person(2, hire_date=date(2023, 1, 1), mentor_id=1, first_deal_date=date(2024, 7, 15))
    assert lines_for(late) == []


def test_without_a_mentor_only_the_newcomer_is_paid():
    alone = person(2, hire_date=date(2024, 5, 6), first_deal_date=date(2024, 7, 15))
    assert summary(lines_for(alone)) == [(2, "icebreaker", Decimal("1000.00"))]


def test_reaching_target_within_three_months_of_hire_pays_both_a_training_fund():
    hired_june = person(
        2, hire_date=date(2024, 6, 1), mentor_id=1, target=100_000, booked_revenue=100_000
    )
    july = summary(lines_for(MENTOR, hired_june, period=JULY_2024))
    assert july == [
        (2, "training_fund_newcomer", Decimal("2000.00")),
        (1, "training_fund_mentor", Decimal("2000.00")),
    ]
    # Q3 ends 30 September, after 1 September (hire + 3 months): too late.
    late = lines_for(MENTOR, hired_june, period=Q3_2024)
    assert summary(late) == [(2, "", Decimal("0.00"))]
    assert "the training fund needs 100 % by 2024-09-01" in late[0].explanation.plain_text()
    paid_before = lines_for(
        MENTOR,
        hired_june,
        period=JULY_2024,
        paid={"training_fund:newcomer:2", "training_fund:mentor:2"},
    )
    assert summary(paid_before) == [(2, "", Decimal("0.00"))]


def test_an_award_set_to_zero_is_off():
    assert summary(lines_for(MENTOR, NEWCOMER, bole_amount="0")) == [
        (2, "icebreaker", Decimal("1000.00"))
    ]
