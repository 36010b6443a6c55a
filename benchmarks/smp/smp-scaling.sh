#!/bin/sh
# SMP figures (issue 18, docs/benchmarks.md "Several vCPUs"), after make build:
#  1. CPU-bound speed-up: samples/stress `compute UNITS` (a fixed computation over ProcessorCount workers, Parallel.For)
#     at 1, 2 and 4 vCPUs, ROUNDS boots each, interleaved; the app's own elapsed time and its checksum (which must be
#     the same at every count).
#  2. Boot with 1 vs 4 vCPUs: hello.img, wall time from starting uk run to the app's first line and to its exit
#     (multi-threaded TCG), and the kernel's boot cost and app timing in guest instructions (-icount shift=0, which
#     QEMU runs on one TCG thread for all vCPUs: deterministic, and where starting the APs shows as instructions).
# The machine's load average is printed before and after: on a shared host the wall times say what the host gave.
# Usage: benchmarks/smp/smp-scaling.sh [ROUNDS] [UNITS]   (defaults 3 and 64)
set -eu
rounds=${1:-3}
units=${2:-64}
root=$(cd "$(dirname "$0")/../.." && pwd)
uk="dotnet $root/artifacts/dotnet/bin/Uk/release/uk.dll"
images="$root/artifacts/images"
now() { date +%s.%N; }

echo "host: $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| vCPUs | round | compute elapsed (ms, in the guest) | checksum | wall (s) |"
echo "|---:|---:|---:|---|---:|"
for round in $(seq "$rounds"); do
  for cpus in 1 2 4; do
    start=$(now)
    line=$(timeout 600 $uk run "$images/stress.img" --accel tcg --cpus "$cpus" -m 512M -q -- compute "$units" | grep '^compute:' || true)
    wall=$(echo "$(now) $start" | awk '{ printf "%.1f", $1 - $2 }')
    ms=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
    sum=$(echo "$line" | sed -n 's/.*checksum \([0-9a-f]*\).*/\1/p')
    echo "| $cpus | $round | ${ms:-failed} | ${sum:-} | $wall |"
  done
done

echo
echo "| vCPUs | round | to the app's first line (s) | to exit (s) |"
echo "|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
  for cpus in 1 4; do
    start=$(now)
    timeout 120 $uk run "$images/hello.img" --accel tcg --cpus "$cpus" -q -- a b 2>/dev/null | while IFS= read -r l; do
      [ -n "${first:-}" ] || { first=$(now); echo "$first"; }
    done | head -1 > /tmp/smp-first.$$ || true
    end=$(now)
    echo "| $cpus | $round | $(awk -v s="$start" '{ printf "%.3f", $1 - s }' /tmp/smp-first.$$) | $(echo "$end $start" | awk '{ printf "%.3f", $1 - $2 }') |"
  done
done
rm -f /tmp/smp-first.$$

echo
echo "Guest instructions (-icount shift=0), hello.img:"
for cpus in 1 4; do
  echo "--cpus $cpus:"
  timeout 300 $uk run "$images/hello.img" --accel tcg --icount --cpus "$cpus" -- a b 2>&1 >/dev/null | grep -E 'boot cost|app timing|cpus?:|smp' || true
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
