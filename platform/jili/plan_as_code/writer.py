"""A tenant dict as TOML text, in a fixed layout.

A small writer rather than ``tomli_w.dumps`` so the layout is fixed: the
sections in a reading order, every list of records as ``[[array]]`` blocks
(tomli_w inlines short ones, which moves them above [tenant]), a version's
eligibility and settings as sub-tables. Values are formatted by tomli_w.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tomli_w

from jili.plan_as_code.schema import HEADER

LINE = 100
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBTABLES = {"eligibility", "settings"}  # dicts written as [a.b] tables
_ARRAYS_OF_TABLES = {"versions"}  # nested lists of records written as [[a.b]]


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _inline(k)


def _inline(v: Any) -> str:
    """One TOML value on one line."""
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    return tomli_w.dumps({"v": v})[len("v = ") :].rstrip("\n")


def _assignment(k: str, v: Any) -> str:
    line = f"{_key(k)} = {_inline(v)}"
    if len(line) <= LINE or not isinstance(v, list | tuple) or not v:
        return line
    return f"{_key(k)} = [\n" + "".join(f"    {_inline(x)},\n" for x in v) + "]"


def _table(name: str, table: Mapping[str, Any], aot: bool, out: list[str]) -> None:
    out.append("")
    out.append(f"[[{name}]]" if aot else f"[{name}]")
    later = []
    for k, v in table.items():
        if isinstance(v, Mapping) and (k in _SUBTABLES or len(_assignment(k, v)) > LINE):
            later.append((k, v, False))
        elif isinstance(v, list) and k in _ARRAYS_OF_TABLES:
            later.append((k, v, True))
        else:
            out.append(_assignment(k, v))
    for k, v, is_aot in later:
        if is_aot:
            for item in v:
                _table(f"{name}.{_key(k)}", item, True, out)
        else:
            _table(f"{name}.{_key(k)}", v, False, out)


def dumps(data: Mapping[str, Any]) -> str:
    """A tenant dict (as :func:`export_tenant` makes it) as TOML text."""
    out = [HEADER.rstrip("\n"), ""]
    for k, v in data.items():
        if not isinstance(v, Mapping | list):
            out.append(_assignment(k, v))
    for k, v in data.items():
        if isinstance(v, Mapping):
            _table(_key(k), v, False, out)
        elif isinstance(v, list):
            for item in v:
                _table(_key(k), item, True, out)
    return "\n".join(out) + "\n"
