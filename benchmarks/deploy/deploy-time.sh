#!/usr/bin/env bash
# Time from `uk deploy` to "traffic on green" (HAProxy sends the new instances requests) for samples/http on one host:
# v1 is deployed, then v2 over it RUNS times; each deploy's figure is what uk records in the state file
# (lastDeploy.secondsToTraffic: start green, health checks pass, servers added) plus the whole command's wall time
# (which adds draining and stopping blue). The images are samples/http relinked with a baked APP_VERSION (uk-ld
# --env-file, the link command of the last publish), as the blue/green test does.
# Usage: benchmarks/deploy/deploy-time.sh [RUNS] [INSTANCES]   (after `make build`; ACCEL=kvm to use KVM)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
instances=${2:-1}
accel=${ACCEL:-tcg}
uk=(dotnet artifacts/dotnet/bin/Uk/release/uk.dll)
cmdfile=artifacts/apps/build/obj/http/release_linux-x64/unikernel-image.cmd
[ -f "$cmdfile" ] || { echo "deploy-time: $cmdfile is missing: run 'make build' first" >&2; exit 1; }
work=$(mktemp -d /tmp/uk-deploy-bench.XXXXXX)
state="$work/state"
trap '"${uk[@]}" stop bench --state-dir "$state" --stop-timeout 1 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

link() {   # link VERSION: samples/http with APP_VERSION=VERSION baked in
  echo "APP_VERSION=$1" > "$work/$1.env"
  eval "set -- $(sed -e "s|-o \"[^\"]*\"|-o \"$work/$1.img\"|" -e "s|--map \"[^\"]*\"|--map \"$work/$1.img.map\"|" "$cmdfile") --env-file \"$work/$1.env\""
  "$@" >/dev/null
}
link v1
link v2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
common=(--name bench --state-dir "$state" --accel "$accel" --instances "$instances" --stop-timeout 2)
"${uk[@]}" deploy "$work/v1.img" --port "$port" "${common[@]}" 2>/dev/null
echo "deploy-time: samples/http, $instances instance(s), $accel, $(nproc) CPUs; $runs deploys"
for i in $(seq 1 "$runs"); do
  image=$([ $((i % 2)) -eq 1 ] && echo v2 || echo v1)
  start=$(date +%s.%N)
  "${uk[@]}" deploy "$work/$image.img" "${common[@]}" 2>/dev/null >/dev/null
  end=$(date +%s.%N)
  traffic=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["lastDeploy"]["secondsToTraffic"])' "$state/bench/state.json")
  served=$(curl -s "http://127.0.0.1:$port/version")
  printf 'deploy %d: traffic on green after %s s, command done after %.2f s, serving %s\n' "$i" "$traffic" "$(echo "$end - $start" | bc)" "$served"
done
