#!/usr/bin/env python3
"""A replicated Callback Companion on this machine: nginx -> two Rasa servers -> PostgreSQL + Redis.

Everything listens on 127.0.0.1 and lives under build/replicated/: a private
PostgreSQL cluster (pg/), Redis without persistence, one action server, the
Rasa servers (endpoints.production.yml, configured through environment
variables) and nginx in front of them (nginx.conf, generated). Logs are in
build/replicated/logs/.

    make replicated                      # or: .venv/bin/python scripts/replicated.py --port 8080

It waits until every part answers, prints the URL, and stops everything on
Ctrl-C or SIGTERM. Tests use the Deployment class (start()/stop() and a
handle for each process).

PostgreSQL refuses to run as root: as root its commands run as the
`postgres` user (or `nobody`), which owns the data directory, and nginx's
workers run as `nobody`.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import processes  # noqa: E402

DEFAULT_BASE = ROOT / "build" / "replicated"
DEFAULT_MODEL = ROOT / "models" / "callback-companion.tar.gz"
ENDPOINTS = ROOT / "endpoints.production.yml"
HOST = "127.0.0.1"
DB_NAME, DB_USER = "callback_companion", "companion"
REDIS_LOCK_DB = 1
LOCK_KEY_PREFIX = "callbackcompanion:lock:"  # key_prefix in endpoints.production.yml + Rasa's "lock:"
# nginx's limit per client address (limit_req), in front of each server's own limits;
# CC_NGINX_CLIENT_RATE ("5r/s") and CC_NGINX_CLIENT_BURST (30) change it
CLIENT_RATE, CLIENT_BURST = "5r/s", "30"
# how every location passes a request on to the Rasa servers
PROXIED = """\
            proxy_pass http://rasa;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
"""


def free_port() -> int:
    return processes.free_port(HOST)


def postgres_bin() -> Optional[Path]:
    """The directory with initdb and pg_ctl (Debian keeps them out of PATH)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    if dirs:
        return Path(dirs[-1])
    found = shutil.which("pg_ctl")
    return Path(os.path.realpath(found)).parent if found else None


def missing_binaries() -> List[str]:
    """The Debian programs this deployment needs that are not installed."""
    needed = ("redis-server", "redis-cli", "nginx") + (("runuser",) if os.geteuid() == 0 else ())
    missing = [name for name in needed if not shutil.which(name)]
    pg = postgres_bin()
    missing += [f"postgresql ({name})" for name in ("initdb", "pg_ctl", "createdb") if not (pg and (pg / name).exists())]
    return missing


