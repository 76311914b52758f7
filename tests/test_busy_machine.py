"""The suite holds on a busy machine: nothing in it depends on wall-clock speed."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import settings

TESTS = Path(__file__).parent


def test_property_tests_have_no_deadline():
    assert settings.default.deadline is None


def _sources():
    for path in sorted(TESTS.rglob("*.py")):
        if path.name != Path(__file__).name:
            yield path, path.read_text()


def test_no_test_sets_a_deadline_or_sleeps_to_wait():
    offenders = [
        f"{path.relative_to(TESTS)}:{n}: {line.strip()}"
        for path, text in _sources()
        for n, line in enumerate(text.splitlines(), 1)
        if re.search(r"\bdeadline\s*=\s*(?!None\b)", line) or re.search(r"\bsleep\(", line)
    ]
    assert offenders == []
