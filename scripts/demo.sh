#!/usr/bin/env bash
# The README's first command: installs what is needed, then runs the demo on the digital twin.
# Until the massage demo exists, the demo is the chair's self-test on the twin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if .venv/bin/openchair demo --help >/dev/null 2>&1; then
    exec .venv/bin/openchair demo "$@"
fi
exec .venv/bin/openchair selftest "$@"
