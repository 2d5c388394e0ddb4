#!/usr/bin/env bash
# Set up everything langassist needs on a fresh Debian/Ubuntu machine, idempotently:
# Debian packages (espeak-ng for test speech, sox, Apertium en<->es), a virtual
# environment in .venv, and the package with its extras, with torch pinned by
# constraints.txt (CPU build 2.13.0; torchaudio is never installed).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng sox apertium apertium-eng-spa chromium gcc libc6-dev)  # gcc, libc6-dev: the compiled language ID cascade
EXTRAS="${LANGASSIST_EXTRAS:-models,torch,eval,audit,ray,serve,dev}"
PYTHON="${PYTHON:-python3}"

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.langassist-installed"
# The build hook compiles src/langassist/langid/_cascade.c: a change to it reinstalls too.
wanted="$(cat pyproject.toml constraints.txt hatch_build.py src/langassist/langid/_cascade.c | sha256sum | cut -d' ' -f1) $EXTRAS"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "setup: installing langassist[$EXTRAS] into .venv (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[$EXTRAS]"
  echo "$wanted" > "$stamp"
fi
