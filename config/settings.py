"""Waymark's settings, read from environment variables.

The defaults run locally on SQLite, with Celery tasks executed in process and
email printed to the console, so `make run` needs no other server.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Lets models, managers and forms be subscripted (Manager["User"]) for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    return (os.environ.get(name, "").strip()) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

# Absolute links in emails (invitations, resets, verifications) are built from this,
# never from the request's Host header.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_URL_IS_HTTP = SITE_URL.startswith("http://")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The reverse proxies (load balancers) in front of the web processes, each of which adds
# the address it was connected from to X-Forwarded-For (core.client_addresses). 0: clients
# connect directly, and the header is ignored. With networks, the header is read only on
# connections from them, so a client that reaches the app directly cannot forge it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXY_NETWORKS = env_list("TRUSTED_PROXY_NETWORKS")
for _network in TRUSTED_PROXY_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_NETWORKS: {_network!r} is not an address or a network."
        ) from None
if TRUSTED_PROXY_NETWORKS and TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("TRUSTED_PROXY_NETWORKS needs TRUSTED_PROXY_COUNT of 1 or more.")

INSTALLED_APPS = [
    "orgs.apps.TwoFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's passkey list says when each was last used
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # Any OpenID Connect provider (authentik, Keycloak, Okta...): one app, its addresses
    # carry the provider's id, and an id nobody configured is a 404.
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "allauth.usersessions",
    "core",
    "orgs",
    "missions",
    "metrics",
    "audit",
    "reporting",
    "integrations",
    "api",
]

MIDDLEWARE = [
    # /healthz and /readyz answer whatever the Host, and are not logged (config.health).
    "config.health.HealthMiddleware",
    # Every other request gets an id (X-Request-ID) and one log line (core.request_log).
    "core.request_log.RequestLogMiddleware",
    # Then a body over the limit is refused before anything reads it.
    "core.request_size.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # What a signed-in person is sent is kept by no cache (Cache-Control: private, no-store).
    "core.private_responses.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "orgs.access.OrgAccessMiddleware",
    # Who the changes this request makes are recorded against (audit.tracking).
    "audit.actors.ActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orgs.access.HtmxLoginRedirectMiddleware",
    # Last, inside MessageMiddleware: an htmx fragment carries its messages with it.
    "core.htmx_messages.HtmxMessagesMiddleware",
]

# Request bodies (core.request_size): 1 MB is many times the longest form; the CSV
# import takes a 1 MB file, and its confirmation carries the file back signed.
REQUEST_MAX_BYTES = 1024 * 1024
UPLOAD_REQUEST_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_VIEWS = {"metrics:import"}
# What Django itself reads of a body that is not a file, and keeps of a file in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_REQUEST_MAX_BYTES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.organisations",
            ],
        },
    },
]

# SQLite by default so a newcomer needs no server; PostgreSQL in CI and production.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
# PgBouncer in transaction pooling mode hands each transaction whichever server connection
# is free: a server-side cursor (what .iterator() opens on PostgreSQL) would be gone by
# the next fetch, and a prepared statement may live on another connection.
DATABASE_PGBOUNCER_TRANSACTION_MODE = env_bool("DATABASE_PGBOUNCER_TRANSACTION_MODE")
if DATABASE_PGBOUNCER_TRANSACTION_MODE:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Accounts (django-allauth): people sign in with their email address. Sign-up ends on
# "check your email" whether or not the address was taken, so it reveals nothing; an
# unverified account may still log in later, but creating an organisation or inviting
# anyone waits for the verification (orgs.adapters.SignupVerificationStage).
ACCOUNT_ADAPTER = "orgs.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "orgs.forms.LoginForm", "signup": "orgs.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
# One address per person, changed by verifying the new one first.
ACCOUNT_CHANGE_EMAIL = True
# Verifying is a button on the page the link opens: mail scanners follow links.
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Waymark: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if SITE_URL_IS_HTTP else "https"
# Signed in until they log out (no "remember me" box), as before allauth.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Rate limits, per address ("key") and per IP; going over answers 429 (templates/429.html),
# and wrong passwords pause an address's logins for 15 minutes whatever its case or spaces.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/15m/key",
    "signup": "5/m/ip,20/h/ip",
    "signup_by_email": "3/h/key",  # orgs.forms.SignupForm
    "reset_password": "10/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key,10/h/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}

# Single sign-on, each provider there only when its variables are set (no buttons
# otherwise). A provider's verified address signs in the account that uses it.
SOCIALACCOUNT_ADAPTER = "orgs.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
# Where the single sign-on buttons' forms lead (the Content-Security-Policy's form-action
# covers the redirect a form's answer makes).
SSO_ORIGINS: list[str] = []
# Google's and Microsoft's apps are installed only when configured: their pages would
# fail without a client id.
if env_str("GOOGLE_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SSO_ORIGINS.append("https://accounts.google.com")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": env_str("GOOGLE_CLIENT_ID"), "secret": env_str("GOOGLE_SECRET")}],
        "SCOPE": ["openid", "email", "profile"],
        "AUTH_PARAMS": {"prompt": "select_account"},
    }
if env_str("MICROSOFT_CLIENT_ID"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.microsoft")
    SSO_ORIGINS.append("https://login.microsoftonline.com")
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": env_str("MICROSOFT_CLIENT_ID"),
                "secret": env_str("MICROSOFT_SECRET"),
                # A tenant id limits sign-in to one Entra ID directory.
                "settings": {"tenant": env_str("MICROSOFT_TENANT", "organizations")},
            }
        ]
    }
if env_str("OIDC_CLIENT_ID") and env_str("OIDC_SERVER_URL"):
    _oidc = urlsplit(env_str("OIDC_SERVER_URL"))
    SSO_ORIGINS.append(f"{_oidc.scheme}://{_oidc.netloc}")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_NAME", "Single sign-on"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_str("OIDC_SECRET"),
                "settings": {"server_url": env_str("OIDC_SERVER_URL")},
            }
        ]
    }

# Two-factor: an authenticator app with recovery codes, and passkeys. Organisations may
# require it (orgs.policy.needs_two_factor); the Django admin always does.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Waymark"
# WebAuthn needs HTTPS, except on localhost while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = SITE_URL_IS_HTTP

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "orgs.passwords.PersonalDetailsValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link lives for one day

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where stored files go: published reports' PDFs, made once and kept. Several web servers
# need one shared place (a shared volume, or an object store as the "default" storage).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


def redis_database_beside(url: str) -> str:
    """The Redis database next to `url`'s on the same server (db 15's is db 14)."""
    parts = urlsplit(url)
    try:
        number = int(parts.path.strip("/") or 0)
    except ValueError:
        raise ImproperlyConfigured(f"REDIS_URL's database must be a number: {url!r}") from None
    return urlunsplit(parts._replace(path=f"/{number + 1 if number < 15 else number - 1}"))


# Celery: Redis when REDIS_URL is set; otherwise tasks run in process. The queue lives
# apart from the cache (REDIS_URL): clearing the cache, or evicting from it, must never
# drop a queued task. CELERY_BROKER_URL may name another server (one that never evicts).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or (
    redis_database_beside(REDIS_URL) if REDIS_URL else "memory://"
)
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Task log lines go through LOGGING below (JSON or text, with the request id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker process that dies mid-task hands its message back to the queue.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that enqueues while Redis is down must not hang: connecting and publishing
# give up within about a second, and core.enqueue logs it (the next sweep does the work).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 2,
    # Opening a channel tries twice, not again and again until the connection timeout.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# The model whose rows are the claims that send each email once (a core.deliveries.Delivery).
EMAIL_DELIVERY_MODEL = "orgs.EmailDelivery"
# How long a claimed email belongs to the worker sending it (see core.deliveries.claim_lease).
EMAIL_CLAIM_LEASE_SECONDS = int(env_str("EMAIL_CLAIM_LEASE_SECONDS", "600"))
# How many of a batch's emails are claimed, and recorded sent, together (see
# core.deliveries.claimed_sends): as many as a worker killed mid-batch may send twice.
EMAIL_SEND_CHUNK = int(env_str("EMAIL_SEND_CHUNK", "10"))

# Beat only starts sweeps: what is due lives on database rows, each send is claimed there
# first, so a missed run loses nothing and two beats send nothing twice. A sweep left
# queued longer than an interval expires; the next one does its work.
SWEEP_SECONDS = int(env_str("SWEEP_SECONDS", "900"))
# Webhook retries back off from a minute, so their sweep runs more often.
INTEGRATIONS_SWEEP_SECONDS = int(env_str("INTEGRATIONS_SWEEP_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "reminders": {
        "task": "reporting.tasks.sweep_reminders",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    "digests": {
        "task": "reporting.tasks.sweep_digests",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    "invitations": {
        "task": "orgs.tasks.sweep_invitations",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    # Expired sessions, old email claims, forgotten browsers, spent idempotency keys and
    # old webhook deliveries and chat posts (core.pruning).
    "prune": {
        "task": "orgs.tasks.prune_records",
        "schedule": crontab(hour=4, minute=10),
        "options": {"expires": 6 * 60 * 60},
    },
    # Webhooks and chat posts to (re)try, channels' reminders and digests, metric feeds.
    "integrations": {
        "task": "integrations.tasks.sweep_integrations",
        "schedule": INTEGRATIONS_SWEEP_SECONDS,
        "options": {"expires": INTEGRATIONS_SWEEP_SECONDS},
    },
    # Every change keeps the stored figures current; this finds (and fixes) any drift.
    "figures": {
        "task": "metrics.tasks.sweep_figures",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
}

# The cache share pages are served from: Redis when REDIS_URL is set, so every web
# process sees the same pages and the same invalidations; process memory otherwise.
# With Redis down, every read is a miss and every write a no-op (config.cache), fast.
CACHES = {
    "default": (
        {
            "BACKEND": "config.cache.FaultTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "waymark",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Where heartbeats are kept in Redis (core.heartbeats): the workers', beat's and sweeps'.
# Two installations sharing one Redis database need one each (as parallel tests do).
HEARTBEAT_PREFIX = env_str("HEARTBEAT_PREFIX", "waymark:heartbeat")

# How long records are kept before beat's daily prune deletes them (core.pruning): email
# claims (a claim older than this can no longer stop a send twice: its period is long
# past), and the list of signed-in browsers for sessions that have ended.
EMAIL_DELIVERY_RETENTION_DAYS = env_int("EMAIL_DELIVERY_RETENTION_DAYS", 180)
USER_SESSION_RETENTION_DAYS = env_int("USER_SESSION_RETENTION_DAYS", 90)
# Webhook deliveries (with their attempts) and chat posts that are over (integrations.pruning).
INTEGRATION_LOG_RETENTION_DAYS = env_int("INTEGRATION_LOG_RETENTION_DAYS", 30)

# The production server (`manage.py serve`, granian): where it listens, how many processes, how many
# threads each, the memory (MiB) a process may grow to before it is replaced (0: no cap),
# and granian's own access log next to the request log. A crashed process is replaced.
WEB_HOST = env_str("WEB_HOST", "127.0.0.1")
WEB_PORT = env_int("WEB_PORT", 8000)
WEB_WORKERS = env_int("WEB_WORKERS", 2 if REDIS_URL else 1)
WEB_THREADS = env_int("WEB_THREADS", 1)
WEB_MAX_RSS_MB = env_int("WEB_MAX_RSS_MB", 0)
WEB_ACCESS_LOG = env_bool("WEB_ACCESS_LOG")
# Without Redis every process keeps a cache of its own: the others would serve pages up to
# PAGE_CACHE_SECONDS stale, and logins and rate limits would count per process.
if not DEBUG and not REDIS_URL and WEB_WORKERS > 1:
    raise ImproperlyConfigured(
        f"WEB_WORKERS={WEB_WORKERS} with no REDIS_URL: each process would keep its own cache, "
        "serving the others' pages stale and counting logins apart. Set REDIS_URL (a shared "
        "cache, and the queue reminders need), or WEB_WORKERS=1."
    )

# How long a rendered page part (share pages, the dashboard's missions) may be served from
# the cache; every change invalidates it sooner. 0 renders every request afresh, as
# `make bench` does to measure the pages uncached.
PAGE_CACHE_SECONDS = int(env_str("PAGE_CACHE_SECONDS", "600"))

# Integrations (webhooks, Slack and Teams channels, metric feeds). Addresses that lead to
# private, loopback or link-local networks are refused unless this is on (local testing
# only: it lets anyone who manages an organisation reach inside Waymark's network).
INTEGRATIONS_ALLOW_PRIVATE_URLS = env_bool("INTEGRATIONS_ALLOW_PRIVATE_URLS")
INTEGRATIONS_TIMEOUT_SECONDS = int(env_str("INTEGRATIONS_TIMEOUT_SECONDS", "10"))
INTEGRATIONS_MAX_RESPONSE_BYTES = int(env_str("INTEGRATIONS_MAX_RESPONSE_BYTES", str(1024 * 1024)))
INTEGRATIONS_CLAIM_LEASE_SECONDS = int(env_str("INTEGRATIONS_CLAIM_LEASE_SECONDS", "300"))
# A failed delivery is tried again after 1, 4, 16... minutes (the base, times 4 each
# time), WEBHOOK_MAX_ATTEMPTS tries in all: about a day with the defaults.
WEBHOOK_RETRY_BASE_SECONDS = int(env_str("WEBHOOK_RETRY_BASE_SECONDS", "60"))
WEBHOOK_MAX_ATTEMPTS = int(env_str("WEBHOOK_MAX_ATTEMPTS", "7"))
# An endpoint that has failed this many deliveries in a row, for at least this long, is
# disabled and the admin who added it told.
WEBHOOK_DISABLE_AFTER_FAILURES = int(env_str("WEBHOOK_DISABLE_AFTER_FAILURES", "5"))
WEBHOOK_DISABLE_AFTER = timedelta(hours=int(env_str("WEBHOOK_DISABLE_AFTER_HOURS", "24")))

# Email: the console unless an SMTP host is configured.
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST"),
                "port": int(env_str("EMAIL_PORT", "25")),
                "username": env_str("EMAIL_HOST_USER") or None,
                "password": env_str("EMAIL_HOST_PASSWORD") or None,
                "use_tls": env_bool("EMAIL_USE_TLS"),
                "timeout": 10,
            },
        }
        if env_str("EMAIL_HOST")
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Waymark <waymark@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The API (api/): requests a token may make a minute before it is told to wait (429).
API_RATE_PER_MINUTE = int(env_str("API_RATE_PER_MINUTE", "120"))
# How long a POST's Idempotency-Key is remembered, and its answer replayed.
API_IDEMPOTENCY_HOURS = 24

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Headers. htmx is served from our own static files, so no inline script is needed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF, *SSO_ORIGINS],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sessions live in the database and are read through the cache: a signed-in page asks
# Redis instead of PostgreSQL for its session, and loses nothing when Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Logs: a line with time, level, logger and request id, or one JSON object per line with
# LOG_FORMAT=json (for a log collector), on standard error, from web, worker and beat alike.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.log_format.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "core.log_format.RequestIdFilter"},
        "one_line_refusals": {"()": "core.refusal_logs.OneLineRefusals"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # A 403 or 404 is one line; a 500 keeps its traceback.
        "django.request": {"filters": ["one_line_refusals"]},
        # A request for a host not in ALLOWED_HOSTS (scanners, a misdirected probe) is
        # one line, not a traceback each time.
        "django.security.DisallowedHost": {"filters": ["one_line_refusals"]},
    },
}

# Error reporting (Sentry, or anything that speaks its protocol), only when SENTRY_DSN is
# set: exceptions from web requests and tasks, with no personal data (core.error_reports).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from core.error_reports import start_error_reports

    start_error_reports(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
