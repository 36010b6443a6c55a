#!/usr/bin/env bash
# Link time of our linker (JIT and self-linked NativeAOT builds) against GNU ld (bfd), gold and lld on
# the same inputs: the NativeAOT object of an app (default samples/hello; try samples/http for a large
# ASP.NET Core object), the runtime archives its publish uses, and musl.
# Usage: benchmarks/link/link-time.sh [samples/NAME]
# Needs `make linker-aot` first, and hyperfine, GNU time, binutils, lld, gcc (for crtbeginT.o/crtend.o, which
# the reference linkers need and ours does not) -- reference tools only, installed here if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
app=${1:-samples/hello}
name=$(basename "$app")
out=$root/artifacts/bench/link/$name
mkdir -p "$out"
for tool in hyperfine ld.lld ld.gold /usr/bin/time; do command -v $tool >/dev/null || { apt-get install -y -qq hyperfine lld binutils time >/dev/null; break; }; done

dotnet publish "$root/$app" -c Release -nologo -v:quiet -p:ArtifactsPath="$out/app" >/dev/null
map=$out/app/bin/$name/release_linux-x64/native/$name.map
musl=/usr/lib/x86_64-linux-musl
gcc=$(dirname "$(gcc -print-libgcc-file-name)")
dotnet "$root/artifacts/dotnet/bin/Unikernel.Boot/release/ukboot.dll" --glibc-compat -o "$out/glibc-compat.o"

# The inputs our link used, from its map: plain objects in order, archives in first-use order.
objects=(); archives=()
while IFS=$'\t' read -r kind path _; do
  [ "$kind" = file ] || continue
  case "$path" in
    "<"*) ;;
    *".a("*) a=${path%%(*}; [[ " ${archives[*]} " == *" $a "* ]] || archives+=("$a") ;;
    *uk-cc-glibc-compat*) objects+=("$out/glibc-compat.o") ;;
    *crtn.o|*crt1.o|*crti.o) ;;
    *) objects+=("$path") ;;
  esac
done < "$map"

ours=(-s -static --gc-sections --build-id "$musl/crt1.o" "$musl/crti.o" "${objects[@]}" --start-group "${archives[@]}" --end-group "$musl/crtn.o")
ref=(-s -static --gc-sections --eh-frame-hdr --build-id "$musl/crt1.o" "$musl/crti.o" "$gcc/crtbeginT.o" "${objects[@]}"
     --start-group "${archives[@]}" --end-group "$gcc/crtend.o" "$musl/crtn.o")
# Kept for profiling one linker alone: uk-ld $(cat "$out/uk-ld.args") --print-pass-times
printf '%s\n' "${ours[*]}" > "$out/uk-ld.args"; printf '%s\n' "${ref[*]}" > "$out/ld.args"
hyperfine -N -w 3 -r 15 --export-markdown "$out/link-time.md" \
  -n "uk-ld (NativeAOT, linked by itself)" "$root/artifacts/linker-aot/uk-ld -o $out/uk-aot ${ours[*]}" \
  -n "uk-ld (JIT)" "$root/artifacts/dotnet/bin/Unikernel.Linker/release/uk-ld -o $out/uk-jit ${ours[*]}" \
  -n "GNU ld (bfd)" "ld.bfd -o $out/bfd ${ref[*]}" \
  -n "gold" "ld.gold -o $out/gold ${ref[*]}" \
  -n "lld" "ld.lld -z nostart-stop-gc -o $out/lld ${ref[*]}"
for f in uk-aot bfd gold lld; do printf '%-8s %9d bytes\n' "$f" "$(stat -c %s "$out/$f")"; done
# Peak memory (maximum resident set, one run each; GNU time).
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
printf 'peak RSS: uk-ld (NativeAOT) %s KiB, GNU ld %s KiB, gold %s KiB, lld %s KiB\n' \
  "$(peak "$root/artifacts/linker-aot/uk-ld" -o "$out/uk-aot" "${ours[@]}")" "$(peak ld.bfd -o "$out/bfd" "${ref[@]}")" \
  "$(peak ld.gold -o "$out/gold" "${ref[@]}")" "$(peak ld.lld -z nostart-stop-gc -o "$out/lld" "${ref[@]}")"
