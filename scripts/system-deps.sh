#!/usr/bin/env bash
# Installs the system packages the project needs (Debian names) when they are missing.
# Usage: scripts/system-deps.sh COMMAND=PACKAGE [COMMAND=PACKAGE ...]
# e.g.   scripts/system-deps.sh java=openjdk-17-jre-headless mvn=maven
set -euo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing system packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]} (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
