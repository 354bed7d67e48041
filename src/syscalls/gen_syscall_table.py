#!/usr/bin/env python3
"""Generates the C++ syscall table from <asm/unistd_64.h> and signatures.txt.

    gen_syscall_table.py --header /usr/include/x86_64-linux-gnu/asm/unistd_64.h \
                         --signatures signatures.txt --output syscall_table.inc

Numbers come from the installed kernel header, argument names and types from
signatures.txt (its grammar is documented at the top of that file). The output is
a fragment included by syscall_table.cc inside namespace sysgate::syscalls.

The build must not produce a table that silently lacks a syscall, so any mismatch
is an error (exit status 1, one "file:line: message" per problem on stderr):
a header syscall without a signature, a signature for a name the header lacks and
that gives no number, a number that disagrees with the header or is used twice,
an unknown type, a bad length reference, more than six arguments.

Standard library only; output depends only on the inputs (reproducible).
"""

import argparse
import os
import re
import sys

# signatures.txt type name -> ArgType enumerator.
TYPES = {
    "int": "kInt",
    "uint": "kUInt",
    "long": "kLong",
    "ulong": "kULong",
    "size": "kSize",
    "offset": "kOffset",
    "fd": "kFd",
    "dirfd": "kDirFd",
    "path": "kPath",
    "string": "kString",
    "ptr": "kPtr",
    "buf_in": "kBufIn",
    "buf_out": "kBufOut",
    "struct": "kStructPtr",
    "mode": "kMode",
    "open_flags": "kOpenFlags",
    "at_flags": "kAtFlags",
    "prot": "kProt",
    "mmap_flags": "kMmapFlags",
    "signal": "kSignal",
    "clone_flags": "kCloneFlags",
    "fcntl_cmd": "kFcntlCmd",
    "ioctl_cmd": "kIoctlCmd",
    "socket_domain": "kSocketDomain",
    "socket_type": "kSocketType",
    "pid": "kPid",
    "uid": "kUid",
    "prctl_option": "kPrctlOption",
    "madvice": "kMadvice",
    "access_mode": "kAccessMode",
    "whence": "kWhence",
    "sighow": "kSigHow",
    "futex_op": "kFutexOp",
    "arch_prctl": "kArchPrctl",
    "rlimit": "kRlimit",
    "clock_id": "kClockId",
    "wait_options": "kWaitOptions",
    "epoll_op": "kEpollOp",
    "pkey_access": "kPkeyAccess",
    "msg_flags": "kMsgFlags",
    "rename_flags": "kRenameFlags",
    "timer_flags": "kTimerFlags",
    "itimer": "kItimerWhich",
    "prio_which": "kPrioWhich",
    "flock_op": "kFlockOp",
    "rusage_who": "kRusageWho",
    "idtype": "kIdType",
    "mempolicy_mode": "kMempolicyMode",
    "mbind_flags": "kMbindFlags",
    "mempolicy_flags": "kMempolicyFlags",
}
BUFFER_TYPES = ("buf_in", "buf_out")
MAX_ARGS = 6

HEADER_RE = re.compile(r"^#define\s+__NR_(\w+)\s+(\d+)\s*$")
LINE_RE = re.compile(r"^(?:(\d+)\s+)?([A-Za-z_]\w*)\s*\((.*)\)$")
ARG_RE = re.compile(r"^([a-z_]+)(?:\[([A-Za-z_]\w*)\])?\s+([A-Za-z_]\w*)$")


class Errors:
    def __init__(self):
        self.messages = []

    def add(self, where, message):
        self.messages.append(f"{where}: {message}")


def read_header(path, errors):
    """Returns {name: number} from the #define __NR_<name> <number> lines."""
    numbers = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = HEADER_RE.match(line)
            if not m:
                continue
            name, nr = m.group(1), int(m.group(2))
            if name in numbers:
                errors.add(f"{path}:{lineno}", f"__NR_{name} defined twice")
            numbers[name] = nr
    if not numbers:
        errors.add(path, "no '#define __NR_<name> <number>' lines: not a unistd_64.h?")
    return numbers


def parse_args(text, where, errors):
    """Parses 'type[len] name, ...' into [(type, name, length_name or None)]."""
    text = text.strip()
    if not text:
        return []
    args = []
    for part in text.split(","):
        m = ARG_RE.match(part.strip())
        if not m:
            errors.add(where, f"malformed argument '{part.strip()}' (want 'type name' or 'type[len] name')")
            continue
        type_name, length, name = m.group(1), m.group(2), m.group(3)
        if type_name not in TYPES:
            errors.add(where, f"unknown type '{type_name}' for argument '{name}' "
                              f"(known: {', '.join(sorted(TYPES))})")
        if length is not None and type_name not in BUFFER_TYPES:
            errors.add(where, f"argument '{name}': only buf_in/buf_out take a [length]")
        if type_name == "buf_in" and length is None:
            errors.add(where, f"argument '{name}': buf_in needs its length argument, e.g. buf_in[count]")
        args.append((type_name, name, length))
    if len(args) > MAX_ARGS:
        errors.add(where, f"{len(args)} arguments; x86-64 syscalls take at most {MAX_ARGS}")
    names = [a[1] for a in args]
    for name in set(names):
        if names.count(name) > 1:
            errors.add(where, f"argument name '{name}' used twice")
    resolved = []
    for type_name, name, length in args:
        length_index = -1
        if length is not None:
            if length not in names:
                errors.add(where, f"argument '{name}': length argument '{length}' is not a parameter")
            elif length == name:
                errors.add(where, f"argument '{name}' cannot be its own length")
            else:
                length_index = names.index(length)
        resolved.append((type_name, name, length_index))
    return resolved