class Deployment:
    """PostgreSQL, Redis, an action server, N Rasa servers and nginx, all on 127.0.0.1."""

    def __init__(
        self,
        base: Path = DEFAULT_BASE,
        model: Path = DEFAULT_MODEL,
        replicas: int = 2,
        port: Optional[int] = None,
        env: Optional[Dict[str, str]] = None,
        fresh: bool = False,
    ) -> None:
        self.base, self.model, self.fresh = Path(base).resolve(), Path(model).resolve(), fresh
        self.logs = self.base / "logs"
        self.pg_data = self.base / "pg"
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.pg_port, self.redis_port, self.actions_port = free_port(), free_port(), free_port()
        self.rasa_ports = [free_port() for _ in range(replicas)]
        self.rasa_urls = [f"http://{HOST}:{p}" for p in self.rasa_ports]
        self.dsn = f"host={HOST} port={self.pg_port} dbname={DB_NAME} user={DB_USER}"
        self.nginx_conf = self.base / "nginx.conf"
        self.access_log = self.logs / "nginx-access.log"
        # handles: Popen objects, and the postmaster's pid (pg_ctl runs it in the background)
        self.redis: Optional[subprocess.Popen] = None
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: List[Optional[subprocess.Popen]] = [None] * replicas
        self.nginx: Optional[subprocess.Popen] = None
        self.postgres_pid: Optional[int] = None
        self.ready_seconds: List[float] = []  # start to ready, per Rasa server
        self._pg_started = False
        self._scratch: Optional[Path] = None  # PostgreSQL's data in /tmp when it cannot reach base
        self._drained: set = set()
        self._user = self._service_user()
        self.env = processes.rasa_env(
            env, SANIC_HOST=HOST,
            CC_ACTION_ENDPOINT_URL=f"http://{HOST}:{self.actions_port}/webhook",
            CC_DB_HOST=HOST, CC_DB_PORT=str(self.pg_port), CC_DB_NAME=DB_NAME, CC_DB_USER=DB_USER, CC_DB_PASSWORD="",
            CC_REDIS_HOST=HOST, CC_REDIS_PORT=str(self.redis_port), CC_REDIS_DB=str(REDIS_LOCK_DB), CC_REDIS_PASSWORD="",
        )
        # nginx, on this machine, passes on the client's address; the Rasa servers count their limits by it
        self.env.setdefault("CC_TRUSTED_PROXIES", HOST)
        self.env.setdefault("CC_HANDOFF_LOG", str(self.base / "handoffs.jsonl"))

    # ---------------------------------------------------------------- start

    def start(self) -> "Deployment":
        self.start_stores()
        try:
            self.actions = self._spawn("actions", processes.action_server_command(self.actions_port))
            started = time.monotonic()
            for i in range(len(self.rasa)):
                self.rasa[i] = self._spawn(f"rasa-{i + 1}",
                                           processes.rasa_server_command(self.model, ENDPOINTS, self.rasa_ports[i]))
            processes.wait_until(lambda: processes.http_ok(f"http://{HOST}:{self.actions_port}/health"), "action server", 120,
                                 (self.actions, self.logs / "actions.log"))
            for i, url in enumerate(self.rasa_urls):
                # Rasa loads the model before it listens: answering / means ready
                processes.wait_until(lambda: processes.http_ok(f"{url}/"), f"Rasa server {i + 1}", 600,
                                     (self.rasa[i], self.logs / f"rasa-{i + 1}.log"))
                self.ready_seconds.append(time.monotonic() - started)
            for url in self.rasa_urls:
                # one real turn proves the whole path: PostgreSQL, Redis and the action server
                reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "readiness-check", "message": "hello"}, timeout=60)
                reply.raise_for_status()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _service_user(self) -> Optional[pwd.struct_passwd]:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise RuntimeError("running as root, but there is neither a postgres nor a nobody user to run PostgreSQL as")

    def _as_service_user(self, command: List[str]) -> List[str]:
        return ["runuser", "-u", self._user.pw_name, "--", *command] if self._user else command

    def _remove_old(self) -> None:
        pid_file = self.pg_data / "postmaster.pid"
        if pid_file.exists():  # a cluster left running by a run that was killed
            subprocess.run(self._as_service_user([str(postgres_bin() / "pg_ctl"), "stop", "-D", str(self.pg_data), "-m", "immediate"]),
                           cwd="/", capture_output=True)
        shutil.rmtree(self.base)

    def _start_postgres(self) -> None:
        pg = postgres_bin()
        if pg is None:
            raise RuntimeError("PostgreSQL is not installed (scripts/system-packages.sh installs it)")
        log = self.logs / "postgres.log"
        if self._user and subprocess.run(self._as_service_user(["test", "-x", str(self.base)]), cwd="/").returncode:
            # the service user cannot reach build/ (e.g. a checkout under /root): data and log go to /tmp
            scratch = Path(tempfile.mkdtemp(prefix="callback-companion-pg-"))
            scratch.chmod(0o755)
            self.pg_data, log, self._scratch = scratch / "pg", scratch / "postgres.log", scratch
            print(f"PostgreSQL data and log in {scratch}: {self._user.pw_name} cannot reach {self.base}", flush=True)
        log.touch()
        new = not (self.pg_data / "PG_VERSION").exists()
        if new:
            self.pg_data.mkdir(parents=True, exist_ok=True)
            self.pg_data.chmod(0o700)
            if self._user:
                os.chown(self.pg_data, self._user.pw_uid, self._user.pw_gid)
            self._run_pg([str(pg / "initdb"), "-D", str(self.pg_data), "-U", DB_USER, "-A", "trust",
                          "-E", "UTF8", "--locale=C"])
            # TCP on 127.0.0.1 only, no Unix socket, trust only from 127.0.0.1
            with open(self.pg_data / "postgresql.conf", "a") as conf:
                conf.write("\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
            (self.pg_data / "pg_hba.conf").write_text("# TYPE DATABASE USER ADDRESS METHOD\nhost all all 127.0.0.1/32 trust\n")
        elif (self.pg_data / "postmaster.pid").exists():
            self._run_pg([str(pg / "pg_ctl"), "stop", "-D", str(self.pg_data), "-m", "fast"], check=False)
        if self._user:
            os.chown(log, self._user.pw_uid, self._user.pw_gid)
        self._run_pg([str(pg / "pg_ctl"), "start", "-w", "-t", "120", "-D", str(self.pg_data), "-l", str(log),
                      "-o", f"-p {self.pg_port}"])
        self._pg_started = True
        self.postgres_pid = int((self.pg_data / "postmaster.pid").read_text().split()[0])
        if new:
            self._run_pg([str(pg / "createdb"), "-h", HOST, "-p", str(self.pg_port), "-U", DB_USER, DB_NAME])

    def _run_pg(self, command: List[str], check: bool = True) -> None:
        done = subprocess.run(self._as_service_user(command), cwd="/", capture_output=True, text=True)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def _start_redis(self) -> None:
        import redis

        self.redis = self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", HOST,
                                           "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.base)])
        client = redis.Redis(host=HOST, port=self.redis_port)
        processes.wait_until(client.ping, "Redis", 30, (self.redis, self.logs / "redis.log"))

    def _start_nginx(self) -> None:
        self._write_nginx_conf()
        (self.base / "nginx-tmp").mkdir(exist_ok=True)
        self.nginx = self._spawn("nginx", ["nginx", "-e", str(self.logs / "nginx-error.log"), "-p", str(self.base),
                                           "-c", str(self.nginx_conf), "-g", "daemon off;"])
        processes.wait_until(lambda: processes.http_ok(f"{self.url}/"), "nginx", 30, (self.nginx, self.logs / "nginx-error.log"))

    def _write_nginx_conf(self) -> None:
        user = ""
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
        servers = "\n".join(
            f"        server {HOST}:{p} max_fails=1 fail_timeout=5s{' down' if i in self._drained else ''};"
            for i, p in enumerate(self.rasa_ports)
        )
        tmp = self.base / "nginx-tmp"
        CLIENT_RATE = self.env.get("CC_NGINX_CLIENT_RATE") or globals()["CLIENT_RATE"]
        CLIENT_BURST = self.env.get("CC_NGINX_CLIENT_BURST") or globals()["CLIENT_BURST"]
        # try the other server when one refuses the connection or does not connect in time; nginx never passes
        # a POST on once it has been sent, so no turn is answered twice
        proxied = PROXIED.rstrip("\n")
        self.nginx_conf.write_text(f"""# Generated by scripts/replicated.py: nginx in front of the Rasa servers.
{user}
worker_processes 1;
pid {self.base / 'nginx.pid'};
error_log {self.logs / 'nginx-error.log'} notice;
events {{ worker_connections 1024; }}
http {{
    # no client address and no query string: nothing that identifies a person
    log_format upstream '$msec $status $request_method $uri upstream=$upstream_addr upstream_status=$upstream_status time=$request_time';
    access_log {self.access_log} upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 1m;

    # per client address, across every Rasa server: {CLIENT_RATE} with a burst of {CLIENT_BURST}, then 429
    limit_req_zone $binary_remote_addr zone=clients:10m rate={CLIENT_RATE};
    limit_req_status 429;

    upstream rasa {{
{servers}
    }}
    server {{
        listen {HOST}:{self.port};
        # the endpoints open to the internet: the REST channel and the chat page's messages
        location ~ ^/webhooks/(rest/webhook|webchat/message) {{
            limit_req zone=clients burst={CLIENT_BURST} nodelay;
            error_page 429 = @too_many;
{proxied}
        }}
        location @too_many {{
            default_type application/json;
            add_header Retry-After 1 always;
            return 429 '{{"error": "Too many messages at once. Please wait a moment and try again.", "retry_after": 1}}';
        }}
        location / {{
{proxied}
        }}
    }}
}}
""")

    def _spawn(self, name: str, command: List[str]) -> subprocess.Popen:
        return processes.spawn(command, self.env, self.logs / f"{name}.log", append=True, own_session=True)

    # ----------------------------------------------------------------- stop

    def set_in_rotation(self, index: int, serving: bool) -> None:
        """Puts a Rasa server in nginx's upstream or marks it down; nginx reloads gracefully."""
        (self._drained.discard if serving else self._drained.add)(index)
        self._write_nginx_conf()
        self.nginx.send_signal(signal.SIGHUP)  # new workers take the new list; old ones finish their requests
        time.sleep(1)

    def stop_rasa(self, index: int, drain: bool = True, timeout: float = 30) -> None:
        """Stops one Rasa server gracefully: nginx stops sending it turns (drain), then SIGTERM.

        Without drain, turns that reach the server in its last moment are cut off
        and nginx answers 502 (it never resends a POST it has sent).
        """
        if drain and self.nginx is not None and self.nginx.poll() is None:
            self.set_in_rotation(index, False)
            time.sleep(1)  # what a Kubernetes preStop sleep does
        _terminate(self.rasa[index], timeout)

    def stop(self) -> None:
        """Stops everything that was started, front to back. Safe to call more than once."""
        _terminate(self.nginx, 10, signal.SIGQUIT)  # SIGQUIT: graceful shutdown
        for process in self.rasa:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.rasa:
            _terminate(process, 30)
        _terminate(self.actions, 20)
        _terminate(self.redis, 10)
        if self._pg_started:
            self._run_pg([str(postgres_bin() / "pg_ctl"), "stop", "-D", str(self.pg_data), "-m", "fast", "-w"], check=False)
            self._pg_started = False
        if self._scratch is not None:  # a new one each start: nothing to keep
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    # ------------------------------------------- parts, for tests that run their own Rasa servers

    def start_stores(self) -> "Deployment":
        """Only PostgreSQL and Redis (the conversation store and the lock store); stop() stops them."""
        atexit.register(self.stop)
        if self.fresh and self.base.exists():
            self._remove_old()
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self._start_postgres()
            self._start_redis()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_postgres(self, mode: str = "fast") -> None:
        """Stops PostgreSQL (a database outage): `fast` ends open connections, `immediate` is a crash."""
        if self._pg_started:
            self._run_pg([str(postgres_bin() / "pg_ctl"), "stop", "-D", str(self.pg_data), "-m", mode, "-w"], check=False)
            self._pg_started = False
            self.postgres_pid = None

    def restart_postgres(self) -> None:
        """Starts the same PostgreSQL cluster again, on the same port, with its data."""
        if self._pg_started:
            return
        log = (self._scratch / "postgres.log") if self._scratch is not None else self.logs / "postgres.log"
        self._run_pg([str(postgres_bin() / "pg_ctl"), "start", "-w", "-t", "120", "-D", str(self.pg_data), "-l", str(log),
                      "-o", f"-p {self.pg_port}"])
        self._pg_started = True
        self.postgres_pid = int((self.pg_data / "postmaster.pid").read_text().split()[0])

    def __enter__(self) -> "Deployment":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _terminate(process: Optional[subprocess.Popen], timeout: float, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)), help="nginx port (default 8080, env PORT)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--base", type=Path, default=DEFAULT_BASE)
    parser.add_argument("--fresh", action="store_true", help="start with an empty database")
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        sys.exit(f"Missing: {', '.join(missing)}. Run `make system-packages`.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deployment = Deployment(args.base, args.model, args.replicas, args.port, fresh=args.fresh)
    print(f"Starting PostgreSQL, Redis, the action server, {args.replicas} Rasa servers and nginx under {deployment.base} ...", flush=True)
    try:
        deployment.start()
        ready = ", ".join(f"{s:.0f} s" for s in deployment.ready_seconds)
        print(f"Ready: {deployment.url}  (REST: {deployment.url}/webhooks/rest/webhook, chat page: {deployment.url}/webhooks/webchat/)\n"
              f"Rasa servers {', '.join(deployment.rasa_urls)} ready after {ready}; PostgreSQL: {deployment.dsn}; "
              f"Redis: {HOST}:{deployment.redis_port}; logs in {deployment.logs}. Ctrl-C stops everything.", flush=True)
        parts = {"nginx": deployment.nginx, "action server": deployment.actions, "Redis": deployment.redis,
                 **{f"Rasa server {i + 1}": p for i, p in enumerate(deployment.rasa)}}
        while True:
            time.sleep(1)
            for name, process in parts.items():
                if process.poll() is not None:
                    sys.exit(f"{name} exited with {process.returncode}; see {deployment.logs}. Stopping.")
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping ...", flush=True)
        deployment.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
