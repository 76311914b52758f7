"""Built-in scheme: performance bonus (绩效奖金)."""

from jili import hookimpl

from .scheme import PerformanceBonus

__all__ = ["PerformanceBonus"]


@hookimpl
def jili_scheme_types():
    return [PerformanceBonus]
