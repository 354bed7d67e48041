// strace's `-e inject=SET:...` and `-e fault=SET:...`: which calls the gate
// tampers with, and how (gate/inject.h does it).
//
//   Result<InjectSpec> s = parse_inject_spec("openat:error=ENOENT:when=3+", false);
//   Result<InjectTable> t = inject_table({*s}, traced);   // for RegionHeader::inject
//
// Grammar (strace 6's):
//   spec   := SET (":" option)*          SET as -e trace=SET (trace_filter.h)
//   option := "error=" ERRNO             a name (ENOENT, enoent) or 1..4095: the call is
//                                        not made and fails with it
//           | "retval=" N                the call is not made and returns N (0..2^63-1;
//                                        not a value that reads as an error)
//           | "signal=" SIG              sent to the thread when the call returns
//           | "delay_enter=" TIME        slept before the call
//           | "delay_exit=" TIME         slept after it
//           | "when=" first[..last][+[step]]  which invocations, counted per thread and
//                                        call from 1: first only; first..last; first and
//                                        every step-th after (step 1 without a number);
//                                        first 1..65535, last 1..65534, step 1..65535
//   TIME   := a decimal number with s, ms, us or ns after it (microseconds without)
// inject= needs one of error, retval, signal, delay_enter, delay_exit; error and
// retval exclude each other; the last when= counts. fault= takes only error
// (ENOSYS by default) and when. syscall=, poke_enter= and poke_exit= are refused.
// Errors name what is wrong: "unknown errno 'EFOO'".
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "trace/ring_format.h"
#include "trace/trace_filter.h"

namespace sysgate::trace {

struct InjectSpec {
  TraceFilter calls;
  InjectRule rule{};
};

// fault: parse as -e fault= (error only, ENOSYS by default).
Result<InjectSpec> parse_inject_spec(std::string_view text, bool fault);

// The region's table: for each call some spec selects and `traced` selects
// too (strace tampers with traced calls only), the last such spec's rule.
// More than kMaxInjectRules specs is an error.
Result<InjectTable> inject_table(const std::vector<InjectSpec>& specs, const TraceFilter& traced);

}  // namespace sysgate::trace
