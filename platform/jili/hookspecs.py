"""The plugin contract: the hooks a Jili plugin may implement.

A plugin is a module (or any object) with functions marked ``@hookimpl``::

    from jili import hookimpl

    @hookimpl
    def jili_scheme_types():
        return [MyScheme]

Keep this module small. Every hook states what it receives and what it returns;
``tests/schemes/test_scheme_registry.py`` fails when one has no docstring. A
function named ``jili_*`` in a plugin that matches no hook here fails at
start-up (``check_pending``), so a misspelt hook is never silently ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from jili.schemes.base import SchemeType

PROJECT = "jili"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def jili_scheme_types() -> list[type[SchemeType]]:
    """Return the incentive scheme types this plugin provides.

    Receives nothing. Returns a list of :class:`jili.schemes.SchemeType`
    subclasses (the classes, not instances); an empty list is allowed. Called
    once per process when the scheme registry is built; every plugin's list is
    collected. Each type's ``key`` must be unique across all plugins, otherwise
    start-up fails. Which of them a tenant sees is decided later by the
    tenant's enabled set, not by this hook.
    """
