"""End to end: real gunicorn with deploy/gunicorn.conf.py, a migrated SQLite database with
the demo tenants, and headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from jili import ROOT

CHROMIUM = "/usr/bin/chromium"
STARTUP_SECONDS = 120  # an upper bound for a loaded machine, never a pause
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        bool(os.environ.get("JILI_TEST_DATABASE_URL")),
        reason="browser run happens once, in the SQLite pass",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = dict(
        os.environ,
        JILI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'e2e.sqlite3'}",
        JILI_SECRET_KEY="e2e",
        FLASK_APP="jili.wsgi:app",
        JILI_BIND=f"127.0.0.1:{port}",
        JILI_WORKERS="1",
        # every demo login signs in, several times: the limit is tested in test_accounts.py
        JILI_LOGIN_RATE_LIMIT="1000 per minute",
        # calculations are jobs: run them in the web process, as the tests' queue does
        # (tests/test_jobs_worker_kill.py drives a real worker)
        JILI_HUEY_IMMEDIATE="true",
        JILI_HUEY_PATH=str(tmp / "huey.sqlite3"),
    )
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "flask"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    subprocess.run(
        [str(bindir / "jili"), "demo", "load", "tenants"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [str(bindir / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = ServerOutput(proc)
    if not output.listening.wait(STARTUP_SECONDS):  # an event, set from gunicorn's own words
        proc.kill()
        pytest.fail("gunicorn did not start: " + output.text())
    base = f"http://127.0.0.1:{port}"
    # The socket is open: the request waits in its backlog until the worker has booted.
    urllib.request.urlopen(base + "/login", timeout=STARTUP_SECONDS)
    yield base
    proc.terminate()
    proc.wait(timeout=STARTUP_SECONDS)


class ServerOutput:
    """Reads gunicorn's output in a thread (so its pipe never fills) and says when it listens."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc) -> None:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if "Listening at:" in line:
                self.listening.set()
        self.listening.set()  # it exited: stop waiting (the check below then fails)

    def text(self) -> str:
        return "".join(self.lines)


class Chromium:
    """The browser, with generous timeouts: a busy machine is slow, not broken."""

    def __init__(self, browser):
        self.browser = browser

    def new_page(self, **kw):
        page = self.browser.new_page(**kw)
        page.set_default_timeout(STARTUP_SECONDS * 1000)
        return page


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield Chromium(browser)
        browser.close()


def _login(page, base, email, password):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_owner_edits_teams_with_htmx_partial_swaps(server, chromium, tmp_path):
    page = chromium.new_page(locale="zh-CN")
    _login(page, server, "owner@huadong.example", "jili-demo-owner")
    assert "/t/huadong/" in page.url
    page.goto(server + "/t/huadong/teams")
    page.evaluate("window.__noReload = true")
    page.click("a[hx-get$='/teams/new']")
    page.wait_for_selector("#editor input[name=name]")
    page.fill("#editor input[name=name]", "南京组")
    page.select_option("#editor select[name=parent_id]", label="华东大区")
    page.click("#editor button.primary")
    page.wait_for_selector("text=南京组")
    assert page.evaluate("window.__noReload") is True  # swapped in place, no full page load
    assert page.locator("#content table").inner_text().count("南京组") == 1
    page.screenshot(path=str(tmp_path / "teams.png"), full_page=True)
    # An error keeps the typed input and says why, still without a reload.
    page.click("a[hx-get$='/teams/new']")
    page.wait_for_selector("#editor input[name=name]")
    page.fill("#editor input[name=name]", "南京组")
    page.click("#editor button.primary")
    page.wait_for_selector("#editor small.error")
    assert page.input_value("#editor input[name=name]") == "南京组"
    assert page.evaluate("window.__noReload") is True


