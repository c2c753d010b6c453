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
# Debian packages the tests use, installed once when missing (CI runs as root): Mosquitto for the
# MQTT tests and benchmark (a real broker), Chromium for the web remote's browser tests
# (Playwright's own browser download is not used), curl for the API docs' examples.
missing=()
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || missing+=(mosquitto)
command -v chromium >/dev/null || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing Debian packages: ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "openchair's tests need these Debian packages: ${missing[*]} (apt-get install as root)" >&2
    fi
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.openchair-installed
want=$(cat pyproject.toml requirements/posture.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip==25.3
    .venv/bin/python -m pip install --quiet -e '.[dev,cluster]'
    # The posture worker's pose model (mediapipe 0.10.21, Google's own wheel) pins numpy<2 in its
    # metadata although its binary runs with numpy 2; it is installed without its declared
    # dependencies, every wheel checked against its hash (docs/POSTURE.md).
    .venv/bin/python -m pip install --quiet --no-deps --require-hashes --only-binary=:all: \
        -r requirements/posture.txt
    echo "$want" > "$stamp"
fi
# Compile the twin's and the supervisor's kernels now (numba caches them next to the source), so
# that the first run, demo or test does not wait for the compiler.
.venv/bin/python -m openchair.warm
