// The iovec arrays of readv, writev, preadv, pwritev, preadv2 and pwritev2
// (kPayloadIovec, gate/iovec_payload.h), printed as strace prints them:
//
//   writev(1, [{iov_base="hello", iov_len=5}, {iov_base=" world\n", iov_len=7}], 2) = 12
//   readv(3, [{iov_base="abc", iov_len=3}, {iov_base="defghij", iov_len=20}], 2) = 10
//   readv(99, [{iov_base=0x7f7314ee8160, iov_len=3}], 1) = -1 EBADF (Bad file descriptor)
//
// At most max_string elements, then ", ..." (strace -s counts elements too);
// each element's data cut at max_string bytes ("..." after it when there was
// more). A readv's elements show what the call put in them: the first ret bytes
// in order, "" after those. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/call_format.h"
#include "trace/record.h"

namespace sysgate::trace {

struct IovecElement {
  uint64_t base = 0;
  uint64_t len = 0;
  std::string_view data;  // copied bytes (views into the payload)
  bool known = false;     // data is what the element holds (else: show the address)
};

bool is_iovec_call(int nr);

// The elements a kPayloadIovec payload describes; nullopt if it is malformed.
std::optional<std::vector<IovecElement>> iovec_elements(const Payload& payload);

// The elements as the array argument shows them: vlen, the count the call was
// given; writes: the data are the call's input (writev, sendmsg), else what
// it read, the first ret bytes (readv, recvmsg).
void append_iovec_elements(std::string& out, const std::vector<IovecElement>& elements, uint64_t vlen, bool writes,
                           int64_t ret, size_t max_string, syscalls::StringStyle style);

// Appends the array argument (index 1) of an iovec call; false (nothing
// appended) when the record carries no array for it.
bool append_iovec_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                      syscalls::StringStyle style);

}  // namespace sysgate::trace
