#!/usr/bin/env bash
# Reference tools some tests compare our toolchain against (GNU ld, gcc, musl-gcc). The product
# never uses them; only `make test` installs them. Quiet when everything is there.
set -euo pipefail
declare -A provides=([musl-tools]=/usr/bin/musl-gcc [binutils]=/usr/bin/ld.bfd [gcc]=/usr/bin/gcc)
missing=()
for package in "${!provides[@]}"; do
  [ -e "${provides[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tests: installing reference tools: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
