"""Runs a built image's command as a process on this machine, as its container would run it.

With `podman run` (or `docker run`) where the container runtime works; where
it does not (crun cannot set rlimits inside some sandboxes), chrooted into the
mounted image, as the image's user, with the image's environment, working
folder and entry point, in a mount namespace of its own. Both share this
machine's network, so the servers are reached on 127.0.0.1. The places the
image writes to (/tmp, its HOME, the handoff folder) are folders of the
caller's, so that a later command (the health check) sees what a server wrote.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import uuid
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple


class ImageRunner:
    def __init__(self, tool: str, tag: str) -> None:
        self.tool, self.tag = tool, tag
        found = json.loads(subprocess.check_output([tool, "image", "inspect", tag]))[0]
        self.config = found["Config"]
        # docker keeps the HEALTHCHECK in Config, podman beside it
        self.healthcheck = self.config.get("Healthcheck") or found.get("Healthcheck") or {}
        self.root: Optional[Path] = None  # the mounted image, in chroot mode
        self.mode = "run" if self._runtime_works() else "chroot"
        self._names: Dict[int, str] = {}  # process id -> container name (run mode)
        if self.mode == "chroot":
            self.root = self.mount()

    # ------------------------------------------------------------ the image

    def _runtime_works(self) -> bool:
        probe = subprocess.run([self.tool, "run", "--rm", "--no-healthcheck", "--network", "host", "--entrypoint", "/bin/true", self.tag],
                               capture_output=True, text=True, timeout=120)
        self.runtime_error = (probe.stderr or probe.stdout).strip()[-300:]
        return probe.returncode == 0

    def mount(self) -> Path:
        """The image's files, mounted read-only (root only)."""
        if self.root is None:
            self.root = Path(subprocess.check_output([self.tool, "image", "mount", self.tag], text=True).strip())
        return self.root

    def user(self) -> Tuple[int, int]:
        """The image's USER as numbers; names are looked up in the image's own /etc/passwd and /etc/group."""
        name, _, group = (self.config.get("User") or "0").partition(":")
        passwd = {fields[0]: fields for fields in self._entries("passwd")}
        if name.isdigit():
            uid = int(name)
            gid = next((int(f[3]) for f in passwd.values() if f[2] == name), uid)
        else:
            uid, gid = int(passwd[name][2]), int(passwd[name][3])
        if group:
            gid = int(group) if group.isdigit() else int({f[0]: f for f in self._entries("group")}[group][2])
        return uid, gid

    def _entries(self, table: str) -> List[List[str]]:
        return [line.split(":") for line in (self.mount() / "etc" / table).read_text().splitlines() if line]

    def env(self) -> Dict[str, str]:
        return dict(item.split("=", 1) for item in self.config.get("Env") or [])

    def close(self) -> None:
        if self.root is not None:
            subprocess.run([self.tool, "image", "unmount", self.tag], capture_output=True)
            self.root = None

    # ------------------------------------------------------------ commands

    def _chroot_command(self, command: Sequence[str], env: Mapping[str, str], writable: Mapping[str, Path]) -> List[str]:
        uid, gid = self.user()
        for folder in writable.values():
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run(["chown", f"{uid}:{gid}", str(folder)], check=True)
        mounts = [f"mount --rbind /dev {shlex.quote(str(self.root / 'dev'))}",
                  f"mount --rbind /proc {shlex.quote(str(self.root / 'proc'))}"]
        mounts += [f"mount --bind {shlex.quote(str(host))} {shlex.quote(str(self.root / inside.lstrip('/')))}"
                   for inside, host in writable.items()]
        variables = [f"{k}={v}" for k, v in {**self.env(), **env}.items()]
        inner = ["chroot", f"--userspec={uid}:{gid}", f"--groups={gid}", str(self.root),
                 "/usr/bin/env", "-i", f"--chdir={self.config.get('WorkingDir') or '/'}", *variables, *command]
        script = " && ".join(mounts) + " && exec " + " ".join(shlex.quote(part) for part in inner)
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script]

    def _container_command(self, command: Sequence[str], env: Mapping[str, str], name: str) -> List[str]:
        return [self.tool, "run", "--rm", "--no-healthcheck", "--name", name, "--network", "host",
                *[f"--env={k}={v}" for k, v in env.items()], "--entrypoint", command[0], self.tag, *command[1:]]

    def command_for(self, args: Sequence[str]) -> List[str]:
        """What the container runs for `args`: the entry point, then `args` or the image's CMD."""
        return [*(self.config.get("Entrypoint") or []), *(args or self.config.get("Cmd") or [])]

    def start(self, args: Sequence[str], env: Mapping[str, str], log: Path,
              writable: Mapping[str, Path]) -> subprocess.Popen:
        """The image's entry point with `args`, in the background; its output in `log`."""
        name = f"callback-companion-{uuid.uuid4().hex[:8]}"
        command = (self._chroot_command(self.command_for(args), env, writable) if self.mode == "chroot"
                   else self._container_command(self.command_for(args), env, name))
        process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._names[process.pid] = name
        return process

    def run(self, command: Sequence[str], env: Mapping[str, str], writable: Mapping[str, Path],
            inside: Optional[subprocess.Popen] = None) -> subprocess.CompletedProcess:
        """`command` to its end; `inside` a started server's container (as `podman exec`, or with its folders)."""
        if self.mode == "chroot":
            full = self._chroot_command(command, env, writable)
        elif inside is not None:
            full = [self.tool, "exec", self._names[inside.pid], *command]
        else:
            full = self._container_command(command, env, f"callback-companion-{uuid.uuid4().hex[:8]}")
        return subprocess.run(full, capture_output=True, text=True, timeout=60)

    def server_pids(self, process: subprocess.Popen) -> List[int]:
        """The process the container runs and all its descendants."""
        if self.mode == "chroot":
            top = process.pid  # unshare, sh, chroot and env each exec the next
        else:
            top = int(subprocess.check_output([self.tool, "inspect", "--format", "{{.State.Pid}}",
                                               self._names[process.pid]], text=True))
        found, queue = [], [top]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue += [int(child) for child in task.read_text().split()]
        return found


def uids(pid: int) -> List[int]:
    """Real, effective, saved and file-system user ids of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(n) for n in line.split()[1:]]
    raise RuntimeError(f"no Uid line for process {pid}")
