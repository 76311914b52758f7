"""Defaults; override with JILI_* environment variables or create_app(config=...)."""

SQLALCHEMY_DATABASE_URI = None  # default: sqlite under instance/
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
SECRET_KEY = None  # default: generated once into instance/secret_key

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # JILI_SESSION_COOKIE_SECURE=true behind HTTPS (deploy/ sets it)
SESSION_COOKIE_NAME = "jili_session"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# A signed-in session ends after this long without a request, and in any case this
# long after login (JILI_SESSION_IDLE_TIMEOUT_MINUTES, JILI_SESSION_MAX_AGE_HOURS).
# The session cookie's own lifetime follows SESSION_MAX_AGE_HOURS.
SESSION_IDLE_TIMEOUT_MINUTES = 120
SESSION_MAX_AGE_HOURS = 12

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

RATELIMIT_STORAGE_URI = (
    "memory://"  # JILI_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 for many workers
)
RATELIMIT_HEADERS_ENABLED = True
# Number of reverse proxies to trust for X-Forwarded-For / X-Forwarded-Proto (0: none,
# as with `make run`; deploy/env.example sets 1 for nginx). Without it, behind a
# proxy every visitor shares one login rate-limit counter.
PROXY_FIX_X_FOR = 0
PROXY_FIX_X_PROTO = 0
LOGIN_RATE_LIMIT = "10 per minute;30 per hour"
SIGNUP_RATE_LIMIT = "10 per hour"

INVITATION_TTL_DAYS = 7
SMTP_HOST = None  # when set, invitations are sent by mail as well as shown
SMTP_PORT = 587
SMTP_USER = None
SMTP_PASSWORD = None
SMTP_FROM = "jili@localhost"
# The address notification e-mails link to (JILI_BASE_URL, e.g. https://jili.example.com)
BASE_URL = None
# Background jobs: JILI_REDIS_URL for a Redis queue (default: instance/huey.sqlite3);
# JILI_HUEY_IMMEDIATE=true runs tasks inline (tests do).
HUEY_IMMEDIATE = False
# Jobs (calculations, pilot runs, large imports and exports): a running job whose
# heartbeat is older than JOB_STALE_SECONDS is taken as dead (its worker was killed)
# and marked failed; a queued job nobody picked up within JOB_QUEUED_STALE_SECONDS too.
JOB_STALE_SECONDS = 120
JOB_QUEUED_STALE_SECONDS = 6 * 3600
# An import runs as a job from this many data rows or bytes on (smaller ones inline);
# a payroll export from this many lines. Uploaded files wait in JOB_FILES_DIR
# (default instance/uploads/<tenant>/<job>/, exports in instance/exports/<tenant>/).
JOB_IMPORT_MIN_ROWS = 5_000
JOB_IMPORT_MIN_BYTES = 2 * 1024 * 1024
# What a job imports at most: the upload of an import page (JILI_JOB_IMPORT_MAX_BYTES;
# other requests stay within MAX_CONTENT_LENGTH; a 1,000,000-row transactions CSV
# is about 80 MB) and its data rows (JILI_JOB_IMPORT_MAX_ROWS; inline: IMPORT_MAX_ROWS).
JOB_IMPORT_MAX_BYTES = 256 * 1024 * 1024
JOB_IMPORT_MAX_ROWS = 2_000_000
JOB_EXPORT_MIN_LINES = 20_000
JOB_FILES_DIR = None

BABEL_DEFAULT_LOCALE = "zh_Hans"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

# Uploads: the largest request body (JILI_MAX_CONTENT_LENGTH, bytes; a larger one is
# a 413 page) and the most data rows one import takes (JILI_IMPORT_MAX_ROWS).
MAX_CONTENT_LENGTH = 20 * 1024 * 1024
# Evidence files of appeals: JILI_UPLOAD_DIR (default instance/uploads), one folder per company.
UPLOAD_DIR = None
IMPORT_MAX_ROWS = 200_000
