#!/usr/bin/env python3
"""Writes the seed corpus of the elf_image fuzzer into fuzz/corpus/elf_image/.

  fuzz/elf_image_seeds.py            # rewrites the seeds

Real headers: the first 4 KiB of a few Debian 12 programs (dynamic PIE,
static non-PIE, the dynamic loader itself). Synthetic: one small valid static
image (whole file) and malformed variants, one defect each.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "elf_image")

PT_LOAD, PT_INTERP, PT_GNU_STACK = 1, 3, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4


def elf(phdrs, etype=2, entry=0x401000, cls=2, data=1, machine=62, phnum=None, size=0x3000, blobs=()):
    out = bytearray(size)
    ident = b"\x7fELF" + bytes([cls, data, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, 64, 0, 0, 64, 56,
                              len(phdrs) if phnum is None else phnum, 64, 0, 0)
    out[0:64] = hdr
    for i, (t, f, off, va, fs, ms, al) in enumerate(phdrs):
        out[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", t, f, off, va, va, fs, ms, al)
    for off, b in blobs:
        out[off:off + len(b)] = b
    return bytes(out)


STATIC = [
    (PT_LOAD, PF_R, 0, 0x400000, 0x400, 0x400, 0x1000),
    (PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x800, 0x800, 0x1000),
    (PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 0x80, 0x10000, 0x1000),
    (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
]
INTERP = b"/lib64/ld-linux-x86-64.so.2\0"
DYNAMIC = [
    (PT_INTERP, PF_R, 0x200, 0x200, len(INTERP), len(INTERP), 1),
    (PT_LOAD, PF_R, 0, 0, 0x800, 0x800, 0x1000),
    (PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x900, 0x900, 0x1000),
    (PT_LOAD, PF_R | PF_W, 0x2000, 0x3000, 0x100, 0x2000, 0x1000),
]


def with_(rows, i, **kw):
    rows = list(rows)
    names = ["t", "f", "off", "va", "fs", "ms", "al"]
    row = dict(zip(names, rows[i]))
    row.update(kw)
    rows[i] = tuple(row[n] for n in names)
    return rows


SYNTHETIC = {
    "valid_static": elf(STATIC),
    "valid_dynamic_pie": elf(DYNAMIC, etype=3, entry=0x1000, blobs=[(0x200, INTERP)]),
    "bad_magic": b"\x7fELG" + elf(STATIC)[4:],
    "elf32": elf(STATIC, cls=1),
    "big_endian": elf(STATIC, data=2),
    "aarch64": elf(STATIC, machine=183),
    "truncated_40": elf(STATIC)[:40],
    "huge_phnum": elf(STATIC, phnum=0xFFFF),
    "filesz_gt_memsz": elf(with_(STATIC, 2, fs=0x20000)),
    "overlapping": elf(with_(STATIC, 2, va=0x401800, off=0x2800, fs=0x10)),
    "unsorted": elf([STATIC[1], STATIC[0], STATIC[2]]),
    "misaligned": elf(with_(STATIC, 1, off=0x1010)),
    "wrapping": elf(with_(STATIC, 2, va=0xFFFFFFFFFFFFF000, off=0x2000)),
    "two_interps": elf(DYNAMIC + [DYNAMIC[0]], etype=3, entry=0x1000, blobs=[(0x200, INTERP)]),
    "unterminated_interp": elf(with_(DYNAMIC, 0, fs=len(INTERP) - 1), etype=3, entry=0x1000,
                               blobs=[(0x200, INTERP)]),
    "entry_outside": elf(STATIC, entry=0x500000),
}

REAL = {
    "real_echo_head": "/bin/echo",
    "real_busybox_head": "/bin/busybox",
    "real_ld_so_head": "/lib64/ld-linux-x86-64.so.2",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SYNTHETIC.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    for name, path in REAL.items():
        with open(path, "rb") as src, open(os.path.join(OUT, name), "wb") as f:
            f.write(src.read(4096))


if __name__ == "__main__":
    main()
