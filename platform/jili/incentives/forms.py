"""HTML forms for a scheme's settings, generated from its ``settings_fields``.

The same plan form serves every scheme: each :class:`~jili.schemes.settings.Field`
is rendered by its ``kind`` (label, help text, default, choices), the POSTed
form is read back into the *raw* dict that ``SchemeType.validate_settings``
accepts, and each ``SettingsError`` path (``bands[1].rate_pct``,
``region_coefficients[华东]``) is put back next to its field, row and column
with what the user typed kept.

Three shapes of value travel here:

- *stored*: the JSON a plan version keeps (what ``validate_settings`` returned);
- *form values*: what the inputs hold, as typed — strings, booleans, lists of
  strings, rows (``{"key", "value"}`` for a decimal map, ``{column: value}``
  for a record list or bands);
- *raw*: what ``validate_settings`` is given.

How each field is read and written is :mod:`jili.incentives.form_fields`; here
is the form object the templates render (:func:`build_form`, errors put back on
their field, row and column), how it is rendered, and how stored settings are
compared and shown.

A plugin may ship its own partial at
``<package>/templates/<package>/settings.html``; it gets the same ``form``
(:class:`SettingsForm`) and may reuse ``plans/_settings_macros.html``.
:func:`install_plugin_templates` chains the plugins' template folders after
the app's (a ``ChoiceLoader``), found with ``importlib.resources``.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import gettext as _
from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound
from jinja2.loaders import split_template_path
from markupsafe import Markup

from jili.i18n import looks_numeric, setting_value
from jili.incentives.form_fields import (
    PREFIX,
    blank_row,
    id_list_target,
    key_label,
    str_choice_labels,
    value_for_input,
    widget_kind,
)
from jili.schemes.settings import Field

GENERIC_TEMPLATE = "incentives/plans/_settings_form.html"


# --- the form object the templates render -----------------------------------------


@dataclass
class FieldState:
    """One setting in the form: its field, the typed value, its errors."""

    field: Field
    kind: str
    value: Any
    errors: list[str] = dc_field(default_factory=list)
    # rows: {"values": {...}, "errors": {column: message}, "row_errors": [...]}
    rows: list[dict[str, Any]] = dc_field(default_factory=list)
    options: list[tuple[Any, Any]] = dc_field(default_factory=list)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def input_name(self) -> str:
        return PREFIX + self.field.name

    @property
    def label(self) -> Any:
        return self.field.label

    @property
    def help_text(self) -> Any:
        return self.field.help_text

    @property
    def required(self) -> bool:
        return self.field.required

    @property
    def columns(self) -> list[Field]:
        return list(getattr(self.field, "fields", ()))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(r["errors"] or r["row_errors"] for r in self.rows)

    def chosen_labels(self) -> list[str]:
        """The labels of the chosen options (a choice, a list with choices, an id list)."""
        chosen = self.value if isinstance(self.value, list) else [self.value]
        chosen = {str(v) for v in chosen}
        return [str(label) for v, label in self.options if str(v) in chosen]

    def key_label(self, key: str) -> Any:
        return key_label(key)

    def column_kind(self, column: Field) -> str:
        return widget_kind(column)

    def column_choices(self, column: Field) -> list[tuple[Any, Any]]:
        return list(getattr(column, "choices", None) or ())


@dataclass
class SettingsForm:
    """The settings part of a plan form: one :class:`FieldState` per field,
    plus errors that belong to no field."""

    scheme: Any
    fields: list[FieldState]
    errors: list[str] = dc_field(default_factory=list)
    read_only: bool = False

    def __iter__(self):
        return iter(self.fields)

    def field(self, name: str) -> FieldState:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(f.has_errors for f in self.fields)


_ROW_PATH = re.compile(r"^(\d+)\](?:\.(\w+))?$")


def build_form(
    scheme,
    values: Mapping[str, Any],
    errors: Mapping[str, Any] | None = None,
    *,
    people: Iterable[tuple[int, str]] = (),
    teams: Iterable[tuple[int, str]] = (),
    read_only: bool = False,
) -> SettingsForm:
    """The form for ``scheme`` with ``values`` (form values) and ``errors``
    (SettingsError paths → messages) attached to their fields and rows.
    ``people``/``teams`` are the ``(id, label)`` options of id lists."""
    states = []
    by_name = {}
    options_for = {"person": list(people), "team": list(teams)}
    for f in scheme.settings_fields:
        kind = widget_kind(f)
        value = values.get(f.name, value_for_input(f, None if f.required else f.default))
        state = FieldState(field=f, kind=kind, value=value)
        if kind in {"decimal_map", "keyed_map", "records", "bands"}:
            if kind == "keyed_map":
                value = _all_keys(f, value)
            state.rows = [{"values": r, "errors": {}, "row_errors": []} for r in value]
        if kind == "choice":
            state.options = list(f.choices)
        elif kind == "str_list" and getattr(f, "choices", None) is not None:
            state.options = str_choice_labels(f.choices)
        elif kind == "id_list":
            state.options = options_for.get(id_list_target(f) or "", [])
        states.append(state)
        by_name[f.name] = state
    form = SettingsForm(scheme=scheme, fields=states, read_only=read_only)
    for path, message in (errors or {}).items():
        _attach(form, by_name, path, str(message))
    return form


def _all_keys(f: Field, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fixed key's row, in the field's order (a key left empty shows empty)."""
    given = {r["key"]: r for r in rows}
    keys = list(f.keys) + [k for k in given if k not in f.keys]
    return [given.get(k, {"key": k, "value": ""}) for k in keys]


