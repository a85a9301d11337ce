"""Settings from environment variables, as Procfile hosts expect.

The names are fixed by the deployment contract; nothing else is read from the environment.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.store import check_postgres_url, is_postgres_url

DEFAULT_DB_PATH = Path("data/queries.db")
DEFAULT_KNOWLEDGE_DIR = Path("knowledge")
DEFAULT_SEEDS_DIR = Path("seeds")
DEFAULT_PORT = 8443
DEFAULT_RECHECK_DAYS = 30
ADMIN_LANGUAGES = ("zh", "en")
# Reliability (README "Reliability"): how long a stop may take, how old a question received
# before a restart may be and still be answered, how hard a failed send is retried.
DEFAULT_SHUTDOWN_GRACE_S = 8.0  # Docker kills 10 s after SIGTERM; leave 2 s to close
DEFAULT_PENDING_MAX_AGE_S = 3600.0  # older, and the user gets an apology instead
DEFAULT_PENDING_RETRY_S = 15.0  # replies whose sends all failed are tried again this often
DEFAULT_SEND_TRIES = 5  # one send and up to four retries of a 5xx, timeout or lost connection
DEFAULT_RETRY_MAX_S = 30.0  # the longest backoff, for sends and for connecting at start


class ConfigError(ValueError):
    """A setting is present but unusable; the message says which and why."""


@dataclass(frozen=True)
class Config:
    token: str | None = None
    api_base_url: str | None = None
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    db_path: Path = DEFAULT_DB_PATH
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    webhook_url: str | None = None
    port: int = DEFAULT_PORT
    database_url: str | None = None  # PostgreSQL; when unset, the SQLite file at db_path
    webhook_secret: str | None = None  # shared by several workers; else made fresh per start
    admin_lang: str = "zh"  # admin-facing Telegram text: zh (the editors') or en
    recheck_days: int = DEFAULT_RECHECK_DAYS  # a reload re-asks the misses of this many days
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    pending_max_age_s: float = DEFAULT_PENDING_MAX_AGE_S
    pending_retry_s: float = DEFAULT_PENDING_RETRY_S
    send_tries: int = DEFAULT_SEND_TRIES
    retry_max_s: float = DEFAULT_RETRY_MAX_S
    log_level: str = "INFO"
    seeds_dir: Path = DEFAULT_SEEDS_DIR  # where documents that admins send are added

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or None,
            admin_ids=parse_admin_ids(env.get("BOT_ADMIN_IDS", "")),
            db_path=Path(env.get("BOT_DB_PATH", "").strip() or DEFAULT_DB_PATH),
            knowledge_dir=Path(env.get("BOT_KNOWLEDGE_DIR", "").strip() or DEFAULT_KNOWLEDGE_DIR),
            webhook_url=env.get("BOT_WEBHOOK_URL", "").strip() or None,
            port=parse_port(env.get("PORT", "")),
            database_url=parse_database_url(env.get("DATABASE_URL", "")),
            webhook_secret=parse_webhook_secret(env.get("BOT_WEBHOOK_SECRET", "")),
            admin_lang=parse_admin_lang(env.get("BOT_ADMIN_LANG", "")),
            recheck_days=parse_days(env.get("BOT_RECHECK_DAYS", "")),
            shutdown_grace_s=parse_seconds(env, "BOT_SHUTDOWN_GRACE_S", DEFAULT_SHUTDOWN_GRACE_S),
            pending_max_age_s=parse_seconds(
                env, "BOT_PENDING_MAX_AGE_S", DEFAULT_PENDING_MAX_AGE_S
            ),
            pending_retry_s=parse_seconds(env, "BOT_PENDING_RETRY_S", DEFAULT_PENDING_RETRY_S),
            send_tries=max(1, round(parse_seconds(env, "BOT_SEND_TRIES", DEFAULT_SEND_TRIES))),
            retry_max_s=parse_seconds(env, "BOT_RETRY_MAX_S", DEFAULT_RETRY_MAX_S),
            log_level=parse_log_level(env.get("BOT_LOG_LEVEL", "")),
            seeds_dir=Path(env.get("BOT_SEEDS_DIR", "").strip() or DEFAULT_SEEDS_DIR),
        )

    @property
    def database(self) -> Path | str:
        """Where the query log lives: DATABASE_URL if set (never a silent SQLite fallback)."""
        return self.database_url or self.db_path


def load_config() -> Config | None:
    """The settings, or None after telling the user on stderr which one is wrong."""
    try:
        return Config.from_env()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def parse_admin_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(f"BOT_ADMIN_IDS: {part!r} is not a Telegram user id") from None
    return frozenset(ids)


def parse_port(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT: {raw!r} is not a TCP port number")
    return int(raw)


def parse_database_url(raw: str) -> str | None:
    """A postgresql:// (or postgres://) URL, checked; the error never shows the password."""
    raw = raw.strip()
    if not raw:
        return None
    if not is_postgres_url(raw):
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        got = f"{scheme}://…" if scheme.isalnum() else "something else"  # never the password
        raise ConfigError(
            f"DATABASE_URL: expected postgresql://user:password@host:port/database, "
            f"got {got} (unset it to use the SQLite file at BOT_DB_PATH)"
        )
    try:
        check_postgres_url(raw)
    except ValueError as error:
        raise ConfigError(f"DATABASE_URL: {error}") from None
    return raw


def parse_webhook_secret(raw: str) -> str | None:
    """Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    raw = raw.strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError("BOT_WEBHOOK_SECRET: use 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return raw or None


def parse_admin_lang(raw: str) -> str:
    lang = raw.strip().lower() or "zh"
    if lang not in ADMIN_LANGUAGES:
        raise ConfigError(f"BOT_ADMIN_LANG: {raw!r} is not one of {', '.join(ADMIN_LANGUAGES)}")
    return lang


def parse_days(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_RECHECK_DAYS
    if not raw.isdigit() or not 0 < int(raw) <= 3660:
        raise ConfigError(f"BOT_RECHECK_DAYS: {raw!r} is not a number of days (1-3660)")
    return int(raw)


def parse_seconds(env: dict[str, str], name: str, default: float) -> float:
    """A non-negative number from `env[name]`; the default when unset or blank."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise ConfigError(f"{name}: {raw!r} should be a number of 0 or more")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_log_level(raw: str) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(f"BOT_LOG_LEVEL: {raw!r} is not one of {', '.join(LOG_LEVELS)}")
    return level
