#!/usr/bin/env python3
"""Builds the container image from the Containerfile, with podman or docker, and only when its inputs changed.

    make image                       # python3 scripts/image.py --base docker.io/library/debian:bookworm-slim
    make image BASE=local            # the base built here from Debian's packages (no registry needed)

`--base local` first builds a Debian bookworm base with mmdebstrap (as root)
and imports it as localhost/callback-companion-base:bookworm; it is built once
and reused (`--fresh-base` builds it again, e.g. for security updates).

The inputs are the Containerfile, .containerignore, every file the build
context lets through .containerignore, and the base image. Their hash is kept
in the image's label org.callback-companion.inputs; when the image already
carries the same hash, nothing is built. The build machine's certificate
authorities are lent to the build as the secret `build-ca` (for a
TLS-inspecting proxy in front of the package registries); a secret is never
stored in a layer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
CONTAINERFILE = ROOT / "Containerfile"
IGNORE_FILE = ROOT / ".containerignore"
PUBLIC_BASE = "docker.io/library/debian:bookworm-slim"
LOCAL_BASE = "localhost/callback-companion-base:bookworm"
TAG = "localhost/callback-companion:latest"
INPUTS_LABEL = "org.callback-companion.inputs"
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBIAN_SECURITY = os.environ.get("DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
# like debian:bookworm-slim: no manuals, documentation (but the copyrights) or translations
SLIM_PATHS = ["path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
              "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/locale/*",
              "path-exclude=/usr/share/info/*"]


# ------------------------------------------------------------------ the engine

def engine() -> Optional[str]:
    """podman if installed, else docker if its daemon answers."""
    if shutil.which("podman"):
        return "podman"
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        return "docker"
    return None


def cannot_build(base: str) -> Optional[str]:
    """Why this machine cannot build the image with `base`, or None."""
    if engine() is None:
        return "neither podman nor a running docker daemon (scripts/system-packages.sh installs podman)"
    if base == "local":
        if not shutil.which("mmdebstrap"):
            return "no mmdebstrap to build the local base (scripts/system-packages.sh installs it)"
        if os.geteuid() != 0:
            return "building the local base with mmdebstrap needs root"
    return None


def inspect(tool: str, ref: str) -> Optional[Dict[str, Any]]:
    done = subprocess.run([tool, "image", "inspect", ref], capture_output=True, text=True)
    return json.loads(done.stdout)[0] if done.returncode == 0 else None


def size_bytes(tool: str, ref: str) -> int:
    return int((inspect(tool, ref) or {}).get("Size") or 0)


# ------------------------------------------------------------------ the build context and its hash

def _pattern(text: str) -> re.Pattern:
    """A .containerignore pattern (Go's filepath.Match, plus ** for any folders) as a regular expression."""
    out, i = "", 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(out + "$")


def ignore_rules(ignore_file: Path = IGNORE_FILE) -> List[Tuple[bool, re.Pattern, str]]:
    """(let back in?, pattern, text) for each rule, in order."""
    rules = []
    for line in ignore_file.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        text = os.path.normpath(line[1:] if include else line).lstrip("/")
        rules.append((include, _pattern(text), text))
    return rules


def _ignored(path: str, rules) -> bool:
    # as the engines do: the last rule that matches the path or one of its folders decides
    parents = [path] + ["/".join(path.split("/")[:n]) for n in range(1, path.count("/") + 1)]
    ignored = False
    for include, pattern, _ in rules:
        if any(pattern.match(p) for p in parents):
            ignored = not include
    return ignored


def context_files(root: Path = ROOT, ignore_file: Path = IGNORE_FILE) -> List[str]:
    """The files the build context holds: every file under root that .containerignore lets through."""
    rules = ignore_rules(ignore_file)
    let_back = [text for include, _, text in rules if include]
    files = []
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        rel = "" if rel == "." else rel + "/"
        # skip a folder (.git, .venv, ...) that is ignored and that no rule lets anything back in from
        dirs[:] = [d for d in dirs if not (_ignored(rel + d, rules)
                                           and not any(t.startswith(rel + d + "/") or "*" in t for t in let_back))]
        files += [rel + n for n in names if not _ignored(rel + n, rules)]
    return sorted(files)


def inputs_hash(base_id: str, root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for part in (CONTAINERFILE, IGNORE_FILE):
        digest.update(part.read_bytes())
    digest.update(base_id.encode())
    for name in context_files(root):
        path = root / name
        digest.update(f"\0{name}\0{os.access(path, os.X_OK)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ the base and the build

def build_local_base(tool: str) -> None:
    """Debian bookworm from Debian's packages (mmdebstrap, as root), imported as LOCAL_BASE."""
    sources = [f"deb {DEBIAN_MIRROR} bookworm main", f"deb {DEBIAN_MIRROR} bookworm-updates main",
               f"deb {DEBIAN_SECURITY} bookworm-security main"]
    with tempfile.TemporaryDirectory(prefix="callback-companion-base-") as scratch:
        tarball = Path(scratch) / "base.tar"
        # merged /usr without the usrmerge package (and the perl it pulls in), as Debian's own images
        subprocess.run(["mmdebstrap", "--variant=minbase", "--mode=root", "--quiet",
                        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", '--aptopt=Acquire::Languages "none"',
                        *[f"--dpkgopt={p}" for p in SLIM_PATHS], "bookworm", str(tarball), *sources], check=True)
        subprocess.run([tool, "import", "--change", 'CMD ["/bin/bash"]', str(tarball), LOCAL_BASE],
                       check=True, stdout=subprocess.DEVNULL)


def ca_bundle() -> Optional[Path]:
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def build(base: str = PUBLIC_BASE, tag: str = TAG, force: bool = False, fresh_base: bool = False) -> bool:
    """Builds `tag` unless it already carries the hash of the current inputs; True if it built."""
    reason = cannot_build(base)
    if reason:
        raise RuntimeError(f"cannot build the image here: {reason}")
    tool = engine()
    if base == "local":
        if fresh_base or inspect(tool, LOCAL_BASE) is None:
            print(f"Building the base {LOCAL_BASE} from Debian's packages (mmdebstrap) ...", flush=True)
            build_local_base(tool)
        base = LOCAL_BASE
    found = inspect(tool, base)
    # a base on this machine is named by its id; a registry's by its name (pulled by the build)
    digest = inputs_hash(found["Id"] if found else base)
    current = inspect(tool, tag)
    if not force and current and ((current.get("Config") or {}).get("Labels") or {}).get(INPUTS_LABEL) == digest:
        print(f"{tag} is up to date (inputs {digest[:12]}); {size_bytes(tool, tag) / 1e9:.2f} GB", flush=True)
        return False
    command = [tool, "build", "-f", str(CONTAINERFILE), "-t", tag, "--build-arg", f"BASE={base}",
               "--label", f"{INPUTS_LABEL}={digest}"]
    if tool == "podman":
        # chroot isolation needs no OCI runtime (crun cannot set rlimits on some machines);
        # the docker format keeps HEALTHCHECK, which the OCI format drops
        command += ["--isolation", "chroot", "--format", "docker"]
    bundle = ca_bundle()
    if bundle:
        command += ["--secret", f"id=build-ca,src={bundle}"]
    started = time.monotonic()
    subprocess.run(command + [str(ROOT)], check=True, env={**os.environ, "DOCKER_BUILDKIT": "1"})
    print(f"Built {tag} with {tool} in {time.monotonic() - started:.0f} s: {size_bytes(tool, tag) / 1e9:.2f} GB "
          f"(inputs {digest[:12]})", flush=True)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default=os.environ.get("BASE") or PUBLIC_BASE,
                        help=f"base image, or `local` to build one from Debian's packages (default {PUBLIC_BASE})")
    parser.add_argument("--tag", default=TAG)
    parser.add_argument("--force", action="store_true", help="build even if the inputs are unchanged")
    parser.add_argument("--fresh-base", action="store_true", help="with --base local: build the base again")
    args = parser.parse_args()
    try:
        build(args.base, args.tag, args.force, args.fresh_base)
    except RuntimeError as error:
        sys.exit(str(error))
    except subprocess.CalledProcessError as error:
        hint = "" if args.base == "local" else " (no container registry here? `make image BASE=local` builds the base from Debian's packages)"
        sys.exit(f"{' '.join(error.cmd[:2])} failed with exit code {error.returncode}{hint}")


if __name__ == "__main__":
    main()
