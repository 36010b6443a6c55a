#!/usr/bin/env python3
"""The LZ4 sequences of a compressed image's payload (uk-ld --compress; docs/benchmarks.md, "Size"): how many, how many
the kernel's decoder (formats/Lz4BlockDecoder.cs) takes on its fast path (fewer than 15 literals, a match of at most 18
bytes at least 8 back), and where the bytes are. Usage: benchmarks/size/payload-sequences.py IMAGE"""
import struct, sys

b = open(sys.argv[1], 'rb').read()
phoff, = struct.unpack_from('<Q', b, 0x20); phnum, = struct.unpack_from('<H', b, 0x38)
loads = [struct.unpack_from('<IIQQQQQQ', b, phoff + 56 * i) for i in range(phnum)]
p = max((l for l in loads if l[0] == 1), key=lambda l: l[3])[2]
if b[p:p + 8] != b'UKPAYLD1': sys.exit("no payload: link with uk-ld --compress")
_, _, count, regions, region_size = struct.unpack_from('<QIIII', b, p)

def length(ip, n):
    while True:
        more = b[ip]; ip += 1; n += more
        if more != 255: return ip, n

sequences = fast = long_literals = long_matches = literal_bytes = match_bytes = 0
for r in range(count):
    _, _, _, _, offset, size, _, _ = struct.unpack_from('<QQQQIIII', b, p + regions + r * region_size)
    ip, end = p + offset, p + offset + size
    while ip < end:
        token = b[ip]; ip += 1
        literals = token >> 4
        if literals == 15: ip, literals = length(ip, literals)
        ip += literals; literal_bytes += literals
        if ip >= end: break
        back = b[ip] | b[ip + 1] << 8; ip += 2
        match = token & 15
        if match == 15: ip, match = length(ip, match)
        match += 4; match_bytes += match; sequences += 1
        fast += (token >> 4) < 15 and (token & 15) < 15 and back >= 8
        long_literals += (token >> 4) == 15; long_matches += (token & 15) == 15
print(f"{sequences:,} sequences, {fast:,} on the fast path; {long_literals:,} with 15+ literals, {long_matches:,} with 19+ match bytes; "
      f"{literal_bytes:,} literal and {match_bytes:,} match bytes")
