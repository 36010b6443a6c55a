#!/bin/sh
# Disk images (docs/disk-images.md, docs/benchmarks.md "Disk images"): the size of each format for samples/hello and
# samples/http, and the wall time from starting QEMU to the kernel's first line and to the app's first line for hello
# booted with -kernel (pc), from a raw disk under SeaBIOS (pc) and under OVMF (q35), interleaved, ROUNDS rounds (TCG).
# Each boot is the QEMU command `uk run --dry-run` prints (the disk's own configuration, so no console tag: the kernel's
# lines start with "uk: "). Usage: benchmarks/disk/disk-boot.sh [ROUNDS]   (after make build)
set -eu
rounds=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
uk="dotnet $root/artifacts/dotnet/bin/Uk/release/uk.dll"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| app | format | file bytes | allocated bytes |"
echo "|---|---|---:|---:|"
for app in hello http; do
  img="$root/artifacts/images/$app.img"
  echo "| $app | ELF image | $(stat -c %s "$img") | $(( $(stat -c %b "$img") * 512 )) |"
  for format in raw qcow2 vhd vhd-dynamic vmdk gce; do
    $uk image "$img" --format "$format" -o "$work/$app.$format"
    echo "| $app | $format | $(stat -c %s "$work/$app.$format") | $(( $(stat -c %b "$work/$app.$format") * 512 )) |"
  done
done

# Prints "KERNEL APP" (seconds from QEMU's start to the first "uk: " line and to the app's first line).
boot() {
  cmd=$($uk run "$@" --accel tcg --dry-run)
  start=$(date +%s.%N)
  eval "timeout 120 $cmd" 2>/dev/null | while IFS= read -r line; do
    case "$line" in
      *"uk: "*) [ -n "${kernel:-}" ] || kernel=$(date +%s.%N) ;;
      *"Hello from a bootable C# app!"*) echo "$kernel $(date +%s.%N)" ;;
    esac
  done | head -1 | awk -v s="$start" '{ printf "%.3f %.3f\n", $1 - s, $2 - s }'
}

echo
echo "| round | boot | to the kernel's first line (s) | to the app's first line (s) |"
echo "|---|---|---:|---:|"
for round in $(seq "$rounds"); do
  echo "| $round | -kernel (pc) | $(boot "$root/artifacts/images/hello.img" --machine pc | sed 's/ / | /') |"
  echo "| $round | raw disk, SeaBIOS (pc) | $(boot "$work/hello.raw" --firmware bios | sed 's/ / | /') |"
  echo "| $round | raw disk, OVMF (q35) | $(boot "$work/hello.raw" --firmware uefi | sed 's/ / | /') |"
done
