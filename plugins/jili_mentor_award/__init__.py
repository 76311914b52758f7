"""Built-in scheme: mentor award (师徒制 / 伯乐奖)."""

from jili import hookimpl

from .scheme import MentorAward

__all__ = ["MentorAward"]


@hookimpl
def jili_scheme_types():
    return [MentorAward]
