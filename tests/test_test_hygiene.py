"""The tests' own rules, read from their source (AST): a test module imports no other test
module (shared helpers live in conftest, ``*_support`` and ``*_fixtures`` modules), and nothing
sleeps a fixed time except the bounded poller and fakes that play a slow peer."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# (module, enclosing function) -> why a fixed sleep is the behaviour under test, not a wait.
SLEEP_ALLOWED = {
    ("waiting_support.py", "wait_until"): "the one bounded poll between checks of a condition",
    ("client_fault_server.py", "answer"): "plays a server that answers late (/slow)",
    ("request_log_support.py", "pipe"): "plays S3 that answers late through a slow proxy",
    ("test_server_gateway.py", "slow"): "plays a Lambda slower than the integration timeout",
}


def _modules() -> list[Path]:
    return sorted(TESTS.glob("*.py"))


def _imported_test_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n.split(".")[-1].startswith("test_") and "tests" in n.split(".")]


def _sleeps(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, enclosing function) of every ``time.sleep(...)`` or bare ``sleep(...)`` call."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef) else function
            if isinstance(child, ast.Call):
                callee = child.func
                qualified = (
                    isinstance(callee, ast.Attribute)
                    and callee.attr == "sleep"
                    and isinstance(callee.value, ast.Name)
                    and callee.value.id in ("time", "asyncio")
                )
                if qualified or (isinstance(callee, ast.Name) and callee.id == "sleep"):
                    found.append((child.lineno, function))
            visit(child, inner)

    visit(tree, "<module>")
    return found


def test_no_test_module_imports_another_test_module() -> None:
    offenders = {
        path.name: imported
        for path in _modules()
        if (imported := _imported_test_modules(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}, "move shared helpers to conftest.py or a *_support.py module"


def test_no_fixed_sleep_outside_the_poller_and_slow_fakes() -> None:
    offenders = [
        f"{path.name}:{line} in {function}()"
        for path in _modules()
        for line, function in _sleeps(ast.parse(path.read_text(encoding="utf-8")))
        if (path.name, function) not in SLEEP_ALLOWED
    ]
    assert offenders == [], "wait for the condition with tests.waiting_support.wait_until"


def test_the_checks_see_what_they_forbid() -> None:
    """The two readers find an offence planted in source text (they are not vacuous)."""
    planted = ast.parse(
        "import time\nfrom tests.test_schema import x\n\ndef f():\n    time.sleep(1)\n"
    )
    assert _imported_test_modules(planted) == ["tests.test_schema"]
    assert _sleeps(planted) == [(5, "f")]


def test_ports_handed_to_two_workers_never_meet_and_never_repeat() -> None:
    """CI lost a run to two xdist workers handed the same port by the OS (bind to port 0, close,
    start a server later): one server's health check was answered by the other worker's server,
    which then stopped. Each worker now draws from its own slice below the OS's ephemeral range."""
    from tests.browser_support import ephemeral_range, free_port

    first = [free_port(worker="gw0") for _ in range(500)]
    second = [free_port(worker="gw1") for _ in range(500)]
    assert len(set(first)) == len(first) and len(set(second)) == len(second)
    assert not set(first) & set(second)
    low, _ = ephemeral_range()
    assert max(first + second) < low  # the OS never hands these out for bind(0) or a client