def _attach(form: SettingsForm, by_name: dict[str, FieldState], path: str, message: str) -> None:
    name, _sep, rest = path.partition("[")
    state = by_name.get(name.split(".")[0] if not _sep else name)
    if state is None:
        form.errors.append(f"{path}: {message}" if path and path != "__all__" else message)
        return
    if not _sep:
        state.errors.append(message)
        return
    if state.kind in {"decimal_map", "keyed_map"}:
        key = rest[:-1] if rest.endswith("]") else rest
        for row in state.rows:
            if row["values"]["key"].strip() == key:
                row["errors"].setdefault("value", message)
                return
        state.errors.append(f"{key}: {message}")
        return
    m = _ROW_PATH.match(rest)
    if m and state.rows and int(m.group(1)) < len(state.rows):
        row = state.rows[int(m.group(1))]
        if m.group(2):
            row["errors"].setdefault(m.group(2), message)
        else:
            row["row_errors"].append(message)
        return
    state.errors.append(message)


def add_blank_rows(form: SettingsForm, count: int = 1) -> SettingsForm:
    """Give every table one (or ``count``) empty rows to type a new row into."""
    for state in form.fields:
        if state.kind in {"decimal_map", "records", "bands"}:
            for _i in range(count):
                state.rows.append(
                    {"values": blank_row(state.field), "errors": {}, "row_errors": []}
                )
    return form


# --- rendering --------------------------------------------------------------------


def plugin_package(scheme) -> str:
    """The top-level package a scheme type comes from (its templates' folder name)."""
    return scheme.__module__.split(".")[0]


def template_names(scheme) -> list[str]:
    pkg = plugin_package(scheme)
    return [f"{pkg}/settings.html", GENERIC_TEMPLATE]


def render_settings_form(form: SettingsForm) -> Markup:
    """The settings inputs: the plugin's own partial if it ships one, else the generic one."""
    names = template_names(form.scheme) if form.scheme is not None else [GENERIC_TEMPLATE]
    template = current_app.jinja_env.select_template(names)
    return Markup(render_template(template, form=form))


