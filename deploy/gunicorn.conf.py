"""gunicorn settings for Jili: `gunicorn -c deploy/gunicorn.conf.py` (used by `make run`)."""

import os
import sys

wsgi_app = "jili.wsgi:app"
bind = os.environ.get("JILI_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("JILI_WORKERS", "2"))
threads = int(os.environ.get("JILI_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
forwarded_allow_ips = os.environ.get("JILI_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log without client addresses, referrers or user agents for any route, and
# without any line at all for the feedback pages (/f/… and the staff pages showing the
# link): jili.feedback.unlogged.GunicornLogger skips them in the access log and keeps
# their path out of the error log. %(r)s is the request line.
logger_class = "jili.feedback.unlogged.GunicornLogger"
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = "info"


def open_urls(listeners) -> list[str]:
    """The addresses to open, from the sockets gunicorn really listens on (so a port
    of 0 shows the one the system chose; 0.0.0.0 / [::] are opened via this machine)."""
    urls = []
    for listener in listeners:
        text = str(listener)
        text = text.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
        urls.append(text)
    return urls


def when_ready(server):
    """Say where Jili listens, on the console (the log says it too, in passing)."""
    for url in open_urls(server.LISTENERS):
        print(f"\nJili is ready: open {url}\n", file=sys.stderr, flush=True)
