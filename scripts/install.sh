#!/usr/bin/env bash
# `./haolin install`: the node on a real box. The project under /opt/haolin-edge with its own venv,
# the `haolin` user, /etc/haolin-edge/edge.toml from the template (only if absent), the data dir,
# the systemd units (node, sync agent; Debian's Mosquitto) enabled and started, the site CA made,
# and the enrolment address printed. `./haolin uninstall [--purge]` takes it away again, keeping
# settings and data unless --purge. Both are safe to repeat.
#
# HAOLIN_ROOT=/some/dir installs into that directory instead of / (tests, image builds): then no
# user is created, nothing is started, and units are enabled with `systemctl --root` (offline).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
root="${HAOLIN_ROOT:-}"
root="${root%/}"
opt="$root/opt/haolin-edge"
etc="$root/etc/haolin-edge"
data="$root/var/lib/haolin-edge"
units="$root/etc/systemd/system"
user=haolin
services=(haolin-edge.service haolin-sync.service)

say() { echo "haolin install: $*"; }

if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
  echo "haolin install: run as root (sudo ./haolin ${1:-install})" >&2
  exit 1
fi

systemctl_() {  # on the running system, or offline on the prefix
  if [ -n "$root" ]; then
    if command -v systemctl >/dev/null; then systemctl --root="$root" "$@"; fi
  else
    systemctl "$@"
  fi
}

as_user() {  # run a command as the service user (as the caller in a prefix install)
  if [ -n "$root" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

install_node() {
  if [ -z "$root" ]; then
    "$src/scripts/bootstrap.sh" --debian-only
    id -u "$user" >/dev/null 2>&1 ||
      useradd --system --user-group --home-dir /var/lib/haolin-edge --shell /usr/sbin/nologin "$user"
    usermod -a -G dialout "$user"  # serial scanners, refractometers, RS-485 adapters
  fi

  mkdir -p "$opt"
  if [ "$(cd "$opt" && pwd -P)" != "$(cd "$src" && pwd -P)" ]; then
    say "copying the project to $opt"
    find "$opt" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
    tar -C "$src" --exclude=./.venv --exclude=./data --exclude=./.git --exclude=./test-artifacts \
        --exclude=__pycache__ --exclude='*.egg-info' -cf - . | tar -C "$opt" -xf -
  fi
  [ -x "$opt/.venv/bin/python" ] || python3 -m venv "$opt/.venv"
  say "installing the project into $opt/.venv"
  "$opt/.venv/bin/python" -m pip install -q "$opt[peers]"
  rm -rf "$opt/build" "$opt"/*.egg-info

  install -d -m 0750 "$etc" "$data"
  if [ -f "$etc/edge.toml" ]; then
    say "keeping $etc/edge.toml"
  else
    install -m 0640 "$src/scripts/edge.toml.template" "$etc/edge.toml"
    say "wrote $etc/edge.toml from the template: set warehouse_id, hq_url, hq_secret there"
  fi
  if [ -z "$root" ]; then
    chown root:"$user" "$etc" "$etc/edge.toml"
    chown "$user:$user" "$data"
  fi

  install -d "$units"
  install -m 0644 "$src/systemd/"*.service "$units/"
  systemctl_ daemon-reload 2>/dev/null || [ -n "$root" ]
  local enable=("${services[@]}")
  if [ -z "$root" ] || [ -e "$root/usr/lib/systemd/system/mosquitto.service" ]; then enable+=(mosquitto.service); fi
  systemctl_ enable "${enable[@]}"

  say "site CA and server certificate:"
  as_user "$opt/.venv/bin/haolin-edge" --config "$etc/edge.toml" --data-dir "$data" tls show
  if [ -z "$root" ]; then
    systemctl restart mosquitto.service "${services[@]}"
    say "started ${services[*]}; PDAs install the CA from the enrolment page above"
  fi
}

uninstall_node() {
  local purge=0
  [ "${1:-}" = "--purge" ] && purge=1
  if [ -z "$root" ]; then systemctl disable --now "${services[@]}" 2>/dev/null || true
  else systemctl_ disable "${services[@]}" 2>/dev/null || true; fi
  for unit in "${services[@]}"; do rm -f "$units/$unit"; done
  [ -n "$root" ] || systemctl daemon-reload
  rm -rf "$opt"
  if [ $purge = 1 ]; then
    rm -rf "$etc" "$data"
    if [ -z "$root" ] && id -u "$user" >/dev/null 2>&1; then userdel "$user"; fi
    say "removed the node, its settings, its data and the site CA"
  else
    say "removed the node; kept $etc (settings) and $data (database, site CA): --purge removes them"
  fi
}

case "${1:-}" in
  install) install_node ;;
  uninstall) shift; uninstall_node "$@" ;;
  *) echo "usage: scripts/install.sh install | uninstall [--purge]" >&2; exit 2 ;;
esac