class PluginTemplateLoader(BaseLoader):
    """Templates named ``<package>/…`` from ``<package>/templates/`` of an
    installed scheme plugin (``importlib.resources``); only packages that
    provide a registered scheme type are looked at."""

    def get_source(self, environment, template):
        pieces = split_template_path(template)  # refuses ".." like FileSystemLoader
        if len(pieces) < 2 or pieces[0] not in _plugin_packages():
            raise TemplateNotFound(template)
        try:
            resource = importlib.resources.files(pieces[0]).joinpath("templates", *pieces)
            if not resource.is_file():
                raise TemplateNotFound(template)
            source = resource.read_text(encoding="utf-8")
        except (ModuleNotFoundError, OSError, TypeError):
            raise TemplateNotFound(template) from None
        return source, str(resource), lambda: True


def _plugin_packages() -> set[str]:
    from jili.schemes import registry

    return {plugin_package(s) for s in registry.get_registry().all().values()}


def install_plugin_templates(app: Flask) -> None:
    """Chain the plugins' template folders after the app's own templates."""
    loader = app.jinja_env.loader
    if not any(isinstance(x, PluginTemplateLoader) for x in getattr(loader, "loaders", ())):
        app.jinja_env.loader = ChoiceLoader([loader, PluginTemplateLoader()])


# --- reading and comparing stored settings ----------------------------------------


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """``{"bands[1].rate_pct": "1.8", "region_coefficients[华东]": "1.1", …}``:
    maps by key, lists of records by row and column, other values as they are."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            out.update(flatten(v, f"{path}[{k}]" if path else str(k)))
    elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        for i, row in enumerate(value):
            for k, v in row.items():
                out.update(flatten(v, f"{path}[{i}].{k}"))
    else:
        out[path] = list(value) if isinstance(value, tuple) else value
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class Change:
    """One changed setting: where (a readable label and the raw path), before, after."""

    path: str
    label: str
    before: Any
    after: Any


def settings_diff(scheme, before: Mapping | None, after: Mapping | None) -> list[Change]:
    """What changed between two stored settings, in field order, with labels
    from the scheme's fields (raw paths when the scheme is not installed)."""
    old, new = flatten(dict(before or {})), flatten(dict(after or {}))
    order = [f.name for f in scheme.settings_fields] if scheme is not None else []
    paths = sorted(
        (
            p
            for p in set(old) | set(new)
            if old.get(p) != new.get(p) and not (_empty(old.get(p)) and _empty(new.get(p)))
        ),
        key=lambda p: (_top_index(p, order), _natural(p)),
    )
    return [Change(p, describe_path(scheme, p), old.get(p), new.get(p)) for p in paths]


def _top_index(path: str, order: list[str]) -> int:
    top = re.split(r"[\[.]", path, maxsplit=1)[0]
    return order.index(top) if top in order else len(order)


def _natural(path: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def describe_path(scheme, path: str) -> str:
    """``bands[1].rate_pct`` → "Bands by attainment, row 2, Rate (%)"."""
    if scheme is None:
        return path
    fields = {f.name: f for f in scheme.settings_fields}
    name, sep, rest = path.partition("[")
    f = fields.get(name)
    if f is None:
        return path
    if not sep:
        return str(f.label)
    if widget_kind(f) == "decimal_map":
        return f"{f.label}: {rest.rstrip(']')}"
    if widget_kind(f) == "keyed_map":
        return f"{f.label}: {key_label(rest.rstrip(']'))}"
    m = _ROW_PATH.match(rest)
    if m is None:
        return f"{f.label} {rest}"
    parts = [str(f.label), _("row %(n)s", n=int(m.group(1)) + 1)]
    if m.group(2):
        column = {c.name: c for c in getattr(f, "fields", ())}.get(m.group(2))
        parts.append(str(column.label) if column is not None else m.group(2))
    return ", ".join(parts)


def display_value(value: Any) -> str:
    """A stored value as a short text (empty → "—", booleans as yes/no)."""
    if _empty(value):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if looks_numeric(value):
        return setting_value(value)  # grouped like money: 8,000
    return str(value)
