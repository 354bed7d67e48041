// File rules made concrete for one run: placeholders ($CWD, $TMP, $HOME)
// substituted, paths canonicalised (symlinks resolved, as the kernel will see
// them), carve-outs expanded into Landlock rules.
//
//   ResolvedFiles files = resolve_files(policy.file_rules(), {.cwd = "/work", .tmp = "/tmp/sysgate.x1"}, &notes);
//   files.allows("/work/a.txt", policy::kRead)          // for brokered calls
//   files.landlock_rules()                               // for the kernel
//
// A rule whose path does not exist is kept for exact-path checks of brokered
// calls (a lookup of a missing /etc/ld.so.preload still answers ENOENT) but
// yields no Landlock rule. Not thread-safe to mutate; const methods are.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "policy/policy.h"
#include "sandbox/landlock.h"

namespace sysgate::monitor {

struct Placeholders {
  std::string cwd;
  std::string tmp;   // empty: $TMP rules are an error
  std::string home;  // empty: $HOME rules are an error
};

struct ResolvedRule {
  std::string path;                 // canonical absolute path
  uint8_t rights = 0;               // policy::FileRight bits
  std::vector<std::string> except;  // canonical
  bool exists = false;
  bool directory = false;
  std::string origin;               // where the rule came from, for notes
};

class ResolvedFiles {
 public:
  const std::vector<ResolvedRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

  // Does some rule grant every bit of `rights` on canonical path `path`?
  bool allows(const std::string& path, uint8_t rights) const;

  // May the program learn that canonical path `path` exists, and what it is?
  // Yes if some rule covers it (outside its carve-outs), or it lies on the way
  // to a rule's path ("/", "/usr" for a rule on /usr/lib). The broker's walk
  // asks this of every place a path passes through (broker.cc, hidden_place).
  bool visible(const std::string& path) const;

  // Landlock rules, with carve-outs expanded: a tree rule with exceptions becomes
  // rules for its entries except those (recursively where an exception lies
  // deeper). Symlinks met during expansion are skipped: Landlock judges the file
  // a link resolves to by that file's own place in the tree, so a link needs no
  // rule, and following one would grant its target.
  std::vector<sandbox::landlock::Rule> landlock_rules(std::vector<std::string>* notes) const;

  void add(ResolvedRule rule) { rules_.push_back(std::move(rule)); }

 private:
  std::vector<ResolvedRule> rules_;
};

// Canonical form of an absolute path: realpath() when it exists; otherwise the
// canonical parent joined with the last component (lexically normalised).
std::string canonical_path(const std::string& path);

Result<ResolvedFiles> resolve_files(const std::vector<policy::FileRule>& rules, const Placeholders& places);

}  // namespace sysgate::monitor
