"""A company's web address (slug) suggested from its name: pinyin for Chinese
characters (pypinyin), lower-case letters, digits and hyphens, free and not reserved."""

from __future__ import annotations

import re
import unicodedata

from pypinyin import lazy_pinyin
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import db

MAX = 40
HAN = "\u3400-\u9fff\uf900-\ufaff"  # CJK ideographs
RUNS = re.compile(f"[{HAN}]+|[^{HAN}]+")
#: Endings every company name has that make an address longer, not clearer.
FILLER = re.compile(r"(gufen)?(youxian)?(zeren)?(gongsi|jituan)$")


def _pinyin(run: str) -> str:
    """A run of Chinese characters as one pinyin word, like a Chinese domain name
    (华南贸易有限公司 → huananmaoyi), without the company-form ending."""
    return FILLER.sub("", "".join(lazy_pinyin(run)))


def slug_from_name(name: str) -> str:
    """``华南贸易有限公司`` → ``huananmaoyi``; ``Acme Sales`` → ``acme-sales``."""
    runs = RUNS.findall(name.strip())
    parts = [_pinyin(r) if re.match(f"[{HAN}]", r) else r for r in runs]
    if len("".join(parts).strip()) < 3:  # the name is little more than 有限公司
        parts = ["".join(lazy_pinyin(r)) for r in runs]
    ascii_text = unicodedata.normalize("NFKD", "-".join(parts)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX:
        cut = slug[:MAX]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-")


def suggest_slug(name: str, reserved: set[str]) -> str:
    """A free address from ``name`` (``-2``, ``-3``… when taken); "" when the name gives
    too little to build on."""
    base = slug_from_name(name)
    if len(base) < 3:
        return ""
    taken = set(db.session.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in taken or candidate in reserved:
        n += 1
        suffix = f"-{n}"
        candidate = base[: MAX - len(suffix)].rstrip("-") + suffix
    return candidate
