#!/usr/bin/env bash
# Installs the real components the tests use, when missing (idempotent):
#   Debian: prometheus + promtool, prometheus-alertmanager + amtool
#   PyPI:   rotel (an OpenTelemetry collector) into target/tools-venv
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-tools: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent >/dev/null 2>&1; then
  echo "install-tools: pip install rotel"
  mkdir -p target
  python3 -m venv target/tools-venv
  target/tools-venv/bin/pip install -q --disable-pip-version-check rotel
fi

ROTEL=$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent)
echo "install-tools: prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}'), amtool $(amtool --version 2>&1 | head -1 | awk '{print $3}'), rotel at $ROTEL"
