#!/usr/bin/env bash
# What microvm's CMOS RTC (rtc=on, which the kernel reads for its wall clock) costs at boot: QEMU wall
# time to exit for the kernel and for the floor image (QEMU's own cost of the device), rtc=off and rtc=on
# runs interleaved so that machine noise hits both alike, plus the kernel's own "set-up took" figure
# (time set-up, RTC read included) from its boot report. Medians; the first round is not counted.
# Usage: benchmarks/boot/rtc-cost.sh [RUNS]   (needs `make build` or `make images` first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-40}
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m 128M -nodefaults -no-user-config -nographic -no-reboot
      -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for ((run = 0; run <= runs; run++)); do
  for image in kernel floor; do
    for rtc in off on; do
      start=$(date +%s%N)
      console=$("${qemu[@]}" -M "microvm,x-option-roms=off,rtc=$rtc" -kernel "$root/artifacts/images/$image.elf" || true)
      end=$(date +%s%N)
      [ "$run" -eq 0 ] && continue
      echo $(( (end - start) / 1000 )) >> "$out/$image-$rtc"
      setup=$(grep -o 'set-up took [0-9]*' <<< "$console" | grep -o '[0-9]*$' || true)
      [ -n "$setup" ] && echo "$setup" >> "$out/setup-$rtc"
    done
  done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'; }
echo "microvm, TCG, $runs interleaved runs each: QEMU wall time to exit, median (ms)"
printf '| image | rtc=off | rtc=on |\n|---|---:|---:|\n'
for image in kernel floor; do printf '| %s | %s | %s |\n' "$image" "$(median "$out/$image-off")" "$(median "$out/$image-on")"; done
printf '| kernel: time set-up in the guest | %s | %s |\n' "$(median "$out/setup-off")" "$(median "$out/setup-on")"
