"""One-shot secrets-init service of docker-compose.yml: the stack's secrets, made at first start.

Writes into SECRETS_DIR (default /secrets, a named volume) and never prints a value:

    django_secret_key   DJANGO_SECRET_KEY from the environment (.env) when given, else generated
                        once and kept
    db_password         generated once and kept (PostgreSQL applies it when it initialises its
                        volume; remove both volumes together: docker compose down -v)
    redis_password      generated once and kept
    broker_url          redis://:<redis_password>@REDIS_HOST:6379/0, for CELERY_*_FILE
    cache_url           the same Redis, database 1, for DJANGO_CACHE_URL_FILE (throttle counters
                        shared by every web process)
    redis.conf          the broker's configuration, with that password

Files are replaced atomically (write, then rename), so a reader polling for them never sees a
half-written one, and are mode 0444: the containers of this stack run as different users (app,
postgres, redis) and the volume is mounted only into them, read-only everywhere but here.
Values are URL-safe base64, so they need no quoting in a URL or in redis.conf.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

SECRETS_DIR = Path(os.environ.get("SECRETS_DIR", "/secrets"))
REDIS_HOST = os.environ.get("REDIS_HOST", "redis")


def log(message: str) -> None:
    print(f"secrets-init: {message}", file=sys.stderr, flush=True)


def write(name: str, value: str) -> None:
    target = SECRETS_DIR / name
    if target.exists() and target.read_text(encoding="utf-8").strip() == value:
        return
    temporary = SECRETS_DIR / f".{name}.tmp"
    temporary.write_text(value + "\n", encoding="utf-8")
    temporary.chmod(0o444)
    temporary.replace(target)
    log(f"wrote {target}")


def keep_or_generate(name: str, length: int) -> str:
    target = SECRETS_DIR / name
    if target.exists():
        existing = target.read_text(encoding="utf-8").strip()
        if existing:
            return existing
    value = secrets.token_urlsafe(length)
    write(name, value)
    return value


def main() -> None:
    SECRETS_DIR.mkdir(parents=True, exist_ok=True)
    SECRETS_DIR.chmod(0o755)

    given_key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if given_key:
        # The application's settings refuse a placeholder copied from .env.example, loudly.
        write("django_secret_key", given_key)
    else:
        keep_or_generate("django_secret_key", 50)
    keep_or_generate("db_password", 32)
    redis_password = keep_or_generate("redis_password", 32)
    write("broker_url", f"redis://:{redis_password}@{REDIS_HOST}:6379/0")
    write("cache_url", f"redis://:{redis_password}@{REDIS_HOST}:6379/1")
    write(
        "redis.conf",
        "\n".join(
            [
                "# Written by secrets-init; edit docker/init_secrets.py instead.",
                "bind * -::*",
                "port 6379",
                "protected-mode yes",
                f"requirepass {redis_password}",
                "dir /data",
                # Queued tasks and their results survive a broker restart.
                "appendonly yes",
            ]
        ),
    )
    log(f"secrets ready in {SECRETS_DIR}")


if __name__ == "__main__":
    main()
