// Why a policy refuses a syscall, and what would allow it: the heart of
// `sysgate explain` and of every violation report.
//
//   Explanation e = explain_refusal(policy, input, evaluate(policy, input), hint);
//   e.cause  == "no promise of this policy grants openat"
//   e.fixes  == {"promise \"rpath\"", "--allow-read /etc/hostname"}
//   e.summary() == "needs promise \"rpath\" or --allow-read /etc/hostname"
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/evaluate.h"
#include "policy/policy.h"

namespace sysgate::monitor {

// A path the refused call names, resolved for display, and the right the call
// needed on it; lets the explanation suggest a --allow-* flag. Only for calls the
// monitor can broker once a file rule allows them (see broker.h).
struct PathHint {
  std::string path;   // absolute
  uint8_t right = 0;  // policy::FileRight
};

struct Explanation {
  std::string cause;               // what decided: a rule, the default, the arch check
  std::vector<std::string> fixes;  // alternatives, any one of which would allow the call
  std::string summary() const;     // "needs promise \"rpath\" or --allow-read /x" / cause when no fix
};

// The flag that grants `right` on a path: --allow-read, --allow-write, --allow-exec.
std::string allow_flag(uint8_t right);

Explanation explain_refusal(const policy::Policy& policy, const policy::SyscallInput& input,
                            const policy::Decision& decision, const std::optional<PathHint>& hint = std::nullopt);

}  // namespace sysgate::monitor
