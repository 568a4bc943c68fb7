#!/usr/bin/env bash
# Replays deploy/Dockerfile's steps without a Docker engine: the same files copied into a clean
# folder, the same non-editable `pip install --no-cache-dir .` into a fresh virtual environment,
# then the image's HEALTHCHECK command and the README's first command against a volume-like folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
mkdir -p "$work/src" "$work/data"
# COPY pyproject.toml README.md ./ ; COPY index ./index ; COPY bot ./bot
cp "$repo/pyproject.toml" "$repo/README.md" "$work/src/"
cp -r "$repo/index" "$repo/bot" "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
# RUN pip install --no-cache-dir .
(cd "$work/src" && "$work/venv/bin/pip" install --quiet --no-cache-dir .)
rm -rf "$work/src"
export ARSHIF_DB="$work/data/arshif.db"
cd "$work/data"
# HEALTHCHECK CMD arshif health: before `arshif serve` (or demo) has created the archive it must fail
# with one sentence (the HEALTHCHECK start period covers the first start), never create a file.
if "$work/venv/bin/arshif" health 2>"$work/health.err"; then
    echo "docker steps: health passed on a missing archive" >&2; exit 1
fi
grep -q "no archive at" "$work/health.err" && [ ! -e "$ARSHIF_DB" ]
# The README's first command, on the installed package (bundled samples must be package data).
"$work/venv/bin/arshif" demo >/dev/null
"$work/venv/bin/arshif" health
echo "docker steps: ok"
