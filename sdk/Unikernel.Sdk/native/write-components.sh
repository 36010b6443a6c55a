#!/bin/sh
# Writes components.txt into a folder of the package's prebuilt native libraries: what each archive is, its version,
# licence (SPDX) and purl, read from dpkg and the NativeAOT version when the folder is built, so that the SBOM uk-ld
# writes into every image (docs/sbom.md) copies no version by hand. One tab-separated record a line:
#   component TYPE NAME VERSION LICENSE PURL FILES DESCRIPTION     (FILES: ';'-separated, relative to the folder)
# Usage: write-components.sh icu|openssl|tzdata OUTPUT_DIRECTORY [ILCOMPILER_VERSION]
set -eu
kind=$1 out=$2 ilc=${3:-}
distro="debian-$(. /etc/os-release && echo "$VERSION_ID")"
version() { dpkg-query -W -f='${Version}' "$1"; }
# purl: the version is percent-encoded ('+' and ':' occur in Debian versions).
purl() { printf 'pkg:deb/debian/%s@%s?arch=%s&distro=%s' "$1" "$(version "$1" | sed 's/%/%25/g; s/+/%2B/g; s/:/%3A/g')" \
  "$(dpkg-query -W -f='${Architecture}' "$1")" "$distro"; }
row() { printf 'component\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
shim() { row library "$1" "$ilc" MIT "" "$2" ".NET's $1 shim, compiled from the C sources of runtime.linux-x64.Microsoft.DotNet.ILCompiler $ilc for a static link"; }
{
  echo "# written by sdk/Unikernel.Sdk/native/write-components.sh $kind"
  case $kind in
  icu)
    [ -n "$ilc" ] || { echo "write-components.sh: icu needs the ILCompiler version" >&2; exit 1; }
    shim System.Globalization.Native libSystem.Globalization.Native.a
    row library icu "$(version libicu-dev)" Unicode-DFS-2016 "$(purl libicu-dev)" "libicuuc.a;libicui18n.a;libicudata.a" \
      "ICU's common and i18n libraries and its data (without the items .NET never reads), from Debian's libicu-dev"
    row library libstdc++ "$(version libstdc++-12-dev)" "GPL-3.0-or-later WITH GCC-exception-3.1" "$(purl libstdc++-12-dev)" \
      libstdc++.a "the C++ runtime ICU needs, from Debian's libstdc++-12-dev"
    row library libgcc "$(version libgcc-12-dev)" "GPL-3.0-or-later WITH GCC-exception-3.1" "$(purl libgcc-12-dev)" \
      libgcc_eh.a "the unwinder ICU's C++ code needs, from Debian's libgcc-12-dev" ;;
  openssl)
    [ -n "$ilc" ] || { echo "write-components.sh: openssl needs the ILCompiler version" >&2; exit 1; }
    shim System.Security.Cryptography.Native libSystem.Security.Cryptography.Native.OpenSsl.a
    row library openssl "$(version libssl-dev)" Apache-2.0 "$(purl libssl-dev)" "libssl.a;libcrypto.a" \
      "OpenSSL's libssl and libcrypto, from Debian's libssl-dev" ;;
  tzdata)
    # Listed when the image holds zone files (UnikernelTimeZones=auto leaves them out of an app that reads none).
    row data tzdata "$(version tzdata)" "name:public domain" "$(purl tzdata)" "image:/usr/share/zoneinfo" \
      "the IANA time zone database, /usr/share/zoneinfo from Debian's tzdata" ;;
  *) echo "write-components.sh: unknown kind '$kind' (icu, openssl, tzdata)" >&2; exit 1 ;;
  esac
} >"$out/components.txt.new"
mv "$out/components.txt.new" "$out/components.txt"
