"""Static checks of the compose files without a container engine (a step of .ci/run).

    python docker/check_compose.py

The compose-spec JSON schema is checked separately (check-jsonschema). This script has
podman-compose parse, interpolate and merge docker-compose.yml alone and with
docker-compose.debug.yml (a YAML error, an undeclared volume or a broken merge fails here), then
checks the resolved files against the promises the README makes:

- only `web` publishes a port (container port 8000); PostgreSQL and Redis stay internal;
- the debug override publishes `db` and `redis` on the loopback interface only;
- every depends_on names a service, and every service reads `.env` only when it exists;
- web's health check is its readiness probe (docker/healthcheck.py ready);
- no password, secret or key is written in the file: such values come through *_FILE variables.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY($|_)", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")


def resolved(*files: str) -> dict:
    args = [arg for name in files for arg in ("-f", name)]
    result = subprocess.run(  # noqa: S603 (fixed argv: this interpreter, no shell)
        [sys.executable, "-m", "podman_compose", "--dry-run", *args, "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"compose: {' + '.join(files)} does not parse: {detail}")
    return yaml.safe_load(result.stdout)


def port_target(entry: str | dict) -> tuple[str, str]:
    """(published part, container port) of a ports entry."""
    if isinstance(entry, dict):
        return str(entry.get("published", "")), str(entry.get("target", ""))
    published, _, target = str(entry).split("/")[0].rpartition(":")
    return published, target


def check_base(config: dict) -> list[str]:
    problems = []
    services = config.get("services") or {}
    for name, service in services.items():
        ports = service.get("ports") or []
        if name == "web":
            if [port_target(p)[1] for p in ports] != ["8000"]:
                problems.append(f"web must publish exactly container port 8000, has {ports}")
        elif ports:
            problems.append(f"{name} publishes {ports}; only web may publish a port")
        for dependency in service.get("depends_on") or {}:
            if dependency not in services:
                problems.append(f"{name} depends on {dependency}, which is not a service")
        env_files = service.get("env_file") or []
        if not any(
            isinstance(e, dict) and e.get("path") == ".env" and e.get("required") is False
            for e in env_files
        ):
            problems.append(f"{name} does not read .env as `required: false`")
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            text = "" if value is None else str(value)
            if SECRET_NAME.search(key) and not key.endswith("_FILE") and text:
                problems.append(f"{name}: {key} is set in the file; give {key}_FILE instead")
            if URL_WITH_PASSWORD.search(text):
                problems.append(f"{name}: {key} carries a password in a URL")
    for needed in ("web", "worker", "beat", "db", "redis"):
        if needed not in services:
            problems.append(f"service {needed} is missing")
    for name in ("db", "redis"):
        if not (services.get(name) or {}).get("healthcheck", {}).get("test"):
            problems.append(f"{name} has no healthcheck")
    web_check = (services.get("web") or {}).get("healthcheck", {}).get("test") or []
    if "ready" not in [str(arg) for arg in web_check]:
        problems.append("web's healthcheck must probe readiness (healthcheck.py ready)")
    return problems


def check_debug(config: dict) -> list[str]:
    problems = []
    services = config.get("services") or {}
    for name in ("db", "redis"):
        ports = (services.get(name) or {}).get("ports") or []
        if not ports:
            problems.append(f"debug override: {name} is not published")
        for entry in ports:
            published, _ = port_target(entry)
            if not published.startswith("127.0.0.1:"):
                problems.append(f"debug override: {name} port {entry} is not loopback-only")
    return problems


def main() -> None:
    problems = check_base(resolved("docker-compose.yml"))
    problems += check_debug(resolved("docker-compose.yml", "docker-compose.debug.yml"))
    for problem in problems:
        print(f"compose: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("compose: docker-compose.yml and docker-compose.debug.yml parse and pass the checks")


if __name__ == "__main__":
    main()
