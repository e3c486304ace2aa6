"""Real-browser test support: run `streamlit run app.py` on a free port and drive Debian's Chromium.

Reusable by every page's browser tests::

    from tests.browser_support import StreamlitServer, chromium_browser, screenshot

    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        with chromium_browser() as browser:
            page = browser.new_page()
            page.goto(server.url)
            page.get_by_text("Avaliar notebook usado").wait_for()
            screenshot(page, "estimate-empty")

A missing Chromium is a failure with instructions, never a skip: `make test` provisions it first
(``scripts/provision-test-os.sh``: Debian's package, else Playwright's own build).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from laptop_pricing.settings import KEYS, env_name
from tests.waiting_support import wait_until

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "artifacts"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", DEBIAN_CHROMIUM)
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Every setting (derived from settings.KEYS, so a new key is scrubbed too) would point a test
# app at a developer's deployment; tests start from a clean slate.
SETTINGS_ENV = frozenset(env_name(key) for key in KEYS)


PORTS_FROM = 12000  # below the OS's ephemeral range, above the well-known services
MAX_WORKERS = 8
_ports_handed: dict[str, int] = {}


def ephemeral_range() -> tuple[int, int]:
    """The ports the OS hands out for ``bind(0)`` and client connections (Linux's setting)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(worker: str | None = None) -> int:
    """A port nobody listens on now and no other test worker will be handed.

    Asking the OS (bind to port 0, close) raced: two xdist workers were handed the same port, and
    one server's health check was answered by the other worker's. Each worker (``gw0``, ``gw1``…)
    draws in turn from its own slice below the ephemeral range, skipping a port in use.
    """
    worker = worker or os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0) % MAX_WORKERS
    size = (min(ephemeral_range()[0], 32768) - PORTS_FROM) // MAX_WORKERS
    start = PORTS_FROM + index * size
    for _ in range(size):
        handed = _ports_handed.get(worker, 0)
        _ports_handed[worker] = handed + 1
        port = start + handed % size
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}..{start + size - 1} for worker {worker}")


