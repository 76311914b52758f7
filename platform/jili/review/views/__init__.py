"""The period review's pages."""

from jili.review.views import pages  # noqa: F401  (pages)
