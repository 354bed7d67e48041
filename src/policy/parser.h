// Policy files: TOML text -> Policy.
//
//   # p.toml
//   extends = "default"                  # optional: start from an embedded profile
//   default = "explain"                  # allow | kill | log | errno(E) | explain | explain(E)
//   promises = ["stdio", "rpath", "inet"]
//
//   [files]                              # paths may start with $CWD, $TMP or $HOME
//   read   = ["/usr", "/etc/ssl", "$CWD"]
//   write  = ["$CWD/out"]
//   create = ["$CWD/out"]
//   exec   = ["/usr/bin/python3"]
//   except = ["/etc/shadow"]             # carved out of every tree above
//
//   [[rule]]                             # checked in file order, before promises
//   syscall = "ioctl"                    # or: syscalls = ["ioctl", ...]
//   when = "request in [TCGETS, TIOCGWINSZ]"
//   action = "allow"
//
// Rules of this file come before the rules of the profile it extends; promises
// and file rules add up; `default` overrides. Errors are file:line:column and the
// policy is never partially applied. Unknown keys are errors (a typo must not
// silently weaken a policy).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/builder.h"
#include "policy/policy.h"

namespace sysgate::policy {

// Largest policy file accepted (bytes). Larger input is an error, not a slow parse.
inline constexpr size_t kMaxPolicyBytes = 1 << 20;

// Parses policy text. `source_name` is used in error positions and rule origins.
Result<Policy> parse_policy(std::string_view text, std::string_view source_name);

// Reads and parses a file (missing file, directory, or oversized file: clear errors).
Result<Policy> parse_policy_file(const std::string& path);

// Adds the contents of policy text to an existing builder (used for profiles and
// `extends`). depth bounds `extends` chains.
Result<void> parse_policy_into(PolicyBuilder& builder, std::string_view text, std::string_view source_name,
                               int depth = 0);

// Where a policy comes from: a file or an embedded profile (exactly one), plus
// file rules given on the command line (--allow-read and friends).
struct PolicySource {
  std::string file;
  std::string profile;
  std::vector<FileRule> extra_files;
};
Result<Policy> load_policy(const PolicySource& source);

// Parses an action spelling: "allow", "errno(EACCES)", "explain", "kill", ...
Result<Action> parse_action(std::string_view text);

}  // namespace sysgate::policy
