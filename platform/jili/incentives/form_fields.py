"""A scheme's settings field by field, between the three shapes of value the
settings form handles (see :mod:`jili.incentives.forms`): stored settings → form
values (:func:`form_values`), a POSTed form → form values (:func:`parse_form`,
with the add/remove row buttons of :func:`apply_row_action`), and form values →
the raw dict ``validate_settings`` is given (:func:`to_raw`).

Input names: ``s.<field>`` for a single value (repeated for a list),
``s.<field>.<row>.<column>`` for a row of a record list or bands, and
``s.<field>.<row>.key`` / ``.value`` for a decimal map. Rows left entirely
blank are dropped, so a blank row at the end is how one adds a row without
JavaScript; the buttons named ``_row`` (``add:<field>``, ``remove:<field>:<i>``)
add or remove a row and re-render the form without saving.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from jili.schemes.settings import Field, RecordListField

PREFIX = "s."

# Widget kinds the generic form knows; any other kind is edited as JSON text.
SCALAR_KINDS = {"text", "decimal", "percent", "int", "choice"}
KNOWN_KINDS = SCALAR_KINDS | {
    "bool",
    "str_list",
    "id_list",
    "decimal_map",
    "keyed_map",
    "records",
    "bands",
}
MAP_KINDS = {"decimal_map", "keyed_map"}


def widget_kind(f: Field) -> str:
    """How the field is edited: its ``kind`` when the generic form knows it,
    ``"optional_decimal"`` for a number that may stay empty, else ``"json"``."""
    kind = getattr(f, "kind", "json")
    if isinstance(f, RecordListField):
        return "bands" if kind == "bands" else "records"
    if kind == "decimal" and type(f).__name__ == "OptionalDecimalField":
        return "optional_decimal"
    if kind == "decimal_map" and getattr(f, "keys", None):
        return "keyed_map"
    return kind if kind in KNOWN_KINDS else "json"


def id_list_target(f: Field) -> str | None:
    """What an id list refers to: ``"person"``, ``"team"`` or None (typed ids).

    A field may say so with a ``refers_to`` attribute; otherwise its name
    decides (``people``, ``person_ids``… → people; anything with ``team`` → teams).
    """
    target = getattr(f, "refers_to", None)
    if target in {"person", "team"}:
        return target
    name = f.name.lower()
    if "team" in name:
        return "team"
    if "person" in name or "people" in name or name in {"staff", "members", "employees"}:
        return "person"
    return None


def str_choice_labels(choices: Iterable[str]) -> list[tuple[str, Any]]:
    """The options of a list of strings with choices (levels in words)."""
    from jili.i18n import LEVEL_LABELS

    return [(c, LEVEL_LABELS.get(c, c)) for c in choices]


def key_label(key: str) -> Any:
    """The words for a fixed key of a map (a level: 新人, 骨干, 经理)."""
    from jili.i18n import LEVEL_LABELS

    return LEVEL_LABELS.get(key, key)


# --- stored → form values ---------------------------------------------------------


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_for_input(f: Field, value: Any) -> Any:
    kind = widget_kind(f)
    if kind == "bool":
        return bool(value) if not isinstance(value, str) else value.lower() in {"true", "on", "1"}
    if kind in {"str_list", "id_list"}:
        return [str(v) for v in value] if isinstance(value, list | tuple) else []
    if kind == "decimal_map":
        if not isinstance(value, Mapping):
            return []
        return [{"key": str(k), "value": _scalar_text(v)} for k, v in value.items()]
    if kind == "keyed_map":
        value = value if isinstance(value, Mapping) else {}
        keys = list(f.keys) + [str(k) for k in value if k not in f.keys]
        return [{"key": k, "value": _scalar_text(value.get(k))} for k in keys]
    if kind in {"records", "bands"}:
        rows = []
        for item in value if isinstance(value, list | tuple) else []:
            item = item if isinstance(item, Mapping) else {}
            rows.append({c.name: value_for_input(c, item.get(c.name)) for c in f.fields})
        return rows
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, default=str)
    return _scalar_text(value)


def form_values(fields: Iterable[Field], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The inputs' values for stored settings; a field missing from ``stored``
    (added to the scheme since) shows its default."""
    stored = stored or {}
    out = {}
    for f in fields:
        value = stored.get(f.name, None if f.required else f.default)
        out[f.name] = value_for_input(f, value)
    return out


# --- POSTed form → form values ----------------------------------------------------


