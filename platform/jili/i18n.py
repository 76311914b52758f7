"""Languages: zh_Hans, zh_Hant and en. A user's choice wins, then the browser's."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel import core as babel_core
from babel import numbers
from flask import Blueprint, Flask, g, has_request_context, redirect, request, session, url_for
from flask_babel import (
    format_date,
    format_datetime,
    get_domain,
    get_locale,
    get_translations,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from jili.extensions import babel, db

LANGUAGES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}

bp = Blueprint("i18n", __name__)


def match_accept_language(header_value) -> str | None:
    """Map the browser's languages onto ours: zh-TW/zh-HK/zh-MO/zh-Hant → zh_Hant."""
    for lang, _quality in header_value:
        tag = lang.replace("_", "-").lower()
        if tag.startswith("zh"):
            if any(part in tag for part in ("-tw", "-hk", "-mo", "-hant")):
                return "zh_Hant"
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return None


def select_locale() -> str:
    if not has_request_context():
        return "zh_Hans"
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    browser = match_accept_language(request.accept_languages)
    if browser:
        return browser
    tenant = getattr(g, "tenant", None)
    if tenant is not None and tenant.locale in LANGUAGES:
        return tenant.locale
    return "zh_Hans"


def select_timezone() -> str:
    if not has_request_context():
        return "Asia/Shanghai"
    tenant = getattr(g, "tenant", None)
    return tenant.timezone if tenant is not None else "Asia/Shanghai"


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    """``amount`` as Babel's ``format_currency`` writes it in the reader's
    language, to the character, through a formatter kept per language and
    currency (:func:`money_formatter`): a long list of amounts costs microseconds
    each, not a Babel pattern walk each."""
    if amount is None:
        return ""
    if currency is None:
        tenant = getattr(g, "tenant", None)
        currency = tenant.currency if tenant is not None else "CNY"
    return _formatter(get_locale(), currency)(amount)


@functools.lru_cache(maxsize=256)
def _formatter(locale, currency: str):
    """:func:`money_formatter` by the request's Locale object (not its name, which
    Babel spells out anew on each call)."""
    return money_formatter(str(locale), currency)


@functools.lru_cache(maxsize=256)
def money_formatter(locale: str, currency: str):
    """A function formatting an amount exactly as ``numbers.format_currency(amount,
    currency, locale=locale)`` does: the same steps (sign apart, normalised,
    quantised to the currency's digits in the current decimal context, grouped)
    with the pattern's pieces, symbols and currency sign looked up once. Patterns
    outside the plain ``¤#,##0.00`` family (other groupings, padding, scaling,
    significant digits, quotes anywhere, which Babel strips from the result) are
    left to Babel."""
    pattern = babel_core.Locale.parse(locale).currency_formats["standard"]
    symbol = numbers.get_currency_symbol(currency, locale)
    group = numbers.get_group_symbol(locale)
    point = numbers.get_decimal_symbol(locale)
    pieces = (*pattern.prefix, *pattern.suffix, symbol, group, point)
    plain = (
        pattern.grouping == (3, 3)
        and pattern.int_prec[0] <= 1
        and not pattern.scale
        and not pattern.exp_prec
        and "@" not in pattern.pattern
        and pattern.number_pattern != ""
        and not any("'" in piece or "¤¤" in piece for piece in pieces)
    )

    def slow(amount) -> str:
        return numbers.format_currency(amount, currency, locale=locale)

    if not plain:
        return slow
    digits = numbers.get_currency_precision(currency)
    quantum = numbers.get_decimal_quantum(digits)
    prefix = tuple(p.replace("¤", symbol) for p in pattern.prefix)
    suffix = tuple(s.replace("¤", symbol) for s in pattern.suffix)
    swap = str.maketrans({",": group, ".": point}) if (group, point) != (",", ".") else None

    def fast(amount) -> str:
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
            negative = int(value.is_signed())
            value = abs(value).normalize()
            if not value.is_finite():
                return slow(amount)
            text = f"{value.quantize(quantum):,f}"
        except (InvalidOperation, ValueError, TypeError):
            return slow(amount)  # Babel's own answer (or its own error)
        if swap is not None:
            text = text.translate(swap)
        return prefix[negative] + text + suffix[negative]

    return fast


NUMERIC_KINDS = frozenset({"decimal", "optional_decimal", "percent", "int"})


