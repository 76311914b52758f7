"""The home pages and the login ↔ person links (routes on the tenant blueprint)."""

from jili.home.views import links, pages, switch, team_alerts  # noqa: F401  (register the routes)
