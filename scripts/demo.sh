#!/usr/bin/env bash
# The README's first command: installs what is needed, then runs the demo on the digital twin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/openchair demo "$@"
