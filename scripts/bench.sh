#!/usr/bin/env bash
# Times `gilsim run` beside CPython on the same scenario files (best of N wall-clock runs).
# Usage: scripts/bench.sh [RUNS]   (default 5). Needs a release build: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
gilsim=./target/release/gilsim
[ -x "$gilsim" ] || cargo build --release -q
pythons=()
for v in 3.9 3.11 3.12; do
  p=$(ls -d ~/.pyenv/versions/$v.*/bin/python 2>/dev/null | head -1 || true)
  [ -n "$p" ] && pythons+=("$p")
done
[ ${#pythons[@]} -eq 0 ] && pythons=(python3)
best() { # best wall time in seconds of "$@" over $runs runs
  local b=999
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    b=$(echo "$e - $s" | bc -l | awk -v b="$b" '{ print ($1 < b) ? $1 : b }')
  done
  printf "%.3f" "$b"
}
printf "%-28s %10s %12s" "scenario" "gilsim" "--no-detect"
for p in "${pythons[@]}"; do printf " %12s" "$("$p" -c 'import sys; print("python%d.%d" % sys.version_info[:2])')"; done
echo
for f in counter counter_locked counter_class list_add list_iadd; do
  printf "%-28s %10s %12s" "$f.py" "$(best "$gilsim" run "scenarios/$f.py")" \
    "$(best "$gilsim" run "scenarios/$f.py" --no-detect)"
  for p in "${pythons[@]}"; do printf " %12s" "$(best "$p" "scenarios/$f.py")"; done
  echo
done
