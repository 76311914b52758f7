"""The house rules, checked: import contracts (import-linter, configured in
pyproject.toml) and rooms a reader takes in at one sitting."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'platform'}{os.pathsep}{tree / 'plugins'}")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_import_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each case: a file, a line that breaks a rule, and the contract that must say so.
BREAKS = {
    "plugin reaches the engine": (
        "plugins/jili_excess_pool/scheme.py",
        "from jili.incentives.engine import runs",
        "Scheme plugins import only jili.schemes",
    ),
    "tables import their pages": (
        "platform/jili/org/models.py",
        "from jili.org import views",
        "Inside each capability",
    ),
    "one capability's pages import another's": (
        "platform/jili/periods/views.py",
        "from jili.org import views as org_views",
        "No capability imports another capability's pages",
    ),
    "the anonymous pages learn who people are": (
        "platform/jili/feedback/public.py",
        "from jili.org.models import Person",
        "The anonymous feedback pages know nothing of who a user is",
    ),
    "plumbing knows a capability": (
        "platform/jili/money.py",
        "from jili.incentives import models",
        "Shared plumbing knows no capability",
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_contract_broken_on_purpose_fails(case, tmp_path):
    for part in ("platform", "plugins"):
        shutil.copytree(
            ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path, line, contract = BREAKS[case]
    target = tmp_path / path
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def _python_files():
    for part in ("platform", "plugins", "bench", "tests"):
        for path in sorted((ROOT / part).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path


def test_no_module_is_longer_than_one_sitting():
    long = []
    for path in _python_files():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them):\n" + "\n".join(long)


def test_no_function_is_longer_than_80_lines():
    long = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                length = node.end_lineno - start + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)
