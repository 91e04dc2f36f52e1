#!/usr/bin/env python3
"""The container image's entry point: which server the image runs, chosen by its command.

    rasa [ARGS]     the Rasa server (the default command): the model CC_MODEL, the
                    endpoints CC_ENDPOINTS (endpoints.production.yml), port RASA_PORT
                    (5005) on CC_INTERFACE (0.0.0.0); ARGS go to `rasa run`
    actions         the action server on ACTIONS_PORT (5055)
    health          exit 0 if the server this container started answers its health
                    check (the Rasa server's /webhooks/health/, the action server's
                    /health): the image's HEALTHCHECK
    anything else   `rasa` with those arguments, as in Rasa's own image (Rasa's Helm
                    chart starts the server with `run --port 5005 ...`)

The servers are started with the commands scripts/processes.py builds, and
replace this process, so they receive the container's signals. Secrets come
only from the environment: without CC_ID_SECRET and CC_ACTIONS_SECRET
neither server starts.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import processes  # noqa: E402

# Written at start-up, read by `health`: the URL that says this container's server is ready.
HEALTH_URL_FILE = Path(os.environ.get("TMPDIR") or "/tmp") / "callback-companion-health-url"
SECRETS_NEEDED = {
    "CC_ID_SECRET": "the key for hashed conversation ids must come from the environment, the same on every server",
    "CC_ACTIONS_SECRET": "the action server refuses calls without it; Rasa sends it (endpoints.production.yml)",
}


def server_command(args: Sequence[str], environ: Dict[str, str]) -> Tuple[List[str], Optional[str]]:
    """(command, health URL) for the image's command line."""
    role, rest = (args[0], list(args[1:])) if args else ("rasa", [])
    if role == "rasa":
        port = int(environ.get("RASA_PORT") or 5005)
        command = processes.rasa_server_command(
            Path(environ.get("CC_MODEL") or processes.ROOT / "models" / "callback-companion.tar.gz"),
            Path(environ.get("CC_ENDPOINTS") or processes.ROOT / "endpoints.production.yml"),
            port, *rest, interface=environ.get("CC_INTERFACE") or "0.0.0.0")
        return command, f"http://127.0.0.1:{port}/webhooks/health/"
    if role == "actions":
        port = int(environ.get("ACTIONS_PORT") or 5055)
        # other containers call it: it listens on CC_INTERFACE, and CC_ACTIONS_SECRET keeps strangers out
        command = processes.action_server_command(port, host=environ.get("CC_INTERFACE") or "0.0.0.0")
        return command + rest, f"http://127.0.0.1:{port}/health"
    # plain Rasa command line, e.g. the Helm chart's `run --port 5005 ...`
    return [*processes.LAUNCHER, *args], (f"http://127.0.0.1:{_option(args, '--port') or 5005}/webhooks/health/"
                                     if args[0] == "run" and "actions" not in args else None)


def _option(args: Sequence[str], name: str) -> Optional[str]:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def health() -> int:
    try:
        url = HEALTH_URL_FILE.read_text().strip()
    except OSError:
        print("no server started in this container yet", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=4) as reply:
            return 0 if reply.status == 200 else 1
    except Exception as error:  # 503, refused, timed out: not healthy
        print(f"{url}: {error}", file=sys.stderr)
        return 1


def main(argv: List[str]) -> int:
    if argv[:1] == ["health"]:
        return health()
    if not argv or argv[0] in ("rasa", "actions", "run"):
        missing = [name for name in SECRETS_NEEDED if not os.environ.get(name)]
        if missing:
            print("; ".join(f"{name} is not set: {SECRETS_NEEDED[name]}" for name in missing)
                  + " (docs/container.md).", file=sys.stderr)
            return 2
    command, health_url = server_command(argv, dict(os.environ))
    if health_url:
        HEALTH_URL_FILE.write_text(health_url)
    env = processes.rasa_env()
    os.chdir(processes.ROOT)
    os.execve(command[0], command, env)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
