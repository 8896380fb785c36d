# Sourced by scripts/demo and scripts/test: make .venv with Python 3.11+ and install the project into it.
# Usage: ensure_venv [EXTRAS]   (EXTRAS such as "dev" or "dev,bench")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

ensure_venv() {
    local extras="${1:-}"
    if [ ! -x "$VENV/bin/python" ]; then
        local py="${PYTHON:-python3}"
        "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || { echo "bulk-o2c needs Python 3.11 or newer ($py is older)" >&2; exit 1; }
        "$py" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi
    local spec="$ROOT"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
}
