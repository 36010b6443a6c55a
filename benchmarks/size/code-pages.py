#!/usr/bin/env python3
"""How many pages of each executable segment an image runs, boot to exit (docs/benchmarks.md, "Size"): the bound on what
expanding the app's pages on first touch, instead of all of them at boot, could save. QEMU logs every block it executes
(-d exec,nochain); the log (~50 MB for hello) is deleted afterwards. Usage: benchmarks/size/code-pages.py IMAGE"""
import os, struct, subprocess, sys, tempfile

def executable_loads(path):
    b = open(path, 'rb').read()
    phoff, = struct.unpack_from('<Q', b, 0x20); phnum, = struct.unpack_from('<H', b, 0x38)
    for i in range(phnum):
        kind, flags, _, vaddr, _, _, memsz, _ = struct.unpack_from('<IIQQQQQQ', b, phoff + 56 * i)
        if kind == 1 and flags & 1: yield vaddr, memsz

image = sys.argv[1]
segments = list(executable_loads(image))
log = tempfile.NamedTemporaryFile(prefix="uk-pages-", suffix=".log", delete=False).name
try:
    subprocess.run(["timeout", "300", "qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=on", "-accel", "tcg",
                    "-icount", "shift=0", "-cpu", "max", "-m", "128M", "-nodefaults", "-no-user-config", "-nographic",
                    "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", image,
                    "-append", "uk.tsc.khz=1000000", "-d", "exec,nochain", "-D", log], capture_output=True)
    pages = set()
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("Trace "):
                i = line.index("/"); pages.add(int(line[i + 1:line.index("/", i + 1)], 16) >> 12)
finally:
    os.unlink(log)
for vaddr, memsz in segments:
    first, last = vaddr >> 12, (vaddr + memsz - 1) >> 12
    run = sum(1 for p in pages if first <= p <= last)
    print(f"segment 0x{vaddr:x} ({memsz:,} bytes): {run} of {last - first + 1} pages run ({100 * run / (last - first + 1):.0f} %)")
