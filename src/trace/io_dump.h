// strace's -e read=SET and -e write=SET: the whole data of reads and writes on
// some descriptors, as hex dump lines under the call's line.
//
//   Result<FdSet> reads = parse_fd_set("3,4");        // or "all", "none", "!0"
//   if (std::optional<std::string_view> b = dumped_bytes(record, *reads, writes))
//     for (const std::string& l : hex_dump_lines(*b)) print(l);
//   //  | 00000  68 65 6c 6c 6f 0a                                hello.           |
//
// The gate copies those buffers whole (gate/io_dump.h; read, pread64, recvfrom,
// write, pwrite64, sendto and the readv/writev family), up to
// RegionHeader::dump_bytes. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "trace/record.h"

namespace sysgate::trace {

// Bit fd % 64 of word fd / 64, descriptors 0..kDumpFdNumbers-1.
using FdSet = std::array<uint64_t, kDumpFdNumbers / 64>;

// strace's grammar: ["!"] item ("," item)*, an item a descriptor number,
// "all" or "none". Descriptors above 1023 are refused (the gate's sets end there).
Result<FdSet> parse_fd_set(std::string_view set);

bool fd_in_set(const FdSet& set, uint64_t fd);

// What to dump for a record: the bytes a successful read, pread64 or recvfrom
// on a descriptor of `reads` read, or those a successful write, pwrite64 or
// sendto on one of `writes` was given (strace dumps the requested length);
// nullopt when nothing.
std::optional<std::string_view> dumped_bytes(const Record& record, const FdSet& reads, const FdSet& writes);

// strace's lines for bytes, 16 a line, without newlines.
std::vector<std::string> hex_dump_lines(std::string_view bytes);

// Every dump line for a record: hex_dump_lines of dumped_bytes, or for a
// successful readv/writev-family call on a descriptor of its set, per buffer
// " * 5 bytes in buffer 0" and its lines, up to the call's result (and, as
// strace, not past an empty buffer).
std::vector<std::string> dump_lines(const Record& record, const FdSet& reads, const FdSet& writes);

}  // namespace sysgate::trace
