"""Alerts' services: rules, evaluation, improvement plans."""

from jili.alerts.services.evaluation import Outcome, evaluate
from jili.alerts.services.plans import PlanError, notify_late, status, submit
from jili.alerts.services.rules import (
    DEFAULT_RULES,
    RuleError,
    add_default_rules,
    create_rule,
    delete_rule,
    describe,
    rules_of,
    update_rule,
)

__all__ = [
    "DEFAULT_RULES",
    "Outcome",
    "PlanError",
    "RuleError",
    "add_default_rules",
    "create_rule",
    "delete_rule",
    "describe",
    "evaluate",
    "notify_late",
    "rules_of",
    "status",
    "submit",
    "update_rule",
]
