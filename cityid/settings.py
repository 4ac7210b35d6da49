"""Django settings for cityid, read from the environment (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("CITYID_DATA_DIR", "./var/data")).resolve()
# Deliberately outside DATA_DIR: a backup of the data must never carry the keys that open it.
KEYS_DIR = Path(os.environ.get("CITYID_KEYS_DIR", "./var/keys")).resolve()
BLOB_DIR = DATA_DIR / "blobs"

DEBUG = _env_bool("CITYID_DEBUG")
SECRET_KEY = os.environ.get("CITYID_SECRET_KEY") or (
    "insecure-development-key-set-CITYID_SECRET_KEY" if DEBUG or os.environ.get("CITYID_TESTING") else None
)
if not SECRET_KEY:
    # Generated once per data directory so that sessions survive restarts without a hard-coded secret.
    _secret_file = KEYS_DIR / "django-secret"
    if _secret_file.exists():
        SECRET_KEY = _secret_file.read_text().strip()
    else:
        from django.core.management.utils import get_random_secret_key

        from cityid.core.files import write_file

        # Created with its final mode (0600) and fsynced before it appears; a concurrent first start wins.
        KEYS_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_file(_secret_file, get_random_secret_key(), replace=False)
        SECRET_KEY = _secret_file.read_text().strip()

ALLOWED_HOSTS = [h for h in os.environ.get("CITYID_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",  # the authenticator model is accounts.TOTPDevice (its seed sealed), not otp_totp's
    "axes",
    "csp",
    "cityid.accounts",
    "cityid.vault",
    "cityid.audit",
    "cityid.enrollment",
    "cityid.cards",
    "cityid.retention",
    "cityid.matching",
    "cityid.disclosure",
    "cityid.reports",
    "cityid.ops",
]

MIDDLEWARE = [
    # First: refuses an oversized body (413) or one without a length (411) before anything reads it.
    "cityid.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cityid.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "cityid.accounts.middleware.ForcePasswordChangeMiddleware",
]

ROOT_URLCONF = "cityid.urls"
WSGI_APPLICATION = "cityid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cityid.accounts.context_processors.staff_role",
            ],
            "builtins": ["cityid.ui.label_tags"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Created mode 0600 before SQLite opens it (cityid.vault.dbfile; -wal and -shm take its mode).
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "cityid.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    # 8 KiB pages (set when the file is created, before WAL): bulk appends to
                    # indexed tables ran ~15% faster than with the 4 KiB default.
                    "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    " PRAGMA busy_timeout=10000; PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824;"
                    " PRAGMA temp_store=MEMORY;"
                    # Checkpoint the WAL into the database every 10,000 pages (80 MB) rather than
                    # 1,000: a bulk write then copies each page it dirties once, not many times.
                    " PRAGMA wal_autocheckpoint=10000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Sign-in limits (cityid/accounts/lockout.py): a username is locked from one client address after
# CITYID_LOCKOUT_FAILURES failures, so an attacker elsewhere cannot lock a staff member out; and a client
# address is locked for every username after CITYID_LOCKOUT_CLIENT_FAILURES failures in all (password
# spraying). Higher than the first because clerks of one enrollment center share an address.
AXES_FAILURE_LIMIT = int(os.environ.get("CITYID_LOCKOUT_FAILURES", "5"))
CITYID_LOCKOUT_CLIENT_FAILURES = int(os.environ.get("CITYID_LOCKOUT_CLIENT_FAILURES", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "cityid.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "cityid.accounts.lockout.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# What the lockout tables keep: no successful sign-ins (the audit log has them), no failure log, and for each
# failure neither the query string nor the form (a TOTP code, a password typed into the user name field):
# cityid.accounts.lockout blanks them. The user name is stored as a keyed hash, not in clear.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_USERNAME_CALLABLE = "cityid.accounts.lockout.lockout_username"

# Sessions are rows keyed by a keyed hash of the cookie's key (cityid.accounts.sessions): a copy of the
# session table holds no cookie that signs anyone in.
SESSION_ENGINE = "cityid.accounts.sessions"

SESSION_COOKIE_AGE = int(os.environ.get("CITYID_SESSION_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout, not absolute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the form or hx-headers, never read from the cookie
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Production runs behind a TLS proxy (README, "Production"). CITYID_HTTPS=1 says so: the proxy
# terminates TLS, sets the header below on every request it forwards (overwriting any a client
# sent) and appends the client's address to X-Forwarded-For; cityid is reachable only through it.
HTTPS = _env_bool("CITYID_HTTPS")
_proxy_header = os.environ.get("CITYID_PROXY_SSL_HEADER", "X-Forwarded-Proto: https")
if HTTPS:
    _name, _sep, _value = _proxy_header.partition(":")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CITYID_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("CITYID_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("CITYID_HSTS_PRELOAD", True)
    # Off only when the proxy itself redirects plain HTTP (then Django's check need not say so).
    SECURE_SSL_REDIRECT = _env_bool("CITYID_SSL_REDIRECT", True)
# The proxies in front that append to X-Forwarded-For: the client address a lockout counts is the
# one the nearest of them saw (lockout.client_ip). 0 without CITYID_HTTPS: REMOTE_ADDR is the client.
CITYID_PROXY_COUNT = int(os.environ.get("CITYID_PROXY_COUNT", "1" if HTTPS else "0"))
# Other origins (scheme://host[:port]) a form may be posted from, e.g. when the proxy's public name
# differs from the Host header it forwards.
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CITYID_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Content-Security-Policy (django-csp 4): scripts and styles only from the vendored static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
# No browser feature is needed today; a page that takes a photo with the camera would allow it there.
CITYID_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

OTP_TOTP_ISSUER = os.environ.get("CITYID_PROGRAM_NAME", "cityid")

# Staff enrolment (accounts): one-time links to set one's own password and authenticator, sent by
# email; staff changes a second administrator must approve expire after CITYID_CHANGE_REQUEST_HOURS.
CITYID_ENROLMENT_HOURS = int(os.environ.get("CITYID_ENROLMENT_HOURS", "24"))
CITYID_CHANGE_REQUEST_HOURS = int(os.environ.get("CITYID_CHANGE_REQUEST_HOURS", str(7 * 24)))
CITYID_BASE_URL = os.environ.get("CITYID_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("CITYID_EMAIL_FROM", "cityid@localhost")
if os.environ.get("CITYID_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["CITYID_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("CITYID_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("CITYID_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("CITYID_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("CITYID_EMAIL_TLS", default=True)
    EMAIL_TIMEOUT = 30
else:  # development and the demo: each message is a file in DATA_DIR/mail
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ.get("CITYID_EMAIL_DIR", str(DATA_DIR / "mail"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("CITYID_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("CITYID_STATIC_ROOT") or None  # collectstatic target in production
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Uploads: scans are limited at the form; this keeps Django from buffering huge bodies in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
CITYID_MAX_SCAN_BYTES = 10 * 1024 * 1024
# The largest request body accepted at all (cityid.middleware): the enrollment form's photo and eight
# scans at their limit, plus 4 MiB for the other fields and the multipart framing.
CITYID_MAX_REQUEST_BYTES = int(os.environ.get("CITYID_MAX_REQUEST_BYTES", str(9 * CITYID_MAX_SCAN_BYTES + 4 * 2**20)))
# Uploads are decoded only within these limits (checked from the header, before decoding), then
# re-encoded without metadata (cityid/enrollment/uploads.py). A 600-dpi A4 or Letter page is ~35 MP;
# a 12-MP phone photo passes and is kept at most CITYID_PHOTO_MAX_SIDE pixels on its longer side.
CITYID_MAX_SCAN_PIXELS = 40_000_000
CITYID_MAX_PHOTO_PIXELS = 16_000_000
CITYID_PHOTO_MAX_SIDE = 1600
CITYID_MAX_PDF_PAGES = 50
# A photo or scan chosen on the enrollment form is kept (sealed) this long for its form to be submitted.
CITYID_STAGED_UPLOAD_HOURS = int(os.environ.get("CITYID_STAGED_UPLOAD_HOURS", "12"))

# Program configuration (DESIGN.md §3): rules are data; the IDNYC file is the shipped default.
CITYID_RULES_FILE = os.environ.get("CITYID_RULES_FILE", str(PACKAGE_DIR / "enrollment" / "rules" / "idnyc.json"))
CITYID_DOCUMENT_COPIES = os.environ.get("CITYID_DOCUMENT_COPIES", "")  # "keep" | "none" | "" (use the rules file)
CITYID_KEY_PROVIDER = os.environ.get("CITYID_KEY_PROVIDER", "local")  # "local" | "pkcs11" | a dotted class path
# Duplicate and fraud detection (cityid.matching, README "Duplicate and fraud review").
CITYID_MATCHER_BACKEND = os.environ.get("CITYID_MATCHER_BACKEND", "memory")  # "memory" | a dotted class path
# Above the review probability an alert opens, above the hold probability approval waits for an analyst; unset:
# the model file's thresholds.
CITYID_MATCH_REVIEW_PROBABILITY = os.environ.get("CITYID_MATCH_REVIEW_PROBABILITY") or None
CITYID_MATCH_HOLD_PROBABILITY = os.environ.get("CITYID_MATCH_HOLD_PROBABILITY") or None
CITYID_MATCH_SYNC_SECONDS = float(os.environ.get("CITYID_MATCH_SYNC_SECONDS", "1"))  # other processes' enrollments
CITYID_MATCH_ADDRESS_DAYS = int(os.environ.get("CITYID_MATCH_ADDRESS_DAYS", "30"))
CITYID_MATCH_ADDRESS_APPLICANTS = int(os.environ.get("CITYID_MATCH_ADDRESS_APPLICANTS", "5"))
CITYID_MATCH_APPROVAL_DAYS = int(os.environ.get("CITYID_MATCH_APPROVAL_DAYS", "7"))
CITYID_MATCH_APPROVAL_RATIO = float(os.environ.get("CITYID_MATCH_APPROVAL_RATIO", "3"))
CITYID_MATCH_APPROVAL_MINIMUM = int(os.environ.get("CITYID_MATCH_APPROVAL_MINIMUM", "20"))
# Where the keys that sign checkpoints and certificates live: "file" | "pkcs11" (follows the key provider).
CITYID_SIGNER = os.environ.get("CITYID_SIGNER") or ("pkcs11" if CITYID_KEY_PROVIDER == "pkcs11" else "file")
# New signing keys: "auto" (Ed25519; ECDSA P-256 in a token without Ed25519) | "ed25519" | "ecdsa-p256".
CITYID_SIGNER_ALGORITHM = os.environ.get("CITYID_SIGNER_ALGORITHM", "auto")
CITYID_PKCS11_LIBRARY = os.environ.get("CITYID_PKCS11_LIBRARY", "/usr/lib/softhsm/libsofthsm2.so")
CITYID_PKCS11_TOKEN = os.environ.get("CITYID_PKCS11_TOKEN", "cityid")
CITYID_PKCS11_PIN = os.environ.get("CITYID_PKCS11_PIN", "")

# Card credentials (docs/credentials.md): the issuer named in every QR code (the program's public URL),
# the size of the status list (a card's index is drawn at random from it; at least 131,072) and how long
# a signed status list is valid (validUntil; it is re-signed on every status change and daily by
# `cityid card status-list`).
CITYID_CARD_ISSUER = os.environ.get("CITYID_CARD_ISSUER") or os.environ.get("CITYID_BASE_URL", "http://127.0.0.1:8000")
CITYID_CARD_STATUS_ENTRIES = int(os.environ.get(
    "CITYID_CARD_STATUS_ENTRIES", str(131_072 if os.environ.get("CITYID_TESTING") else 1 << 22)))
CITYID_CARD_STATUS_HOURS = int(os.environ.get("CITYID_CARD_STATUS_HOURS", "48"))

# Purpose binding (docs/data-protection.md): how long a supervisor's recorded reason to open a closed case
# lasts, and per staff member the personal reads per hour and per day at which an alert is recorded and beyond
# which reads are refused until the window ends (0 turns a check off).
CITYID_CLOSED_CASE_MINUTES = int(os.environ.get("CITYID_CLOSED_CASE_MINUTES", "30"))
CITYID_READ_ALERT_PER_HOUR = int(os.environ.get("CITYID_READ_ALERT_PER_HOUR", "100"))
CITYID_READ_ALERT_PER_DAY = int(os.environ.get("CITYID_READ_ALERT_PER_DAY", "400"))
CITYID_READ_LIMIT_PER_HOUR = int(os.environ.get("CITYID_READ_LIMIT_PER_HOUR", "300"))
CITYID_READ_LIMIT_PER_DAY = int(os.environ.get("CITYID_READ_LIMIT_PER_DAY", "1200"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CITYID_LOG_LEVEL", "WARNING")},
}
SILENCED_SYSTEM_CHECKS = []
if HTTPS and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS.append("security.W008")  # CITYID_SSL_REDIRECT=0: the proxy redirects plain HTTP

# Audit transparency log (DESIGN.md §7): the checkpoint origin, also the name of its signing key
# (KEYS_DIR/audit-log.key, created on first use). A log keeps its origin for life.
CITYID_LOG_ORIGIN = os.environ.get("CITYID_LOG_ORIGIN", "audit.cityid.example")

# The words printed on every card (cityid.cards.card_pdf): the program's name, the issuer, the return address
# on the back (one to three lines).
CITYID_CARD_PROGRAM = os.environ.get("CITYID_CARD_PROGRAM", "IDNYC")
CITYID_CARD_ISSUER_NAME = os.environ.get("CITYID_CARD_ISSUER_NAME", "City of New York")
CITYID_CARD_RETURN_ADDRESS = [
    line for line in os.environ.get(
        "CITYID_CARD_RETURN_ADDRESS",
        "If found, drop in any mailbox. Postage guaranteed.|IDNYC, PO Box 0000, New York, NY 10000",
    ).split("|") if line.strip()
]
# Partner API (cityid.cards.partner_api): calls per API key, counted in Django's cache. Several web workers
# need a shared cache (CACHES) for these to hold across them; the default in-memory cache counts per process.
CITYID_PARTNER_CALLS_PER_MINUTE = int(os.environ.get("CITYID_PARTNER_CALLS_PER_MINUTE", "60"))
CITYID_PARTNER_CALLS_PER_DAY = int(os.environ.get("CITYID_PARTNER_CALLS_PER_DAY", "5000"))
# Batch duplicate detection (`cityid match pairs|train`, README "Batch duplicate detection"): Splink's backend,
# "duckdb" (embedded, one machine) or "spark" (pyspark and a Java runtime; CITYID_SPARK_MASTER, default local[*]).
CITYID_MATCH_BATCH_BACKEND = os.environ.get("CITYID_MATCH_BATCH_BACKEND", "duckdb")
CITYID_SPARK_MASTER = os.environ.get("CITYID_SPARK_MASTER", "local[*]")
# FOIL requests (cityid.disclosure): ids FOIL-<year>-<agency>-<number>; the agency part is the city's agency
# code (NYC OpenRecords numbers HRA, which runs IDNYC, 0069). Deadlines count business days on this calendar
# (holidays of COUNTRY/SUBDIV from the `holidays` package, plus EXTRA_CLOSED ISO dates; CUTOFF local time).
CITYID_FOIL_AGENCY = os.environ.get("CITYID_FOIL_AGENCY", "0069")
CITYID_FOIL_CALENDAR = {
    "country": os.environ.get("CITYID_FOIL_COUNTRY", "US"),
    "subdiv": os.environ.get("CITYID_FOIL_SUBDIV", "NY"),
    "cutoff": os.environ.get("CITYID_FOIL_CUTOFF", "17:00"),
    "extra_closed": [d for d in os.environ.get("CITYID_FOIL_CLOSED_DAYS", "").split(",") if d],
}

# Public statistics (reports app, README "Statistics and transparency reports"): cells below the threshold are
# suppressed; the differentially private releases draw on a total privacy-loss budget (epsilon); a person is
# taken to contribute at most CITYID_STATS_DP_CONTRIBUTIONS to each table (cards or decisions in one period).
CITYID_STATS_THRESHOLD = int(os.environ.get("CITYID_STATS_THRESHOLD", "10"))
CITYID_STATS_EPSILON_BUDGET = float(os.environ.get("CITYID_STATS_EPSILON_BUDGET", "1.0"))
CITYID_STATS_DP_CONTRIBUTIONS = int(os.environ.get("CITYID_STATS_DP_CONTRIBUTIONS", "1"))
