#!/usr/bin/env bash
# Debian packages the tests need: Chromium (report/UI tests) and OSMesa (MuJoCo software
# rendering fallback). Installs only what is missing; needs root (or sudo) the first time.
# Quiet: apt's output goes to a log, printed only if the install fails.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s libosmesa6 >/dev/null 2>&1 || need+=(libosmesa6)
dpkg -s libegl1 >/dev/null 2>&1 || need+=(libegl1 libegl-mesa0)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp -t badbench-system-deps.XXXXXX.log)"
echo "installing Debian packages: ${need[*]} (log: $log)"
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "error: could not install ${need[*]}; see the output above" >&2
    exit 1
fi
