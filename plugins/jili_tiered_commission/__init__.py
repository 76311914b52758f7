"""Built-in scheme: tiered commission (阶梯提成)."""

from jili import hookimpl

from .scheme import TieredCommission

__all__ = ["TieredCommission"]


@hookimpl
def jili_scheme_types():
    return [TieredCommission]
