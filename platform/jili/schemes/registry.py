"""The plugin manager and the registry of scheme types.

Built-in schemes are registered from an explicit tuple (like pytest's
``default_plugins``), third-party ones from the entry-point group
``jili.schemes``. The registry is built once per process; a tenant's enabled
set only filters what it sees (:meth:`SchemeRegistry.available`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pluggy

from jili import hookspecs
from jili.schemes.base import SchemeType, check_scheme_type

BUILTIN_PLUGINS: tuple[str, ...] = (
    "jili_tiered_commission",
    "jili_excess_pool",
    "jili_mentor_award",
    "jili_profit_sharing",
    "jili_performance_bonus",
    "jili_special_awards",
)
ENTRY_POINT_GROUP = "jili.schemes"
HOOK_PREFIX = "jili_"


class SchemeRegistrationError(RuntimeError):
    """A plugin provides something unusable (duplicate key, not a SchemeType…)."""


class JiliPluginManager(pluggy.PluginManager):
    """A plugin manager for which any routine named ``jili_*`` in a plugin is a
    hook implementation, marked or not; together with ``check_pending()`` a
    misspelt hook name fails at start-up instead of being ignored."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin, name: str):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX):
            if inspect.isroutine(inspect.getattr_static(plugin, name, None)):
                opts = {
                    "wrapper": False,
                    "hookwrapper": False,
                    "optionalhook": False,
                    "tryfirst": False,
                    "trylast": False,
                    "specname": None,
                }
        return opts


def make_plugin_manager(
    *,
    builtins: Iterable[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
    extra_plugins: Iterable[object] = (),
) -> JiliPluginManager:
    """A plugin manager with the built-ins, the installed entry points and
    ``extra_plugins`` (tests) registered; fails loudly on an unknown hook."""
    pm = JiliPluginManager()
    for module_name in builtins:
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin, name=getattr(plugin, "__name__", None))
    pm.check_pending()
    return pm


@dataclass(frozen=True, slots=True)
class SchemeOrigin:
    """Where a scheme type came from: ``kind`` is ``"built-in"``,
    ``"entry point"`` or ``"registered"`` (added in code, e.g. a test);
    ``distribution`` is ``"name version"`` for an entry point."""

    plugin: str
    kind: str
    distribution: str = ""


class SchemeRegistry:
    """Every scheme type of the process, by key, with its origin."""

    def __init__(self, pm: pluggy.PluginManager, builtins: Iterable[str] = BUILTIN_PLUGINS):
        builtin_names = set(builtins)
        dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
        self.plugin_manager = pm
        self._types: dict[str, type[SchemeType]] = {}
        self._origins: dict[str, SchemeOrigin] = {}
        for impl in pm.hook.jili_scheme_types.get_hookimpls():
            name = impl.plugin_name
            if name in builtin_names:
                origin = SchemeOrigin(name, "built-in")
            elif id(impl.plugin) in dists:
                dist = dists[id(impl.plugin)]
                origin = SchemeOrigin(name, "entry point", f"{dist.project_name} {dist.version}")
            else:
                origin = SchemeOrigin(name, "registered")
            for scheme in impl.function() or ():
                self._add(scheme, origin)

    def _add(self, scheme: type[SchemeType], origin: SchemeOrigin) -> None:
        try:
            check_scheme_type(scheme)
        except TypeError as exc:
            raise SchemeRegistrationError(f"plugin {origin.plugin!r}: {exc}") from exc
        if scheme.key in self._types:
            other = self._origins[scheme.key].plugin
            raise SchemeRegistrationError(
                f"scheme key {scheme.key!r} from plugin {origin.plugin!r} is already "
                f"registered by {other!r}"
            )
        self._types[scheme.key] = scheme
        self._origins[scheme.key] = origin

    def all(self) -> dict[str, type[SchemeType]]:
        """Every registered scheme type, by key, in key order."""
        return {k: self._types[k] for k in sorted(self._types)}

    def get(self, key: str) -> type[SchemeType] | None:
        """The scheme type for ``key``, or None when it is not installed (any
        more): callers show such plans as unavailable."""
        return self._types.get(key)

    def origin(self, key: str) -> SchemeOrigin:
        return self._origins[key]

    def available(self, enabled_keys: Iterable[str]) -> dict[str, type[SchemeType]]:
        """The scheme types a tenant with ``enabled_keys`` may use: installed
        and enabled. Enabled keys that are not installed are left out."""
        enabled = set(enabled_keys)
        return {k: v for k, v in self.all().items() if k in enabled}


@cache
def get_registry() -> SchemeRegistry:
    """The process-wide registry (built-ins + entry points), built once."""
    return SchemeRegistry(make_plugin_manager())


def available_schemes(enabled_keys: Iterable[str]) -> dict[str, type[SchemeType]]:
    """Shortcut: the process registry filtered by a tenant's enabled keys."""
    return get_registry().available(enabled_keys)
