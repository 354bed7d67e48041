#!/usr/bin/env python3
"""Writes seed records for fuzz/corpus/trace_record/ (layout: src/trace/ring_format.h)."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "trace_record")
os.makedirs(out, exist_ok=True)


def record(kind, nr, args, ret, payloads=(), flags=0):
    body = b""
    for arg, pkind, pflags, addr, data in payloads:
        padded = data + b"\0" * (-len(data) % 8)
        body += struct.pack("<IBBHQ", len(data), arg, pkind, pflags, addr) + padded
    size = 88 + len(body)
    head = struct.pack("<IHHiiiHH6QqQ", size, kind, flags, 100, 100, nr, len(payloads), 0, *args, ret, 12345)
    return head + body


seeds = {
    "openat": record(2, 257, [0xFFFFFF9C, 0x1000, 0x80000, 0, 0, 0], 3, [(1, 1, 0, 0x1000, b"/etc/ld.so.cache")]),
    "write": record(2, 1, [1, 0x2000, 6, 0, 0, 0], 6, [(1, 3, 0, 0x2000, b"hello\n")]),
    "read_truncated": record(2, 0, [3, 0x3000, 4096, 0, 0, 0], 4096, [(1, 4, 1, 0x3000, b"x" * 32)]),
    "error": record(2, 2, [0x4000, 0, 0, 0, 0, 0], -2, [(0, 1, 0, 0x4000, b"/nope")]),
    "execve_enter": record(3, 59, [0x5000, 0x6000, 0x7000, 0, 0, 0], 0, [(0, 1, 0, 0x5000, b"/bin/true")]),
    "exit_group": record(4, 231, [3, 0, 0, 0, 0, 0], 0),
    "pad": struct.pack("<IHH", 64, 1, 0) + b"\0" * 56,
    # -k: StackRegisters (rip rsp rbp rbx r12-r15) and 64 stack bytes holding return addresses.
    "stack": record(2, 39, [0, 0, 0, 0, 0, 0], 100,
                    [(0, 16, 0, 0x7ffd0000, struct.pack("<8Q", 0x401000, 0x7ffd0000, 0x7ffd0040, 0, 0, 0, 0, 0)
                      + struct.pack("<8Q", 0x401234, 0x7ffd0100, 0x401300, 0, 0x401400, 0, 0, 0))]),
    # A handler's call inside a call of the gate's: two register sets and two stacks (kPayloadStackOuter).
    "stack_outer": record(5, 10, [10, 0, 0, 0, 0, 0], 0,
                          [(0, 16, 2, 0x7ffd0000, struct.pack("<8Q", 0x401000, 0x7ffd0000, 0, 0, 0, 0, 0, 0)
                            + struct.pack("<8Q", 0x402000, 0x7ffe0000, 0, 0, 0, 0, 0, 0)
                            + struct.pack("<Q", 16) + struct.pack("<2Q", 0x401234, 0) + struct.pack("<2Q", 0x402345, 0))]),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
