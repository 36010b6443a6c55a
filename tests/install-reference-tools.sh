#!/usr/bin/env bash
# Reference tools some tests compare our toolchain against (GNU ld, gcc, musl-gcc). The product
# never uses them; only `make test` installs them. Quiet when everything is there. The static libraries are
# the Debian archives whose glibc symbols the glibc compatibility shim must cover (GlibcCompatShimTests).
set -euo pipefail
declare -A provides=([musl-tools]=/usr/bin/musl-gcc [binutils]=/usr/bin/ld.bfd [gcc]=/usr/bin/gcc
  [zlib1g-dev]=/usr/lib/x86_64-linux-gnu/libz.a [libssl-dev]=/usr/lib/x86_64-linux-gnu/libcrypto.a
  [libicu-dev]=/usr/lib/x86_64-linux-gnu/libicuuc.a [libstdc++-12-dev]=/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a)
# The CycloneDX schema check of the SBOM tests (tests/sbom-schema/validate.js): npm packages pinned by its lock file.
schema_check=$(dirname "$0")/sbom-schema
if command -v npm >/dev/null && [ ! -d "$schema_check/node_modules/ajv" ]; then
  npm ci --prefix "$schema_check" --silent --no-audit --no-fund \
    || echo "tests: npm ci in $schema_check failed: the SBOM tests skip their schema check" >&2
fi
missing=()
for package in "${!provides[@]}"; do
  [ -e "${provides[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tests: installing reference tools: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