def format_number(value, places: int | None = None) -> str:
    """A number as money is shown, with thousands separators (``480000`` →
    ``480,000``, ``8000.5`` → ``8,000.5``): its own decimals without trailing
    zeros, or exactly ``places`` of them. All three languages group by
    thousands with a comma. Anything that is not a number is shown as it is."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places)):,.{places}f}"
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def looks_numeric(value) -> bool:
    """A stored number (``8000``, ``"8000.50"``, ``-3``), not an id like ``"007"``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    return isinstance(value, str) and re.fullmatch(r"-?(0|[1-9]\d*)(\.\d+)?", value) is not None


def setting_value(value, kind: str | None = None):
    """A plan setting's value for reading: numbers grouped like money."""
    if kind is not None and kind not in NUMERIC_KINDS:
        return value
    if not looks_numeric(value):
        return value
    # As typed: "2.0" stays 2.0 (grouped), a stored Decimal keeps its places.
    text = value if isinstance(value, str) else str(value)
    return format_number(value, len(text.split(".")[1]) if "." in text else None)


def format_any_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    if isinstance(value, date):
        return format_date(value, "medium")
    return str(value)


def _value(v) -> str:
    return getattr(v, "value", v)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = request.form.get("next") or request.referrer or url_for("auth.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("auth.home")
    return redirect(target)


@functools.lru_cache(maxsize=64)
def _translations_for(locale, domain):
    return domain.get_translations()  # for get_locale(), which is ``locale``


def _translations():
    """The current translations in one cached lookup by (locale, domain): what
    flask_babel's template callables find by walking the context, the domain and
    the locale's name again for every string of every template. ``force_locale``
    and ``refresh`` still apply: they change what ``get_locale`` returns."""
    locale = get_locale()
    if locale is None:  # outside a request: flask_babel's own answer
        return get_translations()
    return _translations_for(locale, get_domain())


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.register_blueprint(bp)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["date"] = format_any_date
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["setting"] = setting_value
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["role_label"] = lambda v: ROLE_LABELS[_value(v)]
    app.jinja_env.globals["level_label"] = lambda v: LEVEL_LABELS[_value(v)]
    app.jinja_env.globals["status_label"] = lambda v: STATUS_LABELS[_value(v)]
    app.jinja_env.globals["kind_label"] = lambda v: KIND_LABELS[_value(v)]
    app.jinja_env.globals["award_kind_label"] = award_kind_label
    app.jinja_env.filters["reject_key"] = lambda d, key: {k: v for k, v in d.items() if k != key}

    @app.context_processor
    def _locale():
        return {"current_locale": str(get_locale())}


ROLE_LABELS = {
    "owner": _l("Owner"),
    "admin": _l("Admin"),
    "consultant": _l("Consultant"),
    "manager": _l("Manager"),
    "hr": _l("HR / finance"),
    "staff": _l("Sales staff"),
}
LEVEL_LABELS = {"newcomer": _l("Newcomer"), "core": _l("Core"), "manager": _l("Manager")}
STATUS_LABELS = {
    "open": _l("Open"),
    "calculated": _l("Calculated"),
    "published": _l("Published"),
    "closed": _l("Closed"),
}
KIND_LABELS = {
    "year": _l("Year"),
    "quarter": _l("Quarter"),
    "month": _l("Month"),
    "week": _l("Week"),
    "region": _l("Region"),
    "group": _l("Group"),
}

# One-off award kinds that come with Jili: their key, and the English name a plan
# stores by default (what a plan's settings hold is data, so the default name is
# translated only while it is unchanged).
AWARD_KINDS = {
    "strategic_client": ("Strategic client signed", _l("Strategic client signed")),
    "monthly_champion": ("Monthly champion", _l("Monthly champion")),
    "million_club": ("Million club", _l("Million club")),
    "best_collaboration": ("Best collaboration group", _l("Best collaboration group")),
    "innovation": ("Innovation", _l("Innovation")),
}


def award_kind_label(key: str, label: str | None = None) -> str:
    """An award kind in the reader's language: a plan's own name as typed, a
    built-in kind's default name translated, never the bare key when avoidable."""
    default = AWARD_KINDS.get(key)
    if default is not None and (not label or label == default[0]):
        return str(default[1])
    if label:
        return label
    return key.replace("_", " ")
