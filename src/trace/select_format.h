// What select, pselect6 and ppoll overwrite, as strace prints it: the fd sets
// and timeout they were given (copied by the gate before the call, with what
// the call left there: kPayloadInOut, gate/call_snapshot.h), and the result's
// sets and time left:
//
//   pselect6(5, [3 4], [4], NULL, {tv_sec=1, tv_nsec=0}, {sigmask=[CHLD], sigsetsize=8}) = 2 (in [3], out [4], left {tv_sec=0, tv_nsec=999})
//   select(4, [3], NULL, NULL, {tv_sec=0, tv_usec=1000}) = 0 (Timeout)
//   ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=2, tv_nsec=0}, NULL, 8) = 1 ([{fd=3, revents=POLLIN}], left {tv_sec=1, tv_nsec=999})
//
// Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "trace/fd_name.h"
#include "trace/record.h"

namespace sysgate::trace {

// Appends argument index of select/pselect6 (fd sets, timeout, pselect6's
// sigmask) or ppoll (timeout) as the program passed it; false, having
// appended nothing, when the record has no copy of it. fd_name: -y, for the
// sets' descriptors ("[3</dev/null> 4<pipe:[12]>]"; the result's sets stay
// numbers, as strace shows them).
bool append_select_arg(std::string& out, const Record& record, int index, uint64_t addr, const FdName& fd_name = {});

// select's and pselect6's result after "= N": " (in [3], out [4], left {...})",
// " (Timeout)" for 0; nothing for other calls or failures.
void append_select_result(std::string& out, const Record& record);

// ppoll's ", left {tv_sec=1, tv_nsec=999}" inside its result's parentheses:
// a successful call given a timeout; nothing otherwise.
void append_ppoll_time_left(std::string& out, const Record& record);

}  // namespace sysgate::trace
