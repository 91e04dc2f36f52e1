"""The container image for real: built from the Containerfile (only when its inputs changed), its two servers started from it.

The action server and the Rasa server run from the image as its user, with
the image's environment and entry point, against a real PostgreSQL and Redis
on this machine (endpoints.production.yml, as in production). A person says
"hello" over REST, the readiness check answers 200, and the image's own
HEALTHCHECK passes. Nothing in the image may run as root, and nothing of the
build machine (its .venv, build/, models, .env files, certificate
authorities, the test secrets) may be in it.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict

import pytest
import requests

from conftest import ROOT, TEST_SECRETS
from image_runner import ImageRunner, uids
from scripts import image as image_build
from scripts.processes import http_ok, wait_until
from scripts.replicated import DB_NAME, DB_USER, HOST, REDIS_LOCK_DB, Deployment, missing_binaries

TAG = "localhost/callback-companion:smoke-test"
# the places the image writes to; everything else is read-only
WRITABLE = ("/tmp", "/home/companion", "/var/lib/callback-companion")

_cannot = image_build.cannot_build("local") or (
    f"Debian packages missing for the stores: {', '.join(missing_binaries())}" if missing_binaries() else None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_cannot), reason=f"cannot build the image here: {_cannot}"),
    # the first test builds the image: about 7 minutes on a fresh 2-core machine
    pytest.mark.timeout(1800),
]


@pytest.fixture(scope="module")
def runner():
    """The image, built from Debian's packages if its inputs changed, ready to run."""
    started = time.monotonic()
    built = image_build.build(base="local", tag=TAG)
    print(f"\nimage {'built' if built else 'unchanged'} in {time.monotonic() - started:.0f} s")
    running = ImageRunner(image_build.engine(), TAG)
    print(f"servers run with {running.mode}" + (f" (podman run: {running.runtime_error})" if running.mode == "chroot" else ""))
    yield running
    running.close()


@pytest.fixture(scope="module")
def stores():
    deployment = Deployment(base=ROOT / "build" / "image-smoke", fresh=True).start_stores()
    yield deployment
    deployment.stop()


def server_env(stores: Deployment, **extra: str) -> Dict[str, str]:
    """What a clinic's environment file gives both servers: secrets, stores, ports (docs/container.md)."""
    return {
        **TEST_SECRETS,
        "CC_ACTION_ENDPOINT_URL": f"http://{HOST}:{stores.actions_port}/webhook",
        "CC_DB_HOST": HOST, "CC_DB_PORT": str(stores.pg_port), "CC_DB_NAME": DB_NAME, "CC_DB_USER": DB_USER,
        "CC_DB_PASSWORD": "",
        "CC_REDIS_HOST": HOST, "CC_REDIS_PORT": str(stores.redis_port), "CC_REDIS_DB": str(REDIS_LOCK_DB),
        "CC_REDIS_PASSWORD": "",
        # this machine's network is shared with the servers: listen on loopback only
        "CC_INTERFACE": HOST, "SANIC_HOST": HOST,
        "RASA_PORT": str(stores.rasa_ports[0]), "ACTIONS_PORT": str(stores.actions_port),
        **extra,
    }


