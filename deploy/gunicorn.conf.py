"""gunicorn settings for Jili: `gunicorn -c deploy/gunicorn.conf.py` (used by `make run`)."""

import os

wsgi_app = "jili.wsgi:app"
bind = os.environ.get("JILI_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("JILI_WORKERS", "2"))
threads = int(os.environ.get("JILI_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
forwarded_allow_ips = os.environ.get("JILI_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log without client addresses, referrers or user agents: the anonymous
# feedback routes must never be linkable to a person, and a per-route exception
# is easy to get wrong, so no route logs them. %(r)s is the request line.
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = "info"
