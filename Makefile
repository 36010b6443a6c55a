# Unikernel: `make demo` builds a kernel image and boots it; `make test` proves the pipeline.
# Everything is built by the .NET SDK; the only system packages are QEMU (to boot images) and
# musl-dev (libc.a for the app side), which `make setup` installs when missing.

SHELL       := /bin/bash
DOTNET      ?= dotnet
CONFIG      ?= Release
ARTIFACTS   := artifacts
BIN         := $(ARTIFACTS)/dotnet/bin
CONFIG_DIR  := $(shell echo $(CONFIG) | tr A-Z a-z)
UK          := $(DOTNET) $(BIN)/Uk/$(CONFIG_DIR)/uk.dll
UKLD        := $(DOTNET) $(BIN)/Unikernel.Linker/$(CONFIG_DIR)/uk-ld.dll
UKBOOT      := $(DOTNET) $(BIN)/Unikernel.Boot/$(CONFIG_DIR)/ukboot.dll
IMAGES      := $(ARTIFACTS)/images
APPS        := $(ARTIFACTS)/apps
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the build and the tests need, keyed by a file each one provides.
PACKAGES := qemu-system-x86:/usr/bin/qemu-system-x86_64 musl-dev:/usr/lib/x86_64-linux-musl/libc.a
# The integration tests fetch from guests with curl and make tap devices with ip (iproute2).
PACKAGES += curl:/usr/bin/curl iproute2:/usr/sbin/ip
# make bench loads samples/http with wrk (and BlueGreenDeployTests loads uk deploy's load balancer with it).
PACKAGES += wrk:/usr/bin/wrk
# uk deploy runs each deployment's load balancer with Debian's HAProxy (BlueGreenDeployTests, HaproxyRuntimeTests).
PACKAGES += haproxy:/usr/sbin/haproxy
# samples/sqlite links Debian's static SQLite (docs/native-libraries.md).
PACKAGES += libsqlite3-dev:/usr/lib/x86_64-linux-gnu/libsqlite3.a
# make crypto-native: the .NET crypto shim compiled against Debian's OpenSSL (static libssl.a/libcrypto.a), with musl-gcc
# and cmake; ca-certificates is the CA bundle apps can put into their image.
PACKAGES += libssl-dev:/usr/lib/x86_64-linux-gnu/libcrypto.a musl-tools:/usr/bin/musl-gcc cmake:/usr/bin/cmake make:/usr/bin/make
PACKAGES += ca-certificates:/etc/ssl/certs/ca-certificates.crt
# The package carries Debian's zone files (docs/third-party.md), which images get in /usr/share/zoneinfo.
PACKAGES += tzdata:/usr/share/zoneinfo/zone1970.tab
# make icu: ICU's static archives and data tools, and the C compiler for the NativeAOT package's globalization shim.
PACKAGES += libicu-dev:/usr/lib/x86_64-linux-gnu/libicuuc.a icu-devtools:/usr/sbin/icupkg \
  g++:/usr/bin/g++
# The central-logs tests (LogShippingTests) run Debian's rsyslogd as an unprivileged foreground collector (UDP and TCP).
PACKAGES += rsyslog:/usr/sbin/rsyslogd
# The PostgreSQL test (PostgresAppTests) runs a throw-away cluster of Debian's server and reads rows back with its psql.
PACKAGES += postgresql:/usr/lib/postgresql/15/bin/postgres
# CompressionTests hold our LZ4 encoder and decoder to the reference lz4 tool, both ways.
PACKAGES += lz4:/usr/bin/lz4
# The disk format tests read every qcow2/VHD/VMDK file back with qemu-img (Unikernel.Disk.Tests).
PACKAGES += qemu-utils:/usr/bin/qemu-img
# UefiBootTests boots the UEFI loader (BOOTX64.EFI) under Debian's OVMF firmware (also uk run --firmware uefi, DiskBootTests).
PACKAGES += ovmf:/usr/share/OVMF/OVMF_CODE_4M.fd
# The disk layout tests check our GPT and FAT with sgdisk, sfdisk, fsck.fat and mtools.
PACKAGES += gdisk:/usr/sbin/sgdisk fdisk:/usr/sbin/sfdisk dosfstools:/usr/sbin/fsck.fat mtools:/usr/bin/mdir
# uk export's tests (tests/Unikernel.Tools.Tests/Export): libvirt's schema check and a private libvirtd session that boots
# the exported domains (OVMF for UEFI), skopeo and umoci for the containerDisk's OCI layout, PyYAML to read the KubeVirt YAML.
PACKAGES += libvirt-clients:/usr/bin/virt-xml-validate libvirt-daemon:/usr/sbin/libvirtd \
  libvirt-daemon-driver-qemu:/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so \
  skopeo:/usr/bin/skopeo umoci:/usr/bin/umoci python3-yaml:/usr/lib/python3/dist-packages/yaml/__init__.py
