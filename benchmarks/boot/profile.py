#!/usr/bin/env python3
"""Exact instruction profile of a boot under QEMU -icount shift=0, from the boot stub's entry to the app's
first output line (or any instruction count given): QEMU logs every translated block (-d in_asm: its guest
instructions) and every block execution (-d exec,nochain: its start address); this adds them up per function.

Usage: benchmarks/boot/profile.py IMAGE [--app APP_ELF] [--until N] [--top 40] [-- extra uk run -k options]
  IMAGE    a PVH image (artifacts/images/hello.img); its .symtab names the kernel's functions
  --app    the app's ELF before linking (artifacts/apps/build/bin/<app>/release_linux-x64/native/<app>): its
           symbols name the app's functions; without it they show as [app 0x...]
  --until  instructions after the entry to count (default: the "first output" figure of the boot's own
           app-timing line, i.e. up to the app's first line)
Needs qemu-system-x86_64 and nm (binutils). One run takes ~15 s (the log is ~150 MB, deleted afterwards)."""
import argparse, bisect, collections, os, re, subprocess, sys, tempfile

def symbols(path):
    out = subprocess.run(["nm", "-n", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    table = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return table

def entry_point(path):
    with open(path, "rb") as f:
        head = f.read(64)
    return int.from_bytes(head[24:32], "little")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image"); ap.add_argument("--app"); ap.add_argument("--until", type=int)
    ap.add_argument("--top", type=int, default=40); ap.add_argument("--append", default="")
    ap.add_argument("--memory", default="128M")
    a = ap.parse_args()
    entry = entry_point(a.image)
    table = symbols(a.image) + (symbols(a.app) if a.app else [])
    table.sort()
    addresses = [t[0] for t in table]

    log = tempfile.NamedTemporaryFile(prefix="uk-profile-", suffix=".log", delete=False).name
    try:
        cmd = ["timeout", "300", "qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=on", "-accel", "tcg",
               "-icount", "shift=0", "-cpu", "max", "-m", a.memory, "-nodefaults", "-no-user-config", "-nographic",
               "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-kernel", a.image, "-d", "in_asm,exec,nochain", "-D", log]
        if a.append: cmd += ["-append", a.append]
        console = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
        until = a.until
        if until is None:
            m = re.search(r"first output (\d+)", console)
            if not m: sys.exit("no 'first output' figure in the console; give --until\n" + console[-2000:])
            until = int(m.group(1))
        sizes, counts = {}, collections.Counter()
        total, started, current = 0, False, None
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("Trace "):
                    pc = int(line[line.index("/") + 1:line.index("/", line.index("/") + 1)], 16)
                    if not started:
                        if pc != entry: continue
                        started = True
                    n = sizes.get(pc, 0)
                    counts[pc] += n
                    total += n
                    if total >= until: break
                elif line.startswith("IN:"):
                    current = None
                elif line.startswith("0x") and ":" in line[:20]:
                    pc = int(line[:line.index(":")], 16)
                    if current is None: current = pc; sizes[current] = 0
                    sizes[current] += 1
    finally:
        os.unlink(log)

    per = collections.Counter()
    for pc, n in counts.items():
        i = bisect.bisect_right(addresses, pc) - 1
        name = table[i][1] if i >= 0 and pc - table[i][0] < 0x100000 else f"[0x{pc:x}]"
        per[name] += n
    print(f"{total:,} instructions from the entry (0x{entry:x}) to {until:,}")
    print(f"| instructions | share | function |\n|---:|---:|---|")
    for name, n in per.most_common(a.top):
        print(f"| {n:,} | {100.0 * n / max(total, 1):.1f}% | `{name}` |")

if __name__ == "__main__":
    main()
