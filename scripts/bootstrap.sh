#!/usr/bin/env bash
# Installs what the edge needs on a fresh Debian machine: Debian packages through apt-get when
# absent, then a .venv with the project. A stamp of pyproject.toml skips pip when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1
debian_only=0  # --debian-only: the packages the installed node needs, no venv here
[ "${1:-}" = "--debian-only" ] && debian_only=1

debs=(libzbar0 mosquitto fonts-noto-cjk)  # fonts-noto-cjk: the Chinese label preview
[ $dev = 1 ] && debs+=(chromium systemd libnss3-tools nodejs libfaketime)  # libfaketime: bench/sync_chaos.py
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ $debian_only = 1 ] && exit 0

[ -x .venv/bin/python ] || python3 -m venv .venv
extras="peers"; [ $dev = 1 ] && extras="peers,dev"
stamp=".venv/.haolin-installed-$extras-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  rm -f .venv/.haolin-installed-*
  touch "$stamp"
fi
