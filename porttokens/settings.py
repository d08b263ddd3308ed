"""Settings for the Port Tokens inventory.

Everything that differs between a laptop and production comes from the environment,
read through the small typed helpers below, which refuse a malformed value instead of
guessing. With no environment at all (DEBUG unset) the settings are production-safe and
demand a SECRET_KEY; `make run` and `make test` set DEBUG=1 for local work.
"""

import copy
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_count(name: str, default: int, *, minimum: int) -> int:
    """A whole number of at least `minimum`: a limit of 0 or a negative duration would
    silently switch a protection off, so it is refused."""
    value = env_int(name, default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


# EMAIL_URL schemes: (Django backend, default port, STARTTLS, implicit TLS).
_EMAIL_SCHEMES = {
    "smtp": ("django.core.mail.backends.smtp.EmailBackend", 25, False, False),
    "smtp+tls": ("django.core.mail.backends.smtp.EmailBackend", 587, True, False),
    "smtps": ("django.core.mail.backends.smtp.EmailBackend", 465, False, True),
    "smtp+ssl": ("django.core.mail.backends.smtp.EmailBackend", 465, False, True),
    "console": ("django.core.mail.backends.console.EmailBackend", None, False, False),
}
_EMAIL_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def parse_email_url(url: str) -> dict:
    """Django's EMAIL_* settings from one URL, e.g. `smtp+tls://user:pass@host:587`
    (STARTTLS), `smtps://user:pass@host` (implicit TLS), `smtp://host:25/?tls=1`, or
    `console://` (print mails; for development). User and password are percent-decoded;
    `?timeout=SECONDS` bounds a hung mail server (10 s by default). A malformed URL is
    refused with ImproperlyConfigured naming what is wrong; the password is never shown."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _EMAIL_SCHEMES:
        known = ", ".join(f"{name}://" for name in _EMAIL_SCHEMES)
        raise ImproperlyConfigured(f"EMAIL_URL must start with one of {known}")
    backend, default_port, use_tls, use_ssl = _EMAIL_SCHEMES[scheme]
    email = {"EMAIL_BACKEND": backend}
    if scheme == "console":
        return email
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no mail server host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number from 1 to 65535")
    timeout = 10
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("tls", "ssl"):
            flag = _EMAIL_FLAGS.get(value.strip().lower())
            if flag is None:
                raise ImproperlyConfigured(f"EMAIL_URL: {key}= must be 1 or 0, not {value!r}")
            if key == "tls":
                use_tls = flag
            else:
                use_ssl = flag
        elif key == "timeout":
            if not value.isdigit() or int(value) < 1:
                raise ImproperlyConfigured(f"EMAIL_URL: timeout= must be seconds, not {value!r}")
            timeout = int(value)
        else:
            raise ImproperlyConfigured(
                f"EMAIL_URL: unknown option {key!r} (known: tls, ssl, timeout)"
            )
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_URL asks for both STARTTLS (tls) and implicit TLS (ssl)")
    email.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or default_port,
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=use_tls,
        EMAIL_USE_SSL=use_ssl,
        EMAIL_TIMEOUT=timeout,
    )
    return email


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "inventory",
]

MIDDLEWARE = [
    # /healthz for load balancers, answered before the HTTPS redirect and the host check.
    "inventory.views.health.HealthCheckMiddleware",
    # One JSON line per request on stdout; the request id (X-Request-ID).
    "inventory.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Security headers on every response, redirects, errors and static files included.
    "csp.middleware.CSPMiddleware",
    "inventory.security_headers.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads of the opted-in views may go to the read replica; a write pins to the primary.
    "inventory.replicas.ReplicaPinMiddleware",
    # Every page requires a signed-in user; the login page opts out.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inventory.security_headers.PrivateCacheMiddleware",
    # A statement of a web request that runs too long is cancelled (PostgreSQL): a page
    # says so (503) instead of a worker hanging. Exports are exempt.
    "inventory.middleware.StatementTimeoutMiddleware",
    # A request reads its reader's memberships once, however many token queries it builds.
    "inventory.middleware.MembershipsOncePerRequestMiddleware",
    # Turns a login that django-axes refused into the lockout page; it must stay last.
    "axes.middleware.AxesMiddleware",
]
if not DEBUG:
    # Static files (hashed, compressed, cached for a year) straight from the app server,
    # after the security headers (they apply to static files too). In development
    # runserver serves the files as they are, never a stale collectstatic copy.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
#: Seconds a web request's statement may run on PostgreSQL; 0 turns the limit off.
REQUEST_STATEMENT_TIMEOUT = env_count("REQUEST_STATEMENT_TIMEOUT", 15, minimum=0)

ROOT_URLCONF = "porttokens.urls"
WSGI_APPLICATION = "porttokens.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inventory.navigation.navigation",
            ],
        },
    },
]

#: System checks each silenced where a setting below says why.
SILENCED_SYSTEM_CHECKS: list[str] = []

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page read while an import or transfer writes; the busy timeout turns
    # a short lock wait into waiting instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite keeps only the key of an index that covers more fields (PostgreSQL's
    # INCLUDE, for the page's counts): as planned, not worth a warning on every command.
    SILENCED_SYSTEM_CHECKS += ["models.W040"]

# A streaming hot standby for the reads that tolerate a moment's lag (the table, counts,
# exports, the forecast, the API's reads): see inventory/replicas.py. Without
# DATABASE_REPLICA_URL the alias names the primary and nothing reads through it; in tests
# it mirrors the test database.
_replica_url = env_str("DATABASE_REPLICA_URL").strip()
READ_REPLICA = bool(_replica_url)
DATABASES["replica"] = (
    dj_database_url.parse(_replica_url, conn_max_age=env_int("CONN_MAX_AGE", 0))
    if READ_REPLICA
    else copy.deepcopy(DATABASES["default"])
)
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["inventory.replicas.ReplicaRouter"]


def _without_jit(database: dict) -> None:
    """PostgreSQL compiles a statement it estimates as costly to machine code before
    running it (JIT), which costs 100 to 400 ms a statement. A page's statements end in
    well under a second, so the compiling outweighs what it saves: at a million tokens
    the superuser's page with twenty "does not contain" filters took 1.03 s with it and
    0.88 s without, and no statement got slower (the 1,000,000-row export: 9.4 s
    either way). Added to the connection's own `options`, if the URL gave some."""
    options = database.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()


for _database in (DATABASES["default"], DATABASES["replica"]):
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _without_jit(_database)

# Nothing lives in one app server's memory or disk between requests (sessions are in the
# database), so app servers can be added and removed freely. The cache (the API's request
# counts) is the database's in production; one process in development and tests.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if DEBUG
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inventory/port-tokens/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from
# one address, that pair is refused for LOGIN_LOCKOUT_MINUTES (a 429 page saying until
# when), on this site's login and the admin's alike. Other usernames and addresses are
# unaffected, so nobody can lock a colleague out from elsewhere. Lockouts are listed, and
# lifted by deleting them, under Axes > Access attempts in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_count("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_count("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A retry during the lockout does not extend it: the time the page promises holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "inventory.views.accounts.locked_out"
# The client address is REMOTE_ADDR. Behind TRUSTED_PROXY_COUNT reverse proxies that each
# append to X-Forwarded-For, it is the entry that many places from the right end; entries
# further left are whatever the client sent and are never believed.
TRUSTED_PROXY_COUNT = env_count("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "inventory.signin.client_ip_address"

# Password reset needs outgoing email: with no EMAIL_URL its pages answer 404 and the
# login page does not offer it. Signed-in users can always change their password.
EMAIL_URL = env_str("EMAIL_URL").strip()
EMAIL_CONFIGURED = bool(EMAIL_URL)
if EMAIL_CONFIGURED:
    # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
    # EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT
    globals().update(parse_email_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL").strip()
if not DEFAULT_FROM_EMAIL:
    if EMAIL_CONFIGURED and not EMAIL_URL.lower().startswith("console:"):
        # Mail servers refuse Django's webmaster@localhost; better to hear it at start-up
        # than when someone first needs a reset link.
        raise ImproperlyConfigured("DEFAULT_FROM_EMAIL must be set when EMAIL_URL is")
    DEFAULT_FROM_EMAIL = "webmaster@localhost"

LANGUAGE_CODE = "en-us"
# Stored in UTC; shown in Pacific Time by the column registry, not by the active zone.
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# In production `collectstatic` writes each file under a name holding its hash, with gzip
# and Brotli copies; WhiteNoise serves those with a one-year immutable Cache-Control. In
# development the files are served as they are, without collectstatic.
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

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Only this site's own files run and load: no inline script or style, no plugins, no
# framing, forms post only here. Permissions-Policy and Cache-Control: private come from
# inventory/security_headers.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Joining the browsers' HSTS preload list is each deployment's own, hard-to-undo
    # decision (SECURE_HSTS_PRELOAD=1), not a default; so its reminder is silenced.
    SILENCED_SYSTEM_CHECKS += ["security.W021"]

# One JSON object per line on stdout (inventory/json_logging.py): each request
# (inventory/request_log.py), each export, Django's errors with their tracebacks.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "inventory.json_logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "inventory.json_logging.StdoutHandler", "formatter": "json"}},
    "loggers": {
        "inventory": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
        "django": {"handlers": ["stdout"], "level": "WARNING"},
        # 4xx answers are in the request lines already; 5xx come with their traceback.
        "django.request": {"level": "ERROR"},
        "axes": {"handlers": ["stdout"], "level": "WARNING"},
    },
}

# JSON API
# Django REST Framework under /api/v1/ (inventory/api/): personal API keys or the browser
# session, JSON only, throttled per user. The rates come from the environment as
# "<requests>/<second|minute|hour|day>"; a malformed rate is refused at start-up.


def env_rate(name: str, default: str) -> str:
    raw = env_str(name, default).strip()
    count, _, period = raw.partition("/")
    if not (count.isdigit() and int(count) >= 1 and period in ("second", "minute", "hour", "day")):
        raise ImproperlyConfigured(
            f"{name} must be a rate like 600/minute (per second, minute, hour or day), not {raw!r}"
        )
    return raw


#: Requests one user may make to the API; and, of those, exports and transfers (heavier).
API_THROTTLE_RATE = env_rate("API_THROTTLE_RATE", "600/minute")
API_BULK_THROTTLE_RATE = env_rate("API_BULK_THROTTLE_RATE", "30/minute")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that an anonymous caller is told how to authenticate (401, not 403).
        "inventory.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["inventory.api.throttling.UserRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "inventory.api.errors.exception_handler",
    # `format=` is the export's file format (csv, xlsx), not a renderer.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Port Tokens inventory API",
    "DESCRIPTION": """The Port Tokens table, organizations and transfers as JSON, with the
same view state, visibility and transfer rules as the pages.

**1. Get a key.** Signed in, open *API keys* in the header (`/accounts/api-tokens/`),
name a key and create it; copy it at once, it is shown only then. An operator can make
one with `python manage.py create_api_token USERNAME [--name NAME] [--expires-days N]`.

**2. Send it** as `Authorization: Token <key>` (here: *Authorize*, then paste
`Token <key>`). A key sees exactly what its user sees; a token or transfer the user may
not see is a 404. A signed-in browser session works too (with its CSRF token for POST).

**3. Ask with the table's own URL.** `GET /api/v1/port-tokens/` takes the query string
of the table page: `filter=<column key>:<operator>:<value>` (repeatable), `match=all|any`,
`q=` words, `sort=<column key>` or `-<column key>`; `page_size` up to 1,000; follow
`next` until it is null. A bad piece is a 400 listing each problem. The export route
streams the same rows as CSV or XLSX.

**4. Transfer.** `POST /api/v1/transfers/` with `{"token_sns": [...], "to_org": "ORG",
"note": "...", "dry_run": true}` says what would move and why any other token cannot;
without `dry_run` it moves all of them (201) or none (400 with the problems).

Requests are limited per user; over the limit the answer is 429 with `Retry-After`.""",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads Swagger UI from this site's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
}
