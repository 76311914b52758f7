"""Built-in scheme: excess pool (超额奖金池)."""

from jili import hookimpl

from .scheme import ExcessPool

__all__ = ["ExcessPool"]


@hookimpl
def jili_scheme_types():
    return [ExcessPool]
