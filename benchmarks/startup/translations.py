#!/usr/bin/env python3
"""What TCG translates to boot an image and run it to its exit (docs/benchmarks.md, "Where TCG's wall time goes"): the
distinct guest blocks QEMU executes (each translated once, since nothing here invalidates a translation), split into the
kernel's (below 4 MiB: boot stub, kernel) and the app's (the app's segments: the .NET runtime, musl, the app's code), with
the guest bytes they cover. Under TCG a cold block costs microseconds to translate and a warm one nanoseconds to run, so
this count, not the instruction count, is what the wall time follows. QEMU logs every block it executes (-d
exec,nochain); the log is deleted afterwards. Usage: benchmarks/startup/translations.py IMAGE [IMAGE...]"""
import os, subprocess, sys, tempfile

APP_BASE = 0x400000   # docs/boot-abi.md: the kernel's image ends below 4 MiB, the app's segments start there
KERNEL_HALF = 0xFFFF800000000000   # the kernel's direct map (the AP trampoline's and a few others' code runs there)

def firmware(pc):   # microvm's qboot before the PVH entry: the reset vector below 4 GiB and the BIOS area below 1 MiB
    return 0xC0000 <= pc < 0x100000 or 0xFF000000 <= pc < 0x100000000

def blocks(image):
    log = tempfile.NamedTemporaryFile(prefix="uk-tb-", suffix=".log", delete=False).name
    try:
        subprocess.run(["timeout", "300", "qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=on", "-accel", "tcg",
                        "-icount", "shift=0", "-cpu", "max", "-m", "256M", "-nodefaults", "-no-user-config", "-nographic",
                        "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel",
                        image, "-append", "uk.tsc.khz=1000000", "-d", "exec,nochain", "-D", log], capture_output=True)
        seen = {}
        with open(log, errors="replace") as f:
            for line in f:
                # "Trace 0: 0x7f.. [00000000/0000000000101234/00000000/ff020000] symbol" - the second field is the pc
                if line.startswith("Trace "):
                    i = line.index("/")
                    pc = int(line[i + 1:line.index("/", i + 1)], 16)
                    seen[pc] = seen.get(pc, 0) + 1
        return seen
    finally:
        os.unlink(log)

print(f"{'image':<40} {'blocks':>8} {'firmware':>9} {'kernel':>8} {'app':>8} {'executions':>12}")
for image in sys.argv[1:]:
    seen = blocks(image)
    boot = sum(1 for pc in seen if firmware(pc))
    kernel = sum(1 for pc in seen if not firmware(pc) and (pc < APP_BASE or pc >= KERNEL_HALF))
    app = len(seen) - boot - kernel
    print(f"{image:<40} {len(seen):>8,} {boot:>9,} {kernel:>8,} {app:>8,} {sum(seen.values()):>12,}")
