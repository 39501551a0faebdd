"""The direction of imports the design promises, read from the code's import statements (not its
text): gui → assistant → {listener, actions} → {intents, asr}; nothing below app/gui imports Qt;
the listener and the actions never import each other; actions use nothing of asr/ but its errors
and settings."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def offenders(package: str, forbidden: tuple[str, ...],
              allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports(path):
            if name.startswith(forbidden) and not name.startswith(allowed):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_nothing_below_the_gui_imports_qt() -> None:
    for package in ("asr", "intents", "app/listener", "app/assistant", "app/actions"):
        assert offenders(package, ("PySide6", "shiboken6")) == [], package


def test_actions_never_import_the_recogniser_or_the_listener() -> None:
    assert offenders("app/actions", ("asr",), ("asr.errors", "asr.settings")) == []
    assert offenders("app/actions", ("app.listener", "app.assistant", "app.gui")) == []


def test_the_listener_never_imports_actions_or_the_assistant() -> None:
    assert offenders("app/listener", ("app.actions", "app.assistant", "app.gui")) == []


def test_asr_and_intents_never_import_the_app() -> None:
    assert offenders("asr", ("app", "intents")) == []
    assert offenders("intents", ("app",)) == []