def _rows_from(formdata, base: str) -> dict[int, dict[str, str]]:
    """``{row index: {column: value}}`` from inputs named ``<base>.<i>.<column>``."""
    pattern = re.compile(re.escape(base) + r"\.(\d+)\.(\w+)$")
    rows: dict[int, dict[str, Any]] = {}
    for name in formdata:
        m = pattern.match(name)
        if m:
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = formdata.get(name, "")
    return dict(sorted(rows.items()))


def _row_is_blank(row: Mapping[str, Any]) -> bool:
    return all((v is False) or (isinstance(v, str) and not v.strip()) for v in row.values())


def parse_form(fields: Iterable[Field], formdata) -> dict[str, Any]:
    """The form values from a POSTed form (a ``MultiDict``), blank rows dropped."""
    out: dict[str, Any] = {}
    for f in fields:
        name = PREFIX + f.name
        kind = widget_kind(f)
        if kind == "bool":
            out[f.name] = name in formdata and formdata.get(name) not in {"", "false", "off"}
        elif kind in {"str_list", "id_list"}:
            values = formdata.getlist(name)
            if len(values) == 1 and kind == "id_list":
                values = re.split(r"[\s,，;；]+", values[0])  # typed ids: "3, 5 8"
            elif len(values) == 1 and kind == "str_list" and getattr(f, "choices", None) is None:
                values = re.split(r"[\n,，;；]+", values[0])  # typed names, one per line
            out[f.name] = [v.strip() for v in values if v.strip()]
        elif kind in MAP_KINDS:
            rows = []
            for row in _rows_from(formdata, name).values():
                row = {"key": row.get("key", ""), "value": row.get("value", "")}
                if kind == "keyed_map" and not row["value"].strip():
                    continue  # a level left empty is absent
                if not _row_is_blank(row):
                    rows.append(row)
            out[f.name] = rows
        elif kind in {"records", "bands"}:
            rows = []
            for posted in _rows_from(formdata, name).values():
                row = {}
                for c in f.fields:
                    if widget_kind(c) == "bool":
                        row[c.name] = posted.get(c.name, "") not in {"", "false", "off"}
                    else:
                        row[c.name] = posted.get(c.name, "")
                if not _row_is_blank(row):
                    rows.append(row)
            out[f.name] = rows
        else:
            out[f.name] = formdata.get(name, "")
    return out


def apply_row_action(fields: Iterable[Field], values: dict[str, Any], action: str) -> bool:
    """Apply an ``add:<field>`` / ``remove:<field>:<i>`` button to the form
    values; returns whether it was one (then the form is shown again, unsaved)."""
    by_name = {f.name: f for f in fields}
    parts = (action or "").split(":")
    if len(parts) >= 2 and parts[1] in by_name:
        f = by_name[parts[1]]
        kind = widget_kind(f)
        rows = values.setdefault(f.name, [])
        if parts[0] == "add" and kind in {"decimal_map", "records", "bands"}:
            rows.append(blank_row(f))
            return True
        if parts[0] == "remove" and len(parts) == 3 and parts[2].isdigit():
            i = int(parts[2])
            if 0 <= i < len(rows):
                del rows[i]
            return True
    return False


def blank_row(f: Field) -> dict[str, Any]:
    if widget_kind(f) == "decimal_map":
        return {"key": "", "value": ""}
    return {c.name: (False if widget_kind(c) == "bool" else "") for c in f.fields}


# --- form values → raw ------------------------------------------------------------


def _raw_value(f: Field, value: Any, path: str, errors: dict[str, str]) -> Any:
    kind = widget_kind(f)
    if kind == "id_list":
        return [int(v) if re.fullmatch(r"\d+", v) else v for v in value]
    if kind in MAP_KINDS:
        raw: dict[str, Any] = {}
        for row in value:
            key = row["key"].strip()
            if key in raw:
                errors[f"{path}[{key}]"] = _("%(name)s is listed twice.", name=key)
            raw[key] = row["value"]
        return raw
    if kind in {"records", "bands"}:
        return [
            {c.name: _raw_value(c, row.get(c.name, ""), path, errors) for c in f.fields}
            for row in value
        ]
    if kind == "json":
        try:
            return json.loads(value) if isinstance(value, str) and value.strip() else value
        except ValueError:
            return value  # the field's own check says what is wrong
    return value


def to_raw(fields: Iterable[Field], values: Mapping[str, Any]) -> tuple[dict, dict[str, str]]:
    """The raw settings for ``validate_settings`` and the errors found before
    it (a name listed twice in a map)."""
    errors: dict[str, str] = {}
    raw = {f.name: _raw_value(f, values.get(f.name, ""), f.name, errors) for f in fields}
    return raw, errors
