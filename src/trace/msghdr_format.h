// sendmsg's and recvmsg's struct msghdr (kPayloadMsghdr, gate/msghdr_payload.h)
// as strace prints it:
//
//   sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}, {iov_base="c", iov_len=1}],
//               msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 3
//   recvmsg(5, {msg_name=0x7fff32511eb0, msg_namelen=110 => 0, msg_iov=[{iov_base="xabc", iov_len=10}],
//               msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4
//
// msg_control, when there is any, shows as its address (strace decodes the
// control messages). A recvmsg that failed shows as the struct's address, as
// strace shows it. Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "syscalls/call_format.h"
#include "trace/fd_name.h"
#include "trace/record.h"

namespace sysgate::trace {

// Appends argument index (1) of sendmsg/recvmsg; false, appending nothing,
// when the record has no msghdr for it.
// consts: -X, for msg_flags (MSG_TRUNC, 0x20, 0x20 /* MSG_TRUNC */).
// fd_name: -y, for the descriptors SCM_RIGHTS passes ("cmsg_data=[3</etc/hosts>]").
bool append_msghdr_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                       syscalls::StringStyle style, syscalls::ConstStyle consts = syscalls::ConstStyle::kAbbrev,
                       const FdName& fd_name = {});

// The descriptors a successful recvmsg received through SCM_RIGHTS, as its
// msghdr payload shows them (empty: none, or no payload).
std::vector<int32_t> received_fds(const Record& record);

}  // namespace sysgate::trace
