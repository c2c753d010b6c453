#!/usr/bin/env bash
# The README's first command: installs what is needed, then runs the massage demo on the twin
# (the Quick program for an average person at 10x real time, with a live terminal view).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/openchair demo "$@"
