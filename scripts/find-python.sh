#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 (3.13 preferred). Never falls back to an older one.
set -euo pipefail
candidates=()
[ -n "${HAFAN_PYTHON:-}" ] && candidates+=("$HAFAN_PYTHON")
candidates+=(python3.13 python3.12)
if command -v pyenv >/dev/null 2>&1; then
  for v in 3.13.0 3.13 3.12.1 3.12; do
    prefix=$(pyenv prefix "$v" 2>/dev/null || true)
    [ -n "$prefix" ] && candidates+=("$prefix/bin/python")
  done
fi
for root in "$HOME/.pyenv/versions" /root/.pyenv/versions; do
  for p in "$root"/3.13*/bin/python "$root"/3.12*/bin/python; do
    [ -x "$p" ] && candidates+=("$p")
  done
done
candidates+=(python3)
for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null || true)
  [ -n "$path" ] || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "Hafan needs Python 3.12 or newer (Django 6 requires it); none was found." >&2
echo "Install one (e.g. 'pyenv install 3.13.0') or set HAFAN_PYTHON=/path/to/python3.13." >&2
exit 1
