#!/usr/bin/env bash
# Prints the path of a Python 3.11 interpreter, or explains what to install.
set -euo pipefail
for candidate in "${PYTHON:-}" python3.11 python3 "$HOME/.pyenv/versions/3.11"*/bin/python3.11 /usr/bin/python3.11 /usr/local/bin/python3.11; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
cat >&2 <<'MSG'
Callback Companion needs Python 3.11 (with the venv module), and none was found.
Install it, for example:
  Debian/Ubuntu:  sudo apt-get install python3.11 python3.11-venv
  macOS:          brew install python@3.11
  pyenv:          pyenv install 3.11
or point to one with:  make run PYTHON=/path/to/python3.11
MSG
exit 1
