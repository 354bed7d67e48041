// The descriptor-event structs of poll, ppoll, epoll_ctl and the epoll_wait
// family (struct payloads the gate copies: gate/struct_payloads.cc), printed
// as strace prints them:
//
//   poll([{fd=3, events=POLLIN|POLLPRI}, {fd=4, events=POLLOUT}], 2, 0) = 1 ([{fd=4, revents=POLLOUT}])
//   poll([{fd=3, events=POLLIN}], 1, 0)     = 0 (Timeout)
//   epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=3, u64=3}}) = 0
//   epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 1023, 0) = 1
//
// Arrays show at most max_string elements, then "..." (strace -s). Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/const_style.h"
#include "trace/fd_name.h"
#include "trace/record.h"

namespace sysgate::trace {

// Appends argument index of poll/ppoll (the pollfd array), epoll_ctl (the
// event) or epoll_wait/epoll_pwait/epoll_pwait2 (the events); false, having
// appended nothing, when the record has no such payload for it.
// style: strace -X, the events as flags, numbers or both (syscalls/const_style.h).
// fd_name: -y, for the pollfds' descriptors ("{fd=3</dev/null>, ...}"; the
// result's stay numbers, as strace shows them).
bool append_event_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                      syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev, const FdName& fd_name = {});

// poll's and ppoll's result after "= N": " ([{fd=3, revents=POLLIN}])" for
// the descriptors with events, " (Timeout)" for 0; nothing for other calls,
// failures, or without the array.
void append_poll_result(std::string& out, const Record& record,
                        syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);

}  // namespace sysgate::trace
