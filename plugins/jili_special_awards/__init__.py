"""Built-in scheme: special awards (专项奖励)."""

from jili import hookimpl

from .scheme import SpecialAwards

__all__ = ["SpecialAwards"]


@hookimpl
def jili_scheme_types():
    return [SpecialAwards]
