#!/usr/bin/env bash
# down.sh STATE_DIR - stop what up.sh started (by recorded PID only, after checking the PID still
# runs the binary we started) and delete the state dir. HARNESS_KEEP=1 keeps it (logs).
set -uo pipefail
DIR=${1:?usage: down.sh STATE_DIR}
[[ -d "$DIR" ]] || exit 0
order=(apiserver etcd)
alive() { # alive NAME -> echo pid if that PID still runs the binary we started
  local f=$DIR/$1.pid exe pid; [[ -f $f ]] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(cat "$DIR/$1.exe" 2>/dev/null || true)
  [[ -z $exe ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$exe" || return 1
  echo "$pid"
}
for n in "${order[@]}"; do pid=$(alive "$n") && kill -TERM "$pid" 2>/dev/null; done
for n in "${order[@]}"; do
  for _ in $(seq 1 50); do alive "$n" >/dev/null || break; sleep 0.2; done   # up to 10 s each
  pid=$(alive "$n") && { echo "[k8s-harness] $n ignored SIGTERM, killing" >&2; kill -KILL "$pid" 2>/dev/null; }
done
if [[ -f $DIR/watchdog.pid ]]; then
  wd=$(cat "$DIR/watchdog.pid"); [[ $wd != "$$" && $wd != "$PPID" ]] && kill "$wd" 2>/dev/null
fi
if [[ "${HARNESS_KEEP:-0}" == 1 ]]; then echo "[k8s-harness] kept $DIR" >&2; else rm -rf "$DIR"; fi
exit 0