# Config drives (ConfigDriveTests, ConfigDriveVolumeTests): NoCloud seeds from cloud-localds (cloud-image-utils; ISO 9660
# through genisoimage, vfat through dosfstools and mtools), OpenStack config-2 ISOs from genisoimage and xorriso.
PACKAGES += cloud-image-utils:/usr/bin/cloud-localds genisoimage:/usr/bin/genisoimage xorriso:/usr/bin/xorriso

.PHONY: bench-baseline
bench-baseline:
	@mkdir -p $(BASELINE)
	cp -p $(IMAGES)/*.img $(IMAGES)/*.map $(BASELINE)/

.PHONY: all setup build boot-objects icu crypto-native crypto-native-build native-components package apps images linker-aot test demo bench bench-smp fuzz clean

all: build

setup:
	@missing=""; for entry in $(PACKAGES); do \
	  [ -e "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "setup: could not install$$missing; install them with apt-get" >&2; exit 1; }; \
	fi

# linker-aot before images: the package that the sample apps' publish uses carries the NativeAOT uk-cc and uk-ld.
build:
	$(DOTNET) build Unikernel.sln -c $(CONFIG) -nologo -clp:NoSummary -v:minimal
	$(MAKE) --no-print-directory linker-aot images

# The boot stub object; floor.o is the benchmarks' trivial kernel (one serial byte, then exit).
boot-objects:
	@mkdir -p $(ARTIFACTS)/boot
	$(UKBOOT) -o $(ARTIFACTS)/boot/boot.o
	$(UKBOOT) --floor -o $(ARTIFACTS)/boot/floor.o

# Cultures: apps that do not set InvariantGlobalization=true link ICU statically (a static musl executable cannot dlopen
# it). sdk/Unikernel.Sdk/native/build-icu.sh builds what the package carries for them in native/icu/ (docs/third-party.md):
# the NativeAOT host package's globalization shim built for static ICU, Debian's ICU archives and trimmed data, and the
# C++ runtime pieces ICU needs. Third-party C only, compiled once here, so the user's publish needs no C compiler.
# Rebuilt when the recipe changes (or after `make clean`).
ICU_NATIVE  := $(ARTIFACTS)/native/icu
ICU_RECIPE  := sdk/Unikernel.Sdk/native/build-icu.sh sdk/Unikernel.Sdk/native/icu-data-removed.txt
icu: setup $(ICU_NATIVE)/built
$(ICU_NATIVE)/built: $(ICU_RECIPE)
	sdk/Unikernel.Sdk/native/build-icu.sh $(ICU_NATIVE) && touch $@

# The Unikernel.Sdk package (sdk/Unikernel.Sdk): its targets, the NativeAOT uk-cc and uk-ld of `linker-aot`, boot.o and
# kernel.o, packed into the local feed artifacts/packages that samples/NuGet.config adds. Its version is
# VersionPrefix-dev-<hash of the packed files>: NuGet extracts a version into its package cache once and never again, so
# new contents get a new version, and unchanged contents keep theirs (nothing re-extracted, the samples' restore stays a
# no-op). The version packed last is in artifacts/packages/Unikernel.Sdk.version.props, which samples/Directory.Build.props
# reads. Older packages are removed from the feed (not from the NuGet cache, which other checkouts may share). The same
# feed carries `uk` as a .NET tool (Unikernel.Tool, versioned the same way: tools/Uk/Uk.csproj).
FEED        := $(ARTIFACTS)/packages
package: boot-objects icu crypto-native native-components
	@mkdir -p $(FEED)
	rm -f $(FEED)/Unikernel.Sdk.*.nupkg $(FEED)/Unikernel.Tool.*.nupkg
	$(DOTNET) pack sdk/Unikernel.Sdk -c $(CONFIG) -nologo -v:minimal -o $(FEED)
	$(DOTNET) pack tools/Uk -c $(CONFIG) -nologo -v:minimal -o $(FEED)

# The version files of what the package carries from Debian and the NativeAOT package (components.txt, read by uk-ld for
# every image's SBOM: docs/sbom.md). build-icu.sh and crypto-native-build write theirs when they build; this writes those
# missing from older artifacts, and tzdata's, which `dotnet pack` copies from /usr/share/zoneinfo at every pack.
COMPONENTS := sdk/Unikernel.Sdk/native/write-components.sh
native-components:
	@mkdir -p $(ARTIFACTS)/native/tzdata
	$(COMPONENTS) tzdata $(ARTIFACTS)/native/tzdata
	@test -f $(ICU_NATIVE)/components.txt || $(COMPONENTS) icu $(ICU_NATIVE) $(ILC_VERSION)
	@test -f $(CRYPTO_NATIVE)/components.txt || $(COMPONENTS) openssl $(CRYPTO_NATIVE) $(ILC_VERSION)

# The static OpenSSL the package carries (native/openssl/ in Unikernel.Sdk): .NET's own crypto shim
# (System.Security.Cryptography.Native, whose C sources ship in the NativeAOT host package, the same version as the
# managed code that calls it), compiled with musl-gcc against Debian's OpenSSL headers for direct calls (no dlopen: its
# FEATURE_DISTRO_AGNOSTIC_SSL stays off), next to Debian's libssl.a and libcrypto.a as they are. Users then link TLS with
# no C compiler: NativeAOT's own StaticOpenSslLinking would run this cmake build in every app's publish.
# The shim's configure step links small test programs against libcrypto.a to see which OpenSSL functions exist; Debian
# built that archive against glibc, so those links get its few glibc-only symbols as aliases (the apps' links get real
# ones from the glibc compatibility shim). OPENSSL_SSL_LIBRARY lists libcrypto.a after libssl.a for the same test links.
CRYPTO_NATIVE   := $(ARTIFACTS)/native/openssl
ILC_VERSION      = $(shell $(DOTNET) msbuild linker/Unikernel.Linker -getProperty:BundledNETCoreAppPackageVersion 2>/dev/null)
ILC_HOST_PACKAGE = $(HOME)/.nuget/packages/runtime.linux-x64.microsoft.dotnet.ilcompiler/$(ILC_VERSION)
OPENSSL_LIBDIR  := /usr/lib/x86_64-linux-gnu
comma := ,
CRYPTO_TEST_LINK_ALIASES := -static -Wl,-u,memcpy,-u,memset,-u,abort,--defsym,__memcpy_chk=memcpy,--defsym,__memset_chk=memset
CRYPTO_TEST_LINK_ALIASES := $(CRYPTO_TEST_LINK_ALIASES)$(subst $() ,,$(foreach s,__fdelt_chk __fprintf_chk __vfprintf_chk __sprintf_chk \
  __strcat_chk __syslog_chk getcontext setcontext makecontext,$(comma)--defsym$(comma)$(s)=abort))
# Rebuilt only when the NativeAOT or the Debian OpenSSL version changes (crypto-versions.txt records both).
crypto-native:
	@test -d "$(ILC_HOST_PACKAGE)/native/src/libs/System.Security.Cryptography.Native" \
	  || { echo "crypto-native: the NativeAOT host package $(ILC_HOST_PACKAGE) is missing: run 'make linker-aot' first" >&2; exit 1; }
	@mkdir -p $(CRYPTO_NATIVE)
	@{ dpkg-query -W -f='openssl (libssl-dev) $${Version}\n' libssl-dev; \
	   echo "System.Security.Cryptography.Native (runtime.linux-x64.Microsoft.DotNet.ILCompiler) $(ILC_VERSION)"; } >$(CRYPTO_NATIVE)/crypto-versions.new
	@if cmp -s $(CRYPTO_NATIVE)/crypto-versions.new $(CRYPTO_NATIVE)/crypto-versions.txt && test -f $(CRYPTO_NATIVE)/libcrypto.a; then \
	  echo "crypto-native: up to date ($$(paste -sd ';' $(CRYPTO_NATIVE)/crypto-versions.txt))"; rm $(CRYPTO_NATIVE)/crypto-versions.new; \
	else $(MAKE) --no-print-directory crypto-native-build; fi

crypto-native-build:
	rm -rf $(CRYPTO_NATIVE)/crypto-build && mkdir -p $(CRYPTO_NATIVE)/crypto-build/include/openssl
	cp /usr/include/openssl/*.h /usr/include/x86_64-linux-gnu/openssl/*.h $(CRYPTO_NATIVE)/crypto-build/include/openssl/
	cmake -S "$(ILC_HOST_PACKAGE)/native/src/libs/System.Security.Cryptography.Native" -B $(CRYPTO_NATIVE)/crypto-build \
	  -DLOCAL_BUILD=1 -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=musl-gcc \
	  -DOPENSSL_INCLUDE_DIR=$(CURDIR)/$(CRYPTO_NATIVE)/crypto-build/include \
	  -DOPENSSL_CRYPTO_LIBRARY=$(OPENSSL_LIBDIR)/libcrypto.a "-DOPENSSL_SSL_LIBRARY=$(OPENSSL_LIBDIR)/libssl.a;$(OPENSSL_LIBDIR)/libcrypto.a" \
	  "-DCMAKE_EXE_LINKER_FLAGS=$(CRYPTO_TEST_LINK_ALIASES)" >$(CRYPTO_NATIVE)/crypto-build/configure.log \
	  || { cat $(CRYPTO_NATIVE)/crypto-build/configure.log >&2; exit 1; }
	$(MAKE) --no-print-directory -s -C $(CRYPTO_NATIVE)/crypto-build
	cp $(CRYPTO_NATIVE)/crypto-build/libSystem.Security.Cryptography.Native.OpenSsl.a $(OPENSSL_LIBDIR)/libssl.a $(OPENSSL_LIBDIR)/libcrypto.a $(CRYPTO_NATIVE)/
	cp /usr/share/doc/libssl-dev/copyright $(CRYPTO_NATIVE)/openssl.copyright
	mv $(CRYPTO_NATIVE)/crypto-versions.new $(CRYPTO_NATIVE)/crypto-versions.txt
	$(COMPONENTS) openssl $(CRYPTO_NATIVE) $(ILC_VERSION)
	@cat $(CRYPTO_NATIVE)/crypto-versions.txt

# The sample apps, published the way users publish theirs: each references Unikernel.Sdk and sets PublishUnikernel, so
# `dotnet publish` makes the static musl executable and links it with the package's boot.o and kernel.o into <app>.img
# (+ <app>.img.map), all in $(APPS)/<app>. Symbols stay in the executable: the image link copies the app's function names
# into uk_ksyms so kernel fault reports name app code. dotnet publish is incremental: unchanged, it recompiles and
# relinks nothing. Its intermediate files get their own folder because NativeAOT relinks only when the app's objects
# change, not when linker flags do: sharing them with a plain publish of the sample could leave a stale executable here.
SAMPLE_APPS := hello conformance netecho http hostile sqlite webapp globalization crypto pgapp stress
apps: package
	@for app in $(SAMPLE_APPS); do \
	  echo "$(DOTNET) publish samples/$$app -p:PublishUnikernel=true -> $(APPS)/$$app"; \
	  $(DOTNET) publish samples/$$app -c $(CONFIG) -p:PublishUnikernel=true -p:ArtifactsPath=$(CURDIR)/$(APPS)/build \
	    -nologo -v:minimal -o $(APPS)/$$app || exit 1; \
	done

# The kernel images (the kernel objects come from ILC during the build; floor.elf is the benchmarks' trivial kernel) and
# the sample apps' images, which their publish linked (`uk-ld boot.o kernel.o --app <app>`), copied to where the tests
# and benchmarks read them: $(IMAGES)/<app>.img and its map $(IMAGES)/<app>.map.
images: apps
	@mkdir -p $(IMAGES)
	$(UKLD) -o $(IMAGES)/kernel.elf --map $(IMAGES)/kernel.map $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel.o
	$(UKLD) -o $(IMAGES)/kernel-selftest.elf --map $(IMAGES)/kernel-selftest.map $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel-selftest.o
	$(UKLD) -o $(IMAGES)/kernel-selftest-beside.elf -s --symbols-file $(IMAGES)/kernel-selftest-beside.elf.syms $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel-selftest.o
	$(UKLD) -o $(IMAGES)/floor.elf --entry floor_pvh_entry $(ARTIFACTS)/boot/floor.o
	@for app in $(SAMPLE_APPS); do \
	  cp -p $(APPS)/$$app/$$app.img $(IMAGES)/$$app.img && cp -p $(APPS)/$$app/$$app.img.map $(IMAGES)/$$app.map || exit 1; \
	  rm -f $(IMAGES)/$$app.img.syms; if [ -f $(APPS)/$$app/$$app.img.syms ]; then cp -p $(APPS)/$$app/$$app.img.syms $(IMAGES)/; fi; \
	done
	@ls -l $(IMAGES)/*.elf $(IMAGES)/*.img | awk '{print "image: " $$NF " (" $$5 " bytes)"}'

# The linker compiled by NativeAOT and linked by itself (through the JIT-compiled uk-cc of `build`): no JIT
# at link time. linker/msbuild/Unikernel.Linker.targets (the package's targets with this checkout's tools) turns the
# linker projects into static musl executables; it and `package` then prefer this build of uk-cc and uk-ld.
LINKER_AOT := $(ARTIFACTS)/linker-aot
linker-aot:
	rm -rf $(LINKER_AOT)
	for project in Unikernel.Linker Unikernel.Linker.Driver; do \
	  $(DOTNET) publish linker/$$project -c $(CONFIG) -r linux-x64 -p:PublishAot=true -nologo -v:minimal -o $(LINKER_AOT) \
	    -p:UnikernelLinkerDriver=$(CURDIR)/$(BIN)/Unikernel.Linker.Driver/$(CONFIG_DIR)/uk-cc \
	    -p:CustomAfterMicrosoftCommonTargets=$(CURDIR)/linker/msbuild/Unikernel.Linker.targets || exit 1; \
	done
	@rm -f $(LINKER_AOT)/*.pdb $(LINKER_AOT)/*.runtimeconfig.json   # left by the referenced tools' projects

# Unit tests of every part plus the QEMU integration tests; the last lines sum up all test projects and name each
# failed test with the start of its message (CI shows only the log's end).
test: setup build
	@bash tests/install-reference-tools.sh
	@set -o pipefail; $(DOTNET) test Unikernel.sln -c $(CONFIG) --no-build -nologo -v:minimal \
	  --logger "console;verbosity=normal" 2>&1 | tee $(ARTIFACTS)/test.log; status=$$?; \
	  awk '/^ +Passed: [0-9]+$$/ {p += $$2} /^ +Failed: [0-9]+$$/ {f += $$2} \
	       n > 0 {failed = failed "    " $$0 "\n"; n--} \
	       /^ +Failed [A-Za-z_]/ {sub(/^ +/, ""); failed = failed "  " $$0 "\n"; n = 6} \
	       END {printf "tests: %d passed, %d failed\n%s", p, f, failed}' $(ARTIFACTS)/test.log; \
	  exit $$status

demo: setup build
	@echo "== booting $(IMAGES)/hello.img in QEMU (microvm, TCG, -icount shift=0): the kernel, then the .NET app =="
	$(UK) run $(IMAGES)/hello.img --machine microvm --accel tcg --icount --memory 128M --timeout 60 \
	  -e GREETING="hello from the command line" -e MODE=demo -- first-arg "second arg"; \
	  echo "== the app's exit status: $$? (hello returns its argument count) =="

# The same app (hello, conformance) as our image, as a Linux microVM (Debian's cloud kernel, fetched with
# apt-get download, + an initramfs with a C# /init), as the QEMU floor and natively: wall time, -icount virtual
# time, smallest RAM, image sizes -> docs/benchmarks.md (generated section) and docs/benchmarks-boot.svg. Then
# samples/http under wrk load in both (`http`: requests/s and latency percentiles -> docs/benchmarks.md); then
# the kernel-alone/pc boot table and BenchmarkDotNet on the image-making steps. `make bench BENCH_ARGS=--quick`:
# 3 runs, a coarser RAM bisection, the comparison and a 3-second http load only. Between the comparison and http: the
# issue-17 before/after table (`startup`: hello, conformance, http against $(BASELINE), ~12 min on 2 busy cores,
# ~4 with --quick; alone: `$(BENCHMARKS) startup --baseline artifacts/baseline`).
BENCH_ARGS ?=
BENCHMARKS := $(DOTNET) run --project benchmarks/Unikernel.Benchmarks -c $(CONFIG) --no-build --
# The images `make bench`'s before/after table (startup, docs/benchmarks.md issue 17) compares with: `make bench-baseline`
# copies the current images there before a change is built (or copy an older build's artifacts/images/*.img).
BASELINE := $(ARTIFACTS)/baseline
bench: setup build
	$(BENCHMARKS) compare $(BENCH_ARGS)
	$(BENCHMARKS) startup $(if $(wildcard $(BASELINE)/*.img),--baseline $(BASELINE)) $(filter --quick,$(BENCH_ARGS))
	$(BENCHMARKS) http $(filter --quick,$(BENCH_ARGS))
	@case " $(BENCH_ARGS) " in *" --quick "*) ;; *) \
	  echo "$(BENCHMARKS) boot && $(BENCHMARKS) image"; $(BENCHMARKS) boot && $(BENCHMARKS) image --filter '*' ;; esac

# Several vCPUs (issue 18; docs/benchmarks.md "Several vCPUs"): samples/http under wrk at 1, 2 and 4 vCPUs in our image
# and the Linux microVM (tap; needs root for the tap device), then the CPU-bound speed-up and the boot at 1 vs 4 vCPUs
# (benchmarks/smp/smp-scaling.sh). Scaling needs idle host cores: a guest with N vCPUs runs N TCG threads plus QEMU's
# I/O thread. Not part of `make bench`; figures go to stdout and artifacts/bench/http-smp.md.
bench-smp: setup build
	$(BENCHMARKS) http --cpus 1,2,4 --networks tap $(filter --quick,$(BENCH_ARGS))
	benchmarks/smp/smp-scaling.sh

# The system call fuzzer of samples/hostile, longer than the integration test's few seeds: FUZZ_SEEDS seeds of
# FUZZ_CALLS calls each from FUZZ_SEED, in one boot of hostile.img (TCG); its summary lines, then the kernel's exit line.
# A hang (no call returning for 10 s) ends the app with status 3; a kernel fault ends QEMU without status 0.
# FUZZ_SKIP=9,10,...: call numbers to leave out, to narrow down which call a failure needs.
FUZZ_SEED  ?= 1000
FUZZ_SEEDS ?= 20
FUZZ_CALLS ?= 20000
FUZZ_SKIP  ?=
fuzz: setup
	@test -f $(IMAGES)/hostile.img || { echo "fuzz: $(IMAGES)/hostile.img is missing: run 'make build' first" >&2; exit 1; }
	@start=$$(date +%s); \
	  out=$$($(UK) run $(IMAGES)/hostile.img --accel tcg --memory 256M --timeout $$(( 60 + $(FUZZ_SEEDS) * 30 )) \
	    -- fuzz $(FUZZ_SEED) $(FUZZ_CALLS) $(FUZZ_SEEDS) $(if $(FUZZ_SKIP),--skip $(FUZZ_SKIP)) 2>&1); status=$$?; \
	  echo "$$out" | grep -E '^(fuzz|uk: (exit|panic|app terminated|fatal))'; \
	  echo "fuzz: $(FUZZ_SEEDS) seeds x $(FUZZ_CALLS) calls in $$(( $$(date +%s) - start )) s wall, uk exit status $$status"; \
	  exit $$status

clean:
	rm -rf $(ARTIFACTS)
