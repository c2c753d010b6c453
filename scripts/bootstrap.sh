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
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.openchair-installed
want=$(cat pyproject.toml requirements/posture.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip==25.3
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    # The posture worker's pose model (mediapipe 0.10.21, Google's own wheel) pins numpy<2 in its
    # metadata although its binary runs with numpy 2; it is installed without its declared
    # dependencies, every wheel checked against its hash (docs/POSTURE.md).
    .venv/bin/python -m pip install --quiet --no-deps --require-hashes --only-binary=:all: \
        -r requirements/posture.txt
    echo "$want" > "$stamp"
fi
# The web remote's browser tests drive Debian's Chromium (Playwright's own download is not used).
# Its API docs' curl examples are run by a test.
for tool in chromium curl; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null
    fi
done
