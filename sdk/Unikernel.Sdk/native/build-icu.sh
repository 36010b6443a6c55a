#!/bin/sh
# make icu: the static ICU that Unikernel.Sdk carries in native/icu/ for apps with cultures (InvariantGlobalization not
# true). Third-party C and C++ only, built here once so that the user's publish needs no C compiler:
#   libSystem.Globalization.Native.a  the globalization shim of the NativeAOT host package (runtime.linux-x64.
#       Microsoft.DotNet.ILCompiler, native/src/libs/System.Globalization.Native), built from its own CMakeLists for
#       static ICU (LOCAL_BUILD: no dlopen), as its build-local.sh would during a publish with StaticICULinking, with
#       Debian's gcc against Debian's ICU headers
#   libicui18n.a libicuuc.a            Debian's libicu-dev
#   libicudata.a                       Debian's ICU data without the items .NET never reads (icu-data-removed.txt),
#                                      re-packed by ICU's icupkg and turned into an object by ICU's genccode
#   libstdc++.a libgcc_eh.a            gcc's C++ runtime and unwinder, which ICU's C++ code needs
# Usage: build-icu.sh OUTPUT_DIRECTORY [NUGET_PACKAGES]
set -eu
out=$(realpath -m "$1")   # absolute: the script changes directory
packages=${2:-${NUGET_PACKAGES:-$HOME/.nuget/packages}}
here=$(cd "$(dirname "$0")" && pwd)
icu_libdir=/usr/lib/x86_64-linux-gnu
gcc_libdir=$(dirname "$(gcc -print-file-name=libstdc++.a)")

# The host package the SDK restored (`make linker-aot` publishes with NativeAOT, so it is in the cache): the newest.
shim=$(ls -d "$packages"/runtime.linux-x64.microsoft.dotnet.ilcompiler/*/native/src/libs/System.Globalization.Native 2>/dev/null | sort -V | tail -1)
[ -n "$shim" ] || { echo "build-icu.sh: no ILCompiler host package with System.Globalization.Native in $packages: run 'make linker-aot' first" >&2; exit 1; }
echo "icu: System.Globalization.Native from $shim"

rm -rf "$out"
mkdir -p "$out/shim" "$out/data/full"
cmake -S "$shim" -B "$out/shim" -DLOCAL_BUILD:STRING=1 -DCLR_CMAKE_TARGET_UNIX:STRING=1 -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc >"$out/shim/cmake.log"
make --no-print-directory -s -C "$out/shim" >/dev/null
cp "$out/shim/libSystem.Globalization.Native.a" "$out/"
cp "$icu_libdir/libicui18n.a" "$icu_libdir/libicuuc.a" "$gcc_libdir/libstdc++.a" "$gcc_libdir/libgcc_eh.a" "$out/"

# libicudata.a holds one object whose .rodata is the whole data package (icudt72l.dat, 30 MB) under the symbol ICU
# looks for (icudt72_dat). The .dat package's name must stay the same for icupkg; the symbol for genccode.
cd "$out/data"
object=$(ar t "$icu_libdir/libicudata.a")
ar x "$icu_libdir/libicudata.a" "$object"
package=${object%_dat.o}
symbol=$(nm "$object" | awk '{print $3}')
objcopy -O binary --only-section=.rodata "$object" "full/$package.dat"
# --ignore-deps: brkitr/root.res names the word-break dictionaries, which only word segmentation reads.
icupkg --ignore-deps -r "$here/icu-data-removed.txt" "full/$package.dat" "$package.dat" >/dev/null 2>&1
genccode -a gcc -e "${symbol%_dat}" "$package.dat" >/dev/null
gcc -c -o icudata.o "${package}_dat.S"
ar rcD ../libicudata.a icudata.o
echo "icu: data $(stat -c %s "full/$package.dat") bytes, trimmed to $(stat -c %s "$package.dat") ($(icupkg -l "$package.dat" | wc -l) items)"
cd ..
ilc=${shim#"$packages"/runtime.linux-x64.microsoft.dotnet.ilcompiler/}
"$here/write-components.sh" icu "$out" "${ilc%%/*}"
ls -l ./*.a | awk '{print "icu: " $NF " (" $5 " bytes)"}'
