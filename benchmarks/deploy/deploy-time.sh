#!/usr/bin/env bash
# Time from `uk deploy` to "traffic on green" (HAProxy sends the new instances requests) for samples/http on one host,
# with our image and with the boot comparison's Linux microVM (Debian's cloud kernel, our /init, the same http
# executable: `Unikernel.Benchmarks linux-deploy-guest`, deployed with uk deploy's hidden --linux-initrd), interleaved:
# v1 of each is deployed, then v2 over it, v1 over v2, ... RUNS times each, ours then Linux in every round. Each
# deploy's figure is what uk records in the state file (lastDeploy.secondsToTraffic: start green, health checks pass,
# servers added) plus the whole command's wall time (which adds draining and stopping blue) and the load average.
# Our v1/v2 are samples/http relinked with a baked APP_VERSION (uk-ld --env-file, the link command of the last
# publish), as the blue/green test does; the Linux guest gets APP_VERSION with -e (its kernel command line).
# Usage: benchmarks/deploy/deploy-time.sh [RUNS] [INSTANCES]   (after `make build`; ACCEL=kvm to use KVM; LINUX=0: ours only)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
instances=${2:-1}
accel=${ACCEL:-tcg}
linux=${LINUX:-1}
uk=(dotnet artifacts/dotnet/bin/Uk/release/uk.dll)
bench=artifacts/dotnet/bin/Unikernel.Benchmarks/release/Unikernel.Benchmarks.dll
cmdfile=artifacts/apps/build/obj/http/release_linux-x64/unikernel-image.cmd
[ -f "$cmdfile" ] || { echo "deploy-time: $cmdfile is missing: run 'make build' first" >&2; exit 1; }
work=$(mktemp -d /tmp/uk-deploy-bench.XXXXXX)
state="$work/state"
cleanup() {
  for name in bench bench-linux; do "${uk[@]}" stop "$name" --state-dir "$state" --stop-timeout 1 >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

link() {   # link VERSION: samples/http with APP_VERSION=VERSION baked in
  echo "APP_VERSION=$1" > "$work/$1.env"
  eval "set -- $(sed -e "s|-o \"[^\"]*\"|-o \"$work/$1.img\"|" -e "s|--map \"[^\"]*\"|--map \"$work/$1.img.map\"|" "$cmdfile") --env-file \"$work/$1.env\""
  "$@" >/dev/null
}
link v1
link v2
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
common=(--state-dir "$state" --accel "$accel" --instances "$instances" --stop-timeout 2)
ours() { "${uk[@]}" deploy "$work/$1.img" --name bench "${common[@]}" "${@:2}"; }
if [ "$linux" = 1 ]; then
  [ -f "$bench" ] || dotnet build benchmarks/Unikernel.Benchmarks -c Release -nologo -v:quiet >&2
  mapfile -t guest < <(dotnet "$bench" linux-deploy-guest)   # kernel, initramfs, command line
  theirs() { "${uk[@]}" deploy "${guest[0]}" --linux-initrd "${guest[1]}" --linux-append "${guest[2]}" -e "APP_VERSION=$1" --name bench-linux "${common[@]}" "${@:2}"; }
fi
port=$(free_port)
ours v1 --port "$port" 2>/dev/null >/dev/null
if [ "$linux" = 1 ]; then linux_port=$(free_port); theirs v1 --port "$linux_port" 2>/dev/null >/dev/null; fi
echo "deploy-time: samples/http, $instances instance(s), $accel, $(nproc) CPUs; $runs deploys each, interleaved"
echo "| deploy | guest | traffic on green | command done | load average (1 min) |"
echo "|---|---|---:|---:|---:|"
measure() {   # measure ROUND KIND NAME DEPLOY-FUNCTION VERSION
  local start end traffic
  start=$(date +%s.%N)
  "$4" "$5" 2>/dev/null >/dev/null
  end=$(date +%s.%N)
  traffic=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["lastDeploy"]["secondsToTraffic"])' "$state/$3/state.json")
  printf '| %d (%s) | %s | %s s | %.2f s | %s |\n' "$1" "$5" "$2" "$traffic" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
}
for i in $(seq 1 "$runs"); do
  version=$([ $((i % 2)) -eq 1 ] && echo v2 || echo v1)
  measure "$i" "our image" bench ours "$version"
  if [ "$linux" = 1 ]; then measure "$i" "Linux microVM" bench-linux theirs "$version"; fi
done