def read_signatures(path, header, errors):
    """Returns [(nr, name, args, in_header)] for every line of signatures.txt."""
    entries = []
    seen = {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"{path}:{lineno}"
            m = LINE_RE.match(line)
            if not m:
                errors.add(where, f"cannot parse '{line}' (want '[number] name(type name, ...)')")
                continue
            explicit, name, arg_text = m.group(1), m.group(2), m.group(3)
            if name in seen:
                errors.add(where, f"'{name}' already has a signature at line {seen[name]}")
                continue
            seen[name] = lineno
            args = parse_args(arg_text, where, errors)
            in_header = name in header
            if in_header:
                nr = header[name]
                if explicit is not None and int(explicit) != nr:
                    errors.add(where, f"'{name}' is number {nr} in the header, not {explicit}")
            elif explicit is None:
                errors.add(where, f"'{name}' is not in the header; give its number explicitly "
                                  f"('NNN {name}(...)') if it is newer than the header")
                continue
            else:
                nr = int(explicit)
            entries.append((nr, name, args, in_header))
    for name, nr in sorted(header.items(), key=lambda kv: kv[1]):
        if name not in seen:
            errors.add(path, f"syscall '{name}' (number {nr}) from the header has no signature")
    by_number = {}
    for nr, name, _, _ in entries:
        if nr in by_number:
            errors.add(path, f"number {nr} used by both '{by_number[nr]}' and '{name}'")
        by_number[nr] = name
    return sorted(entries)


def cpp_string(s):
    return '"' + s + '"'


def render(entries, header_path, signatures_path):
    out = []
    out.append("// Generated by src/syscalls/gen_syscall_table.py. Do not edit.")
    out.append(f"// Numbers: {header_path}")
    out.append(f"// Signatures: {os.path.basename(signatures_path)}")
    out.append("")
    out.append(f"constexpr SyscallInfo kSyscalls[{len(entries)}] = {{")
    for nr, name, args, in_header in entries:
        specs = ", ".join(
            f"ArgSpec{{{cpp_string(arg)}, ArgType::{TYPES[t]}, {length}}}" for t, arg, length in args)
        out.append(f"    {{{nr}, {cpp_string(name)}, {len(args)}, {{{{{specs}}}}}, "
                   f"{'true' if in_header else 'false'}}},")
    out.append("};")
    out.append("")
    max_nr = entries[-1][0]
    index = [-1] * (max_nr + 1)
    for i, (nr, _, _, _) in enumerate(entries):
        index[nr] = i
    out.append("// kSyscalls index for each number 0..kMaxNumber, -1 where the number is unused.")
    out.append(f"constexpr int16_t kIndexByNumber[{max_nr + 1}] = {{")
    for start in range(0, len(index), 16):
        out.append("    " + ", ".join(str(v) for v in index[start:start + 16]) + ",")
    out.append("};")
    out.append("")
    order = sorted(range(len(entries)), key=lambda i: entries[i][1])
    out.append("// kSyscalls indices ordered by name, for binary search.")
    out.append(f"constexpr int16_t kIndexByName[{len(entries)}] = {{")
    for start in range(0, len(order), 16):
        out.append("    " + ", ".join(str(v) for v in order[start:start + 16]) + ",")
    out.append("};")
    out.append("")
    out.append(f"constexpr int kMaxNumber = {max_nr};")
    out.append("")
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--header", required=True, help="path of asm/unistd_64.h")
    parser.add_argument("--signatures", required=True, help="path of signatures.txt")
    parser.add_argument("--output", required=True, help="C++ fragment to write")
    options = parser.parse_args(argv)

    errors = Errors()
    try:
        header = read_header(options.header, errors)
        entries = read_signatures(options.signatures, header, errors)
    except OSError as e:
        errors.add(e.filename or "?", e.strerror or str(e))
        entries = []
    if not errors.messages and not entries:
        errors.add(options.signatures, "no signatures")
    if errors.messages:
        for message in errors.messages:
            print(f"gen_syscall_table: {message}", file=sys.stderr)
        print(f"gen_syscall_table: {len(errors.messages)} error(s); no table written", file=sys.stderr)
        # A table left from an earlier run must not outlive the inputs that broke it.
        if os.path.exists(options.output):
            os.remove(options.output)
        return 1

    # Write-then-rename, so an interrupted run never leaves half a table behind.
    text = render(entries, options.header, options.signatures)
    partial = options.output + ".tmp"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, options.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
