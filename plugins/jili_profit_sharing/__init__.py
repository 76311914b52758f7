"""Built-in scheme: profit sharing (利润分红)."""

from jili import hookimpl

from .scheme import ProfitSharing

__all__ = ["ProfitSharing"]


@hookimpl
def jili_scheme_types():
    return [ProfitSharing]