class StreamlitServer:
    """`streamlit run <script>` in a subprocess on 127.0.0.1 and a free port.

    ``env`` is laid over a copy of the environment from which the app's settings were removed,
    so a developer's own API_ENDPOINT never leaks into a test. Output goes to
    ``artifacts/streamlit-<port>.log`` so a failing test can be diagnosed.
    """

    def __init__(
        self,
        script: str = "app.py",
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO_ROOT,
        startup_timeout: float = 60.0,
        secrets_file: Path | None = None,
        port: int | None = None,
    ):
        """``secrets_file``: read the secrets from that file only (not .streamlit/secrets.toml).
        ``port``: a fixed port, e.g. to restart a server where a sign-in cookie is valid."""
        self.script = script
        self.secrets_file = secrets_file
        self.cwd = Path(cwd)
        self.startup_timeout = startup_timeout
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
        self.env.update(env or {})
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS_DIR / f"streamlit-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> StreamlitServer:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
            "--global.developmentMode=false",
        ]
        if self.secrets_file is not None:
            command.append(f"--secrets.files={self.secrets_file}")
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        health = f"{self.url}/_stcore/health"

        def serving() -> bool:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {self._process.returncode}:\n{self.output()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        if wait_until(serving, self.startup_timeout, 0.2):
            return
        self.stop()
        raise RuntimeError(f"streamlit did not serve {health} in time:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium build, when `playwright install chromium` has fetched it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def require_chromium() -> str:
    """The Chromium binary; fails (does not skip) with what to do when it is absent.

    CHROMIUM_PATH when set, else Debian's package, else the build `playwright install` fetched
    (what ``scripts/provision-test-os.sh`` falls back to without apt rights).
    """
    if Path(CHROMIUM_PATH).is_file() or shutil.which(CHROMIUM_PATH):
        return CHROMIUM_PATH
    if "CHROMIUM_PATH" not in os.environ and (fallback := _playwright_chromium()):
        return fallback
    pytest.fail(
        f"Chromium not found at {CHROMIUM_PATH}. Browser tests must run: `make test` installs "
        "it (scripts/provision-test-os.sh), or `sudo apt-get install -y chromium`, or set "
        "CHROMIUM_PATH to a Chromium binary.",
        pytrace=False,
    )


@contextlib.contextmanager
def chromium_browser() -> Iterator[object]:
    """A headless Chromium launched by Playwright (``playwright install`` cannot run here)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def serving_log(folder: Path) -> Iterator[tuple[StreamlitServer, object]]:
    """The app on the log in ``folder`` and a Chromium, for a module's tests to share: each
    test opens its own page, a session of its own."""
    with (
        StreamlitServer(env={"PREDICTIONS_DIR": str(folder)}) as server,
        chromium_browser() as browser,
    ):
        yield server, browser


def screenshot(page: object, name: str, full_page: bool = True) -> Path:
    """Save a PNG under artifacts/ (kept by CI as a test artifact) and return its path."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path


def overlaps(a: dict, b: dict) -> bool:
    """Two bounding boxes (x, y, width, height in page pixels) share some area."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def wait_for_app_idle(page: object, timeout_ms: int = 90_000) -> None:
    """Wait until the rerun a click triggered (if any) has finished.

    Streamlit marks the app ``data-test-script-state="running"`` while the script runs; a rerun
    starts a few milliseconds after the click, so give it up to a second to start. The generous
    limit is for a year of data on 2 cores shared with other work (30 s timed out in a full run
    under load); a healthy rerun takes a second or two.
    """
    app = '[data-testid="stApp"]'
    with contextlib.suppress(Exception):
        page.wait_for_selector(  # type: ignore[attr-defined]
            f'{app}[data-test-script-state="running"]', timeout=1_000
        )
    page.wait_for_selector(  # type: ignore[attr-defined]
        f'{app}[data-test-script-state="notRunning"]', timeout=timeout_ms
    )
    # Elements of the run before stay drawn faded ("stale") until the new run replaces or
    # drops them; axe reads a faded element as low contrast, a screenshot as greyed out.
    page.wait_for_function(  # type: ignore[attr-defined]
        '() => !document.querySelector(\'[data-testid="stElementContainer"][data-stale="true"]\')',
        timeout=timeout_ms,
    )


# The trade-in flow, shared by the browser tests of the estimate page

ANSWERS = {
    "powers_on": "Sim",
    "screen": "Riscos leves",
    "body": "Marcas de uso",
    "keyboard_ports": "Tudo funciona",
    "battery": "Dura pouco",
    "charger": "Não",
    "locks_removed": "Sim",
}


# The laptop the flow tests price: the fields the form leaves for the clerk, by their labels.
LAPTOP = {
    "field_brand": "Dell",
    "field_processor_brand": "Intel",
    "field_processor_name": "Core i5",
    "field_ram_gb": "8 GB",
    "field_ssd": "256 GB",
}


def choose(page, key: str, option: str) -> None:
    """Pick an option of a selectbox or radio found by its widget key, as a clerk would."""
    widget = page.locator(f".st-key-{key}")
    widget.locator('[data-testid="stSelectbox"], [data-testid="stRadio"]').wait_for(timeout=30_000)
    if widget.locator('[data-testid="stSelectbox"]').count():
        combobox = widget.get_by_role("combobox")
        combobox.scroll_into_view_if_needed()
        combobox.click()
        combobox.fill(option)  # typed, as a clerk would: the list shows that option
        page.get_by_role("option", name=option, exact=True).click()
    else:
        widget.get_by_text(option, exact=True).click()
    wait_for_app_idle(page)


def choose_laptop(page, choices=LAPTOP) -> None:
    for key, option in choices.items():
        choose(page, key, option)


def open_clerk_details(page):
    """Unfold "Detalhes para o balconista" and return it."""
    details = page.locator(".st-key-clerk_details")
    details.get_by_text("Detalhes para o balconista").click()
    details.get_by_text("Estimativa de mercado do modelo").wait_for(timeout=30_000)
    return details


def answer_condition(page, answers=ANSWERS) -> None:
    for key, label in answers.items():
        page.locator(f".st-key-condition_{key}").get_by_text(label, exact=True).click()
        wait_for_app_idle(page)


def open_app(browser, server, size, choices=LAPTOP):
    """The estimate page with ``choices`` made (None: as the next customer finds it)."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page.goto(server.url)
    page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    if choices:
        choose_laptop(page, choices)
    return page


def click_and_wait_for_the_card(page):
    button = page.get_by_role("button", name="Calcular oferta")
    button.scroll_into_view_if_needed()
    button.click()
    page.locator(".st-key-offer_card").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    page.wait_for_timeout(1_700)  # the card is brought into view within 1.5 s of the answer


def serious_axe_violations(page: object) -> list[str]:
    """The ids of axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