def writable(tmp_path: Path, name: str) -> Dict[str, Path]:
    return {inside: tmp_path / name / inside.strip("/").replace("/", "-") for inside in WRITABLE}


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_both_servers_run_from_the_image_as_its_user(runner, stores, tmp_path):
    env = server_env(stores)
    actions_log, rasa_log = tmp_path / "actions.log", tmp_path / "rasa.log"
    rasa_places = writable(tmp_path, "rasa")
    actions = runner.start(["actions"], env, actions_log, writable(tmp_path, "actions"))
    rasa = runner.start(["rasa"], env, rasa_log, rasa_places)
    url = f"http://{HOST}:{stores.rasa_ports[0]}"
    try:
        wait_until(lambda: http_ok(f"http://{HOST}:{stores.actions_port}/health"), "the image's action server", 180,
                   (actions, actions_log))
        seconds = wait_until(lambda: http_ok(f"{url}/"), "the image's Rasa server", 300, (rasa, rasa_log))
        print(f"Rasa server from the image ready after {seconds:.0f} s")

        replies = requests.post(f"{url}/webhooks/rest/webhook",
                                json={"sender": f"image-{uuid.uuid4().hex[:8]}", "message": "hello"}, timeout=60)
        assert replies.status_code == 200, replies.text
        answers = [m["custom"].get("answer_id") for m in replies.json() if isinstance(m.get("custom"), dict)]
        assert answers == ["greeting"], replies.json()
        assert any(m.get("text") for m in replies.json()), replies.json()

        health = requests.get(f"{url}/webhooks/health/", timeout=10)
        assert health.status_code == 200, health.text
        # the image's own HEALTHCHECK, run as the container would run it
        check = runner.healthcheck["Test"]
        assert check[0] == "CMD", check
        done = runner.run(check[1:], env, rasa_places, inside=rasa)
        assert done.returncode == 0, done.stderr

        for name, process in (("action server", actions), ("Rasa server", rasa)):
            pids = runner.server_pids(process)
            running_as = {pid: uids(pid) for pid in pids}
            assert all(0 not in ids for ids in running_as.values()), (name, running_as)
            assert {ids[0] for ids in running_as.values()} == {runner.user()[0]}, (name, running_as)
    finally:
        stop(rasa)
        stop(actions)
    assert "Traceback" not in rasa_log.read_text() + actions_log.read_text()


def test_the_image_runs_as_a_user_and_needs_its_secret_from_the_environment(runner, stores, tmp_path):
    uid, gid = runner.user()
    assert uid != 0 and gid != 0
    env = {k: v for k, v in server_env(stores).items() if k != "CC_ID_SECRET"}
    done = runner.run(runner.command_for(["actions"]), env, writable(tmp_path, "no-secret"))
    assert done.returncode == 2 and "CC_ID_SECRET is not set" in done.stderr, done


def test_nothing_of_the_build_machine_is_in_the_image(runner, tmp_path):
    root = runner.mount()
    app = root / "app"
    inside = {str(p.relative_to(app)) for p in app.rglob("*") if p.is_file() or p.is_symlink()}
    products = {"models/callback-companion.tar.gz"}
    spacy = {p for p in inside if p.startswith("build/spacy-en-callback/")}
    compiled = {p for p in inside if "/__pycache__/" in f"/{p}" and p.endswith(".pyc")}
    context = set(image_build.context_files())
    assert spacy and "models/callback-companion.tar.gz" in inside
    # /app holds the project files the build context let through, the pipeline, the model and their bytecode
    assert inside - context - products - spacy - compiled == set()
    assert not any(p.startswith((".venv", "tests/", "logs/", ".git")) or "/.env" in f"/{p}" for p in inside)
    for forbidden in ("build/id-secret", "build/conversations.db", "endpoints.yml"):
        assert forbidden not in inside

    # no compilers, pip caches or root's home from the build stage
    for path in ("usr/bin/gcc", "usr/bin/cc", "root/.cache", "home/companion/.cache", "opt/venv/bin/pip"):
        assert not (root / path).exists(), path
    assert not list((root / "opt/venv").rglob("libclang*.so*"))

    # the build machine's own certificate authorities were lent to the build only
    for extra in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        body = "".join(line for line in extra.read_text().splitlines()[1:-1])
        assert body[:200] not in (root / "etc/ssl/certs/ca-certificates.crt").read_text().replace("\n", ""), extra
    assert not list((root / "usr/local/share/ca-certificates").glob("*"))

    # no secret in the image's settings or history
    history = subprocess.check_output([runner.tool, "history", "--no-trunc", "--format", "{{.CreatedBy}}", TAG], text=True)
    settings = " ".join(runner.config.get("Env") or []) + history
    for secret in TEST_SECRETS.values():
        assert secret not in settings
    assert not any(item.split("=")[0] in TEST_SECRETS or "PASSWORD" in item for item in runner.config.get("Env") or [])

    # and the build context never holds a .env file, even one next to the code
    planted = ROOT / "companion" / ".env"
    planted.write_text("CC_ID_SECRET=planted\n")
    try:
        assert "companion/.env" not in image_build.context_files()
    finally:
        planted.unlink()


def test_an_unchanged_image_is_not_built_again(runner):
    assert image_build.build(base="local", tag=TAG) is False
