#!/usr/bin/env bash
# Regenerate requirements.txt, the pinned deployment lock, from pyproject.toml's dependencies.
#   bash tools/lock.sh            rewrite requirements.txt (keeps existing pins that still fit)
#   bash tools/lock.sh --upgrade  move every pin to the newest allowed version
#   bash tools/lock.sh --check    exit 1 when requirements.txt is stale (CI runs this)
# Uses pip-tools' pip-compile from the dev extra and pip's configured index (PyPI, or a cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
COMPILE=(.venv/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links
         --no-emit-options --annotation-style=line)

if [[ "${1:-}" == "--check" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    cp requirements.txt "$tmp/requirements.txt"
    CUSTOM_COMPILE_COMMAND="bash tools/lock.sh" "${COMPILE[@]}" \
        --output-file "$tmp/requirements.txt" pyproject.toml
    if ! diff -u requirements.txt "$tmp/requirements.txt"; then
        echo "requirements.txt is stale: run \`bash tools/lock.sh\` and commit it" >&2
        exit 1
    fi
    echo "requirements.txt is up to date"
    exit 0
fi
CUSTOM_COMPILE_COMMAND="bash tools/lock.sh" exec "${COMPILE[@]}" \
    --output-file requirements.txt "$@" pyproject.toml
