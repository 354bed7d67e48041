// A sandbox policy: an immutable value. Build one with PolicyBuilder
// (policy/builder.h), parse one from TOML (policy/parser.h) or take an embedded
// profile (policy/profiles.h); compile it with bpf::compile.
//
// Semantics (evaluate() in policy/evaluate.h is the reference):
//   1. arch != x86-64, or an x32 syscall number       -> kill
//   2. the syscall's rules, in order; the first whose condition matches decides
//   3. otherwise the policy's default action
// Rules come from the policy file's [[rule]] tables (in file order) followed by
// the allow rules the promises grant. File rules (paths with r/w/c/x rights)
// are enforced outside the BPF filter (Landlock now, the broker later).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "policy/action.h"
#include "policy/condition.h"
#include "policy/promise.h"

namespace sysgate::policy {

// Where a rule came from, so reports can say what would change a verdict.
struct Origin {
  enum class Source : uint8_t { kPolicyFile, kPromise, kCommandLine, kProfile, kBuiltin };
  Source source = Source::kBuiltin;
  std::string where;  // "p.toml:12:1", "promise rpath", "--allow-read /x", "profile default"
};

struct Rule {
  int nr = -1;
  Condition when;
  Action action;
  Origin origin;
};

// File access rights, as a bit set.
enum FileRight : uint8_t {
  kRead = 1 << 0,     // open for reading, list directories
  kWrite = 1 << 1,    // open for writing, truncate
  kCreate = 1 << 2,   // create, remove, rename, link (files, dirs, fifos, sockets, symlinks)
  kExecute = 1 << 3,  // execute
};

// A path and the rights granted on it. Paths may start with a placeholder the
// runner resolves: $CWD (working directory), $TMP (the run's private temp dir),
// $HOME. A directory rule covers its whole tree.
struct FileRule {
  std::string path;
  uint8_t rights = 0;
  std::vector<std::string> except;  // sub-paths carved out of a tree rule
  Origin origin;
  friend bool operator==(const FileRule& a, const FileRule& b) {
    return a.path == b.path && a.rights == b.rights && a.except == b.except;
  }
};

class Policy;
// `base` with `rules` placed before each syscall's existing rules, without the
// builder's conflict checks: for sysgate's own routing (the launcher's first
// execve must reach the monitor), never for user rules.
Policy with_leading_rules(const Policy& base, const std::vector<Rule>& rules);

class Policy {
 public:
  const std::string& name() const { return name_; }
  const Action& default_action() const { return default_action_; }
  const std::set<Promise>& promises() const { return promises_; }
  const std::vector<FileRule>& file_rules() const { return file_rules_; }

  // Rules for one syscall, in evaluation order (empty span if none).
  std::span<const Rule> rules_for(int nr) const;
  // All syscalls with at least one rule, ascending.
  std::vector<int> syscalls_with_rules() const;

 private:
  friend class PolicyBuilder;
  friend Policy with_leading_rules(const Policy& base, const std::vector<Rule>& rules);
  std::string name_;
  Action default_action_ = Action::kill();
  std::set<Promise> promises_;
  std::map<int, std::vector<Rule>> rules_;
  std::vector<FileRule> file_rules_;
};

}  // namespace sysgate::policy
