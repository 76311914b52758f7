"""A small closed-loop HTTP load generator for ``bench/load.py`` (standard library only).

Why our own and not wrk or locust: wrk is not installed here and is not a Python
package; locust would pull gevent and its own Flask into the project's environment for
what is, at these page costs (seconds per page), a few requests per second. Each of
``concurrency`` threads keeps one keep-alive connection (``http.client``) and sends the
next request as soon as the previous one answered (closed loop, as wrk does), for
``duration`` seconds; a request in flight when the time is up is finished and counted.
The generator runs on the same machine as the server and takes some of its CPU: the
figures are for loopback on this machine, not for a remote client.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field


@dataclass
class Outcome:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0
    bytes: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q * 100) - 1]

    @property
    def throughput(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


def login(base: str, email: str, password: str) -> str:
    """Log in through the login form; returns the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=120).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    opener.open(f"{base}/login", data=body.encode(), timeout=120)  # follows the redirect
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "jili_session" not in cookies:
        raise SystemExit(f"login of {email} failed")
    return cookies


def drive(
    host: str,
    port: int,
    name: str,
    path: str,
    cookie: str | None,
    *,
    concurrency: int,
    duration: float,
    timeout: float = 300.0,
) -> Outcome:
    """``concurrency`` closed loops against ``path`` for ``duration`` seconds."""
    out = Outcome(name, path)
    lock = threading.Lock()
    headers = {"Accept-Language": "zh-CN", "Connection": "keep-alive"}
    if cookie:
        headers["Cookie"] = cookie
    stop_at = time.perf_counter() + duration

    def loop() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status, size = 0, 0
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                size = len(resp.read())
                status = resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            took = time.perf_counter() - started
            with lock:
                out.latencies.append(took)
                out.statuses[status] = out.statuses.get(status, 0) + 1
                out.errors += status != 200
                out.bytes = max(out.bytes, size)
        conn.close()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.wall = time.perf_counter() - began
    return out
