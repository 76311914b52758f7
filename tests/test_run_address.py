"""`make run` says the address gunicorn really listens on (JILI_BIND, even port 0),
and every page has a favicon."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from jili import ROOT


def test_gunicorn_prints_the_address_it_really_listens_on(tmp_path):
    env = dict(
        os.environ,
        JILI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        JILI_SECRET_KEY="run",
        JILI_BIND="127.0.0.1:0",  # the system picks a free port: only gunicorn knows it
        JILI_WORKERS="1",
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found: list[str] = []

    def read():
        for line in proc.stderr:
            if m := re.search(r"Jili is ready: open (http://127\.0\.0\.1:(\d+))", line):
                found.append(m.group(1))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        reader.join(timeout=120)
        assert found, "gunicorn never said where it listens"
        url = found[0]
        assert not url.endswith(":0")
        with urllib.request.urlopen(url + "/static/favicon.svg", timeout=30) as resp:
            assert resp.status == 200 and b"<svg" in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_demo_logins_do_not_promise_an_address(runner):
    result = runner.invoke(args=["demo", "logins", str(Path(ROOT) / "tenants")])
    assert result.exit_code == 0 and "127.0.0.1:5000" not in result.output


def test_every_page_has_a_favicon(client):
    for path in ("/login", "/signup"):
        page = client.get(path).text
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
