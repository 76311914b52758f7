"""Alerts' pages: the alerts one may see, an alert with its improvement plan, the rules."""

from jili.alerts.views import alerts, plans, rules  # noqa: F401  (pages)
