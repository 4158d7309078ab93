#!/usr/bin/env bash
# Cross-check badbench's LeRobot v3 files against the real LeRobot (run by hand; not in CI:
# lerobot pins torch<2.11, so it lives in its own venv). Needs `make install` first.
#   bash scripts/interop/run.sh [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-/tmp/badbench-interop}
venv=$work/lerobot-venv
rm -rf "$work/sim" "$work/written_by_lerobot"
mkdir -p "$work"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.9.1 torchvision==0.24.1
  "$venv/bin/pip" install -q 'lerobot==0.4.4'
fi
MUJOCO_GL=${MUJOCO_GL:-egl} "$top/.venv/bin/badbench" generate sim --tasks drawer-open-v3 \
  --episodes-per-mode 1 --resolution 64 --out "$work/sim"
HF_HUB_OFFLINE=1 "$venv/bin/python" "$here/lerobot_side.py" "$work"
"$top/.venv/bin/python" "$here/badbench_side.py" "$work"