def test_consultant_switches_between_client_companies(server, chromium):
    page = chromium.new_page(locale="zh-TW")
    _login(page, server, "consultant@jili.example", "jili-demo-consultant")
    links = page.locator("ul.switcher a")
    assert sorted(links.all_inner_texts()) == sorted(
        ["华东智造销售有限公司", "信義精密貿易股份有限公司"]
    )
    links.filter(has_text="信義").click()
    page.wait_for_load_state("networkidle")
    assert "/t/xinyi/" in page.url
    page.goto(server + "/t/huadong/people")
    assert "孙小雨" in page.content()


def test_pages_work_without_javascript(server):
    """Plain links and forms still work with no JavaScript at all (urllib, no htmx)."""
    import http.cookiejar
    import re
    from urllib.parse import urlencode

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(server + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    opener.open(
        server + "/login",
        urlencode(
            {"email": "hr@huadong.example", "password": "jili-demo-hr", "csrf_token": token}
        ).encode(),
    )
    html = opener.open(server + "/t/huadong/teams/new").read().decode()
    assert "<html" in html and 'name="name"' in html


def test_owner_calculates_a_period_and_moves_the_simulator_slider(server, chromium, tmp_path):
    """The DOMAIN examples through the pages: 2024-Q3 is published by the demo with
    the worked examples' total; calculate the current quarter (htmx swaps the run in
    place), read a statement, move the what-if slider."""
    page = chromium.new_page(locale="zh-CN")
    _login(page, server, "owner@shili.example", "jili-demo-owner")
    page.goto(server + "/t/shili/periods")
    page.locator("tr", has_text="2024-Q3").first.locator("a[href$='/runs']").click()
    page.wait_for_selector("text=250,416.00")
    today = date.today()  # the demo is brought up to today: its current quarter is open
    page.goto(server + "/t/shili/periods")
    current = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    page.locator("tr", has_text=current).first.locator("a[href$='/runs']").click()
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__noReload = true")
    page.click("form[hx-post$='/runs/calculate'] button")
    page.wait_for_selector("#publish")
    assert page.evaluate("window.__noReload") is True
    page.goto(server + "/t/shili/statements")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "statement.png"), full_page=True)
    page.goto(server + "/t/shili/simulator")
    person = page.locator("select[name=person_id] option", has_text="SL002").get_attribute("value")
    page.goto(server + f"/t/shili/simulator?person_id={person}")
    page.wait_for_selector("#sim-result svg")
    page.evaluate("window.__noReload = true")
    before = page.inner_text("#sim-result")
    page.fill("#attainment", "150")
    page.dispatch_event("#attainment", "input")
    page.wait_for_function(
        "(b) => document.querySelector('#sim-result').innerText !== b", arg=before
    )
    assert "150" in page.inner_text("#sim-result")
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "simulator.png"), full_page=True)


def test_transactions_upload_with_htmx_shows_progress_and_is_idempotent(server, chromium, tmp_path):
    """A CSV upload through the page (htmx multipart with a progress bar): created,
    then unchanged on the same file again, then a bad file lists its errors."""
    good = tmp_path / "deals.csv"
    good.write_text(
        "\ufeff外部编号,成交日期,工号,客户,金额,回款金额,分成\n"
        'E2E-1,2024-10-08,SL002,甲客户,"1,000.00",800,\n'
        "E2E-2,2024-10-09,SL002,乙客户,500.01,0,SL002:50;SL003:50\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "external id,deal date,employee no,amount\nE2E-3,2024-10-10,NOPE,12\n", encoding="utf-8"
    )
    page = chromium.new_page(locale="en-US")
    _login(page, server, "owner@shili.example", "jili-demo-owner")
    page.goto(server + "/t/shili/transactions/import")
    assert page.locator("#import-progress progress").count() == 1
    page.evaluate("window.__noReload = true")
    for expected in ("2 created, 0 unchanged", "0 created, 2 unchanged"):
        page.set_input_files("#import-form input[type=file]", str(good))
        page.click("#import-form button")
        page.wait_for_selector(f"#import-result:has-text('{expected}')")
    page.set_input_files("#import-form input[type=file]", str(bad))
    page.click("#import-form button")
    page.wait_for_selector("#import-errors")
    assert "NOPE" in page.inner_text("#import-errors")
    assert page.evaluate("window.__noReload") is True
