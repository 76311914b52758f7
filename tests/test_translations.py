"""The catalogues in platform/jili/translations: complete, not fuzzy, placeholders kept,
messages.pot in step with the sources, and the Traditional one really used.

When a test here fails after you added or changed a UI string: run
``make translations-update``, translate the new or fuzzy entries in the zh_Hans, zh_Hant
and en catalogues (en: msgstr = msgid), then ``make translations``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from jili import ROOT

TRANSLATIONS = Path(ROOT) / "platform" / "jili" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_Hans", "zh_Hant", "en")
NPLURALS = {"zh_Hans": 1, "zh_Hant": 1, "en": 2}
HINT = "run `make translations-update`, translate the entries in every catalogue, then `make translations`"

# %(name)s, %(n)d, %(v).2f … (named placeholders; every msgid here uses names)
NAMED = re.compile(r"%\((\w+)\)[-#0 +]?\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _po(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _ids(message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _strings(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _key(message) -> tuple[str | None, tuple[str, ...]]:
    return (message.context, _ids(message))


def _formats(text: str, names: set[str]) -> bool:
    """Whether ``text % {...}`` works, as gettext(text, **vars) and Jinja's newstyle
    ``_()`` do it (Jinja formats even without variables, so a lone % must be %%)."""
    try:
        text % {name: 1 for name in names}
    except (KeyError, ValueError, TypeError):
        return False
    return True


@pytest.fixture(scope="module", params=LOCALES)
def catalogue(request):
    return request.param, _read(_po(request.param), request.param)


def test_every_message_is_translated_and_not_fuzzy(catalogue):
    locale, cat = catalogue
    assert not cat.fuzzy, f"{locale}: the catalogue header is marked fuzzy"
    assert cat.num_plurals == NPLURALS[locale], f"{locale}: Plural-Forms is {cat.plural_forms}"
    problems = []
    for m in cat:
        if not m.id:
            continue
        strings = _strings(m)
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {m.id!r}")
        if m.pluralizable and len(strings) != cat.num_plurals:
            problems.append(f"{len(strings)} plural forms, want {cat.num_plurals}: {m.id!r}")
    assert not problems, f"{locale}: {HINT}\n  " + "\n  ".join(problems)


def test_placeholders_are_kept(catalogue):
    locale, cat = catalogue
    problems = []
    for m in cat:
        if not m.id or not any(_strings(m)):
            continue
        wanted = {name for msgid in _ids(m) for name in NAMED.findall(msgid)}
        # A msgid that does not format cleanly is not used as a format string
        # ("Rate (%)"), so its msgstr need not be one either.
        is_format = all(_formats(msgid, wanted) for msgid in _ids(m))
        for s in _strings(m):
            got = set(NAMED.findall(s))
            if "python-format" in m.flags and wanted - got:
                problems.append(f"{m.id!r}: msgstr lacks {sorted(wanted - got)}")
            if got - wanted:
                problems.append(f"{m.id!r}: msgstr has unknown {sorted(got - wanted)}")
            if is_format and not _formats(s, wanted):
                problems.append(f"{m.id!r}: msgstr {s!r} does not format (a lone % must be %%)")
    assert not problems, f"{locale}:\n  " + "\n  ".join(problems)


def test_catalogues_compile_cleanly(catalogue):
    """What `pybabel compile` (and so `make translations`) checks."""
    locale, cat = catalogue
    errors = [f"{m.id!r}: {'; '.join(map(str, errs))}" for m, errs in cat.check()]
    assert not errors, (
        f"{locale}: pybabel compile would fail.\n  "
        + "\n  ".join(errors)
        + "\nBabel reads '% o', '% u', '% s' … in a msgid as a placeholder"
        " ('Pool (% of profit)'); reword the source string ('Pool, percent of profit')."
    )


def _extract(tmp_path: Path, monkeypatch) -> Path:
    """Run the same extraction as `make translations-update` into a temp file."""
    makefile = (Path(ROOT) / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"pybabel extract ((?:.*\\\n)*.*)", makefile)
    assert recipe, "no `pybabel extract` line in the Makefile's translations-update target"
    keywords = re.findall(r"(?:^|\s)-k\s+(\S+)", recipe.group(1))
    assert keywords, "the Makefile's pybabel extract passes no -k keywords"
    out = tmp_path / "messages.pot"
    args = ["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(out)]
    for keyword in keywords:
        args += ["-k", keyword]
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run([*args, "."])
    return out


def test_pot_is_up_to_date_with_the_sources(tmp_path, monkeypatch):
    fresh = {_key(m) for m in _read(_extract(tmp_path, monkeypatch)) if m.id}
    committed = {_key(m) for m in _read(POT) if m.id}
    new = sorted(str(k[1][0]) for k in fresh - committed)
    gone = sorted(str(k[1][0]) for k in committed - fresh)
    assert not new and not gone, (
        f"messages.pot is out of date: {HINT}.\n"
        f"  In the sources, not in messages.pot: {new}\n"
        f"  In messages.pot, no longer in the sources: {gone}"
    )


def test_catalogues_are_updated_from_the_pot(catalogue):
    locale, cat = catalogue
    pot = {_key(m) for m in _read(POT) if m.id}
    po = {_key(m) for m in cat if m.id}
    assert po == pot, (
        f"{locale} is not updated from messages.pot: {HINT}.\n"
        f"  missing: {sorted(str(k[1][0]) for k in pot - po)}\n"
        f"  extra: {sorted(str(k[1][0]) for k in po - pot)}"
    )


def test_compiled_catalogues_are_current():
    for locale in LOCALES:
        po, mo = _po(locale), _po(locale).with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
            f"{mo.relative_to(ROOT)} is missing or older than its .po: run `make translations`"
        )


# --- the Traditional catalogue in use ---------------------------------------------------


def test_public_pages_in_traditional_chinese(client):
    hk = {"Accept-Language": "zh-HK,en;q=0.5"}
    login = client.get("/login", headers=hk).text
    assert "登入" in login and "密碼" in login and "電子郵件" in login
    assert "登录" not in login and "密码" not in login
    signup = client.get("/signup", headers={"Accept-Language": "zh-TW"}).text
    assert "註冊" in signup and "建立公司" in signup and "帳號" in signup
    assert 'lang="zh-Hant"' in signup


def test_tenant_pages_in_traditional_chinese(make_tenant, make_user, browser):
    from conftest import add_member

    tenant = make_tenant(slug="taipei", name="台北業務部")
    user = make_user(locale="zh_Hant")
    add_member(tenant, user, "owner")
    b = browser(user)
    people = b.get("/t/taipei/people", headers={"Accept-Language": "zh-CN"}).text
    assert "人員" in people and "員工編號" in people and "匯入 CSV / Excel" in people
    assert "人员" not in people and "工号" not in people
    home = b.get("/t/taipei/").text
    assert "稽核紀錄" in home and "考核期間" in home and "擁有者" in home
    periods = b.get("/t/taipei/periods").text
    assert "會計年度" in periods and "產生年度、季與月份期間" in periods
    account = b.get("/account").text
    assert "變更密碼" in account and "登出" in account
