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

.PHONY: all setup build apps images linker-aot test demo bench clean

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

# linker-aot before images: the app publish that images needs then links with the NativeAOT uk-cc.
build:
	$(DOTNET) build Unikernel.sln -c $(CONFIG) -nologo -clp:NoSummary -v:minimal
	$(MAKE) --no-print-directory linker-aot images

# The sample apps as static executables, published the way users publish theirs (hello.csproj imports
# linker/msbuild/Unikernel.Linker.targets; the properties below are the ones those targets rely on, spelled
# out). Symbols are kept (no -s): in an image, the linker copies the app's function names into uk_ksyms so
# kernel fault reports name app code. The driver is the NativeAOT uk-cc when `linker-aot` built one (it links
# faster), else this configuration's JIT build. dotnet publish is incremental: unchanged, it recompiles and
# relinks nothing. Its intermediate files get their own folder because NativeAOT relinks only when the app's
# objects change, not when linker flags do: sharing them with a plain (stripped) publish of the sample could
# leave a stripped executable here.
SAMPLE_APPS := hello conformance netecho http
apps:
	@driver=$(CURDIR)/$(LINKER_AOT)/uk-cc; [ -x "$$driver" ] || driver=$(CURDIR)/$(BIN)/Unikernel.Linker.Driver/$(CONFIG_DIR)/uk-cc; \
	for app in $(SAMPLE_APPS); do \
	  echo "$(DOTNET) publish samples/$$app -> $(APPS)/$$app"; \
	  $(DOTNET) publish samples/$$app -c $(CONFIG) -r linux-x64 -p:PublishAot=true -p:InvariantGlobalization=true \
	    -p:UnikernelStripSymbols=false -p:UnikernelLinkerDriver=$$driver -p:ArtifactsPath=$(CURDIR)/$(APPS)/build \
	    -nologo -v:minimal -o $(APPS)/$$app || exit 1; \
	done

# The boot stub object, the kernel objects (ILC ran during the build) and the linked images; floor.elf
# is the benchmarks' trivial kernel (one serial byte, then exit); hello.img is the kernel with the hello
# app's segments embedded (--app), which the kernel finds through uk_boot_info; likewise conformance.img.
images: apps
	@mkdir -p $(IMAGES) $(ARTIFACTS)/boot
	$(UKBOOT) -o $(ARTIFACTS)/boot/boot.o
	$(UKLD) -o $(IMAGES)/kernel.elf --map $(IMAGES)/kernel.map $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel.o
	$(UKLD) -o $(IMAGES)/kernel-selftest.elf --map $(IMAGES)/kernel-selftest.map $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel-selftest.o
	$(UKBOOT) --floor -o $(ARTIFACTS)/boot/floor.o
	$(UKLD) -o $(IMAGES)/floor.elf --entry floor_pvh_entry $(ARTIFACTS)/boot/floor.o
	for app in $(SAMPLE_APPS); do \
	  $(UKLD) -o $(IMAGES)/$$app.img --map $(IMAGES)/$$app.map --app $(APPS)/$$app/$$app $(ARTIFACTS)/boot/boot.o $(ARTIFACTS)/kernel/kernel.o || exit 1; \
	done
	@ls -l $(IMAGES)/*.elf $(IMAGES)/*.img | awk '{print "image: " $$NF " (" $$5 " bytes)"}'

# The linker compiled by NativeAOT and linked by itself (through the JIT-compiled uk-cc of `build`): no JIT
# at link time. The same targets any app uses turn the linker projects into static musl executables, and
# those targets then prefer this build of uk-cc.
LINKER_AOT := $(ARTIFACTS)/linker-aot
linker-aot:
	rm -rf $(LINKER_AOT)
	for project in Unikernel.Linker Unikernel.Linker.Driver; do \
	  $(DOTNET) publish linker/$$project -c $(CONFIG) -r linux-x64 -p:PublishAot=true -nologo -v:minimal -o $(LINKER_AOT) \
	    -p:UnikernelLinkerDriver=$(CURDIR)/$(BIN)/Unikernel.Linker.Driver/$(CONFIG_DIR)/uk-cc \
	    -p:CustomAfterMicrosoftCommonTargets=$(CURDIR)/linker/msbuild/Unikernel.Linker.targets || exit 1; \
	done
	@rm -f $(LINKER_AOT)/*.pdb $(LINKER_AOT)/*.runtimeconfig.json   # left by the referenced tools' projects

# Unit tests of every part plus the QEMU integration tests; the last line sums up all test projects.
test: setup build
	@bash tests/install-reference-tools.sh
	@set -o pipefail; $(DOTNET) test Unikernel.sln -c $(CONFIG) --no-build -nologo -v:minimal \
	  --logger "console;verbosity=normal" 2>&1 | tee $(ARTIFACTS)/test.log; status=$$?; \
	  awk '/^ +Passed: [0-9]+$$/ {p += $$2} /^ +Failed: [0-9]+$$/ {f += $$2} \
	       END {printf "tests: %d passed, %d failed\n", p, f}' $(ARTIFACTS)/test.log; \
	  exit $$status

demo: setup build
	@echo "== booting $(IMAGES)/hello.img in QEMU (microvm, TCG, -icount shift=0): the kernel, then the .NET app =="
	$(UK) run $(IMAGES)/hello.img --machine microvm --accel tcg --icount --memory 128M --timeout 60 \
	  -e GREETING="hello from the command line" -e MODE=demo -- first-arg "second arg"; \
	  echo "== the app's exit status: $$? (hello returns its argument count) =="

bench: setup build
	$(DOTNET) run --project benchmarks/Unikernel.Benchmarks -c $(CONFIG) -- boot

clean:
	rm -rf $(ARTIFACTS)
