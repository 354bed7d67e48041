// An exec's argv and environment size in its trace record, so the monitor
// prints execve("/usr/bin/ls", ["ls", "-l"], 0x7ffd... /* 37 vars */) as
// strace does.
//
//   argv -> kPayloadStringArray: per string, a flag byte (1: cut at max_string
//           bytes), its bytes, a NUL; at most kMaxExecArgs strings and
//           kMaxExecArgBytes bytes in all (kPayloadTruncated: there were more)
//   envp -> kPayloadArrayCount: 8 bytes, the number of entries before NULL
//
//   uint16_t flags = 0;
//   uint32_t n = argv_payload_size(argv, max_string, &flags);   // 0: unreadable
//   ... reserve n bytes ...
//   argv_payload_copy(argv, max_string, dest, n);               // never more than n
//
// The program's memory is probed before every read (app_memory.h); another
// thread changing argv between the two calls changes only what is copied,
// never how much. Inside the SIGSYS handler only.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

inline constexpr uint32_t kMaxExecArgs = 64;
inline constexpr uint32_t kMaxExecArgBytes = 4096;  // trace::kMaxPathBytes
inline constexpr uint64_t kMaxEnvCount = 1u << 20;

uint32_t argv_payload_size(uint64_t argv, uint32_t max_string, uint16_t* payload_flags);
void argv_payload_copy(uint64_t argv, uint32_t max_string, uint8_t* out, uint32_t size);

// Entries of a NULL-terminated pointer array (at most kMaxEnvCount); -1 if unreadable.
int64_t pointer_array_count(uint64_t array);

}  // namespace sysgate::gate
