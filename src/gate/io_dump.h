// sysgate trace -e read=SET / -e write=SET: which calls copy their whole data
// buffer into the record (the monitor prints it as strace's hex dump).
//
//   io_dump_install(header, ring_bytes);                  // at gate install
//   uint32_t cap = io_dump_bytes(nr, args);               // 0: the usual max_data
//
// Dumped: read, pread64, recvfrom, readv, preadv and preadv2 on a descriptor
// of the read set, write, pwrite64, sendto, writev, pwritev and pwritev2 on one
// of the write set (strace also dumps recvmsg, sendmsg and mq_timed*, which
// show no buffer here at all). The sets and the cap are
// the trace region header's, copied at install (the program can write the
// header); the cap never leaves a record larger than half a ring.
#pragma once

#include <stdint.h>

#include "trace/ring_format.h"

namespace sysgate::gate {

void io_dump_install(const trace::RegionHeader& header, uint32_t ring_bytes);

// How many bytes of nr's data buffer to copy, at most; 0 when nr's call is
// not dumped.
uint32_t io_dump_bytes(long nr, const uint64_t args[6]);

}  // namespace sysgate::gate
