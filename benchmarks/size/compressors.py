#!/usr/bin/env python3
# The loaded bytes of an image (PT_LOADs below 4 MiB: the kernel; from 4 MiB: the app, its tables and files) and what
# Debian's lz4, zstd and xz make of each (docs/benchmarks.md, "Size"): benchmarks/size/compressors.py IMAGE
import struct, subprocess, sys
def loads(path):
    b = open(path,'rb').read()
    phoff, = struct.unpack_from('<Q', b, 0x20); phnum, = struct.unpack_from('<H', b, 0x38)
    out = []
    for i in range(phnum):
        t, fl, off, va, pa, fs, ms, al = struct.unpack_from('<IIQQQQQQ', b, phoff + 56*i)
        if t == 1: out.append((va, b[off:off+fs]))
    return out
def sz(data, cmd): return len(subprocess.run(cmd, input=data, capture_output=True, shell=True).stdout)
img = sys.argv[1]
L = loads(img)
kernel = b''.join(d for va, d in L if va < 0x400000)
app = b''.join(d for va, d in L if va >= 0x400000)
for name, d in (('kernel segments', kernel), ('app segments + tables/files', app)):
    print(f"{name}: raw {len(d):,}  lz4-9 {sz(d,'lz4 -9 -c'):,}  lz4-12 {sz(d,'lz4 -12 -c'):,}  zstd-19 {sz(d,'zstd -19 -c'):,}  xz-9 {sz(d,'xz -9e -c'):,}")
