#!/usr/bin/env bash
# Creates .venv and installs openchair with its pinned dependencies, once.
# Re-runs are cheap: the stamp file records the pyproject it installed from.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "openchair needs Python 3.11; '$PY' is $("$PY" --version 2>&1)." >&2
    exit 1
fi
# The MQTT tests and benchmark run a real Mosquitto broker (Debian package), installed once.
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || {
    apt-get update -qq && apt-get install -y -qq mosquitto >/dev/null
}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.openchair-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip==25.3
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    echo "$want" > "$stamp"
fi
