"""What the targets capability does, for its pages and for other capabilities.

The names below are the interface letters, adjustments and alerts code against.
"""

from jili.targets.services.core import (
    TargetError,
    TargetLine,
    TargetsPublished,
    change_target,
    is_published,
    published_targets,
    targets_version,
)
from jili.targets.services.progress import (
    Progress,
    person_progress,
    team_progress,
    working_days_between,
)

__all__ = [
    "Progress",
    "TargetError",
    "TargetLine",
    "TargetsPublished",
    "change_target",
    "is_published",
    "person_progress",
    "published_targets",
    "targets_version",
    "team_progress",
    "working_days_between",
]
