#!/usr/bin/env bash
# Create this clone's .venv. The dependencies live in a virtualenv cached outside the clone,
# keyed by requirements.lock, so a fresh clone is ready in seconds once a machine has it;
# .venv itself is a small venv that sees the cached packages and has newswire installed
# in editable mode (so it always runs this clone's code).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
if [ -z "$python" ] || [ "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "3.11" ]; then
  echo "newswire needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

cache=${NEWSWIRE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newswire}
key=$(cat requirements.lock | sha256sum | cut -c1-16)
deps="$cache/venv-deps-$key"

if [ ! -f "$deps/.ready" ]; then
  echo "bootstrap: installing dependencies into $deps (once per machine and lock file)"
  rm -rf "$deps"
  mkdir -p "$cache"
  "$python" -m venv "$deps"
  "$deps/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
  "$deps/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
  touch "$deps/.ready"
fi

stamp=".venv/.newswire-$key"
if [ ! -f "$stamp" ] || [ ! -x .venv/bin/newswire ]; then
  rm -rf .venv
  "$python" -m venv --without-pip .venv
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  deps_site=$("$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$deps_site')" > "$site/newswire-deps.pth"
  for tool in ruff; do ln -sf "$deps/bin/$tool" ".venv/bin/$tool"; done
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
