#!/usr/bin/env bash
# Times `gilsim explore` beside frontrun's DPOR and SPIN on the same counter (N threads x M
# non-atomic increments), end to end (compile included). Usage: scripts/bench_explore.sh
# [TIMEOUT_SECONDS]. Needs: a release build; optional `pip install frontrun` and Debian's
# `spin` + gcc (each tool that is absent is skipped, saying so).
set -uo pipefail
cd "$(dirname "$0")/.."
limit=${1:-600}
gilsim=./target/release/gilsim
[ -x "$gilsim" ] || cargo build --release -q
here=scripts/explore_bench
work=$(mktemp -d)
secs() { # wall seconds of "$@", or "timeout"
  local s e
  s=$(date +%s.%N)
  if timeout "$limit" "$@" >"$work/out" 2>&1; then
    e=$(date +%s.%N); echo "$e - $s" | bc -l | xargs printf "%.2f"
  else
    [ $? -eq 124 ] && echo ">${limit}" || echo "failed"
  fi
}
printf "%-10s %14s %14s %14s\n" "threads×M" "gilsim" "frontrun DPOR" "SPIN (-a+gcc+pan)"
for size in "2 3" "3 3" "4 2"; do
  set -- $size
  g=$(secs "$gilsim" explore scenarios/counter.py -D "THREADS=$1" -D "ITERATIONS=$2")
  if command -v frontrun >/dev/null; then
    f=$(secs frontrun python "$here/frontrun_counter.py" "$1" "$2")
  else
    f="absent"
  fi
  if command -v spin >/dev/null && command -v gcc >/dev/null; then
    (cd "$work" && cp "$OLDPWD/$here/counter.pml" . &&
      s=$(date +%s.%N) &&
      spin -DTHREADS="$1" -DITERATIONS="$2" -a counter.pml >/dev/null &&
      gcc -O2 -DSAFETY -o pan pan.c 2>/dev/null &&
      ./pan -m100000 >pan.out 2>&1 &&
      e=$(date +%s.%N) && echo "$e - $s" | bc -l | xargs printf "%.2f" >"$work/spin")
    sp=$(cat "$work/spin" 2>/dev/null || echo failed)
  else
    sp="absent"
  fi
  printf "%-10s %14s %14s %14s\n" "$1×$2" "$g" "$f" "$sp"
done
rm -rf "$work"
