#!/usr/bin/env bash
# Installs the Debian packages the local stack uses: prometheus (canary analysis), git (pipeline inputs),
# chromium (UI tests). Needs root; without it, prints the command to run and carries on.
set -euo pipefail
want=()
command -v git >/dev/null || want+=(git)
command -v prometheus >/dev/null || [ -x /usr/bin/prometheus ] || want+=(prometheus)
command -v chromium >/dev/null || want+=(chromium)
command -v wrk >/dev/null || want+=(wrk)          # load generator of bench/bench_serving.py
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: missing system packages: ${want[*]}; install them with: sudo apt-get install -y ${want[*]}" >&2
  exit 0
fi
echo "installing system packages: ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
# Debian starts prometheus as a service on install; the stack runs its own on loopback instead.
if command -v systemctl >/dev/null; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
if command -v service >/dev/null; then service prometheus stop >/dev/null 2>&1 || true; fi
