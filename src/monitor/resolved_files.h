// File rules made concrete for one run: placeholders ($CWD, $TMP, $HOME)
// substituted, paths canonicalised (symlinks resolved, as the kernel will see
// them), each rule bound to the object its path names at start, carve-outs
// expanded into Landlock rules.
//
//   ResolvedFiles files = resolve_files(policy.file_rules(), {.cwd = "/work", .tmp = "/tmp/sysgate.x1"}, &notes);
//   files.allows_object(fd, "/work/a.txt", policy::kRead)  // for brokered calls: the object fd holds
//   files.landlock_rules()                                 // for the kernel
//
// Like a Landlock rule, a rule covers the directory or file its path named
// when the run started, and what lies beneath it, wherever a rename moves it;
// not whatever takes that name later (a program that may rename in its
// working directory could otherwise move its private tree to the name of its
// readable one). So the broker judges the object it holds by its identity and
// its ancestors' (monitor/file_identity.h), and the path strings stay for
// messages and for places that do not exist. A rule whose path does not exist
// at start covers no object (Landlock skips it too: an object made there later
// was never the one the policy named); its path still lets a brokered lookup
// of that missing name answer ENOENT (a missing /etc/ld.so.preload).
// Not thread-safe to mutate; const methods are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "monitor/file_identity.h"
#include "policy/policy.h"
#include "sandbox/landlock.h"
#include "sandbox/unique_fd.h"

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
  // Filled in by ResolvedFiles::add: what `path` and each of `except` named
  // then (nullopt: nothing did).
  std::optional<FileId> object;
  std::vector<std::optional<FileId>> except_objects;
};

class ResolvedFiles {
 public:
  const std::vector<ResolvedRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

  // Do the rules grant every bit of `rights` on the object whose lineage
  // (file_identity.h: it, then its ancestors) is `lineage`? The rights of
  // every rule whose object is in the lineage are added up, except where one
  // of that rule's carve-outs is (or, for a carve-out that did not exist at
  // start, where `real`, the object's path, lies under its name). For a tree
  // nobody renamed, the same answer as judging `real` by the rules' paths.
  bool allows(const std::vector<FileId>& lineage, const std::string& real, uint8_t rights) const;
  // The same for the object `fd` holds, whose path is `real`; false if its
  // lineage cannot be known. What the broker asks of every object it judges.
  bool allows_object(int fd, const std::string& real, uint8_t rights) const;

  // By name, for a place that does not exist (where a brokered walk failed):
  // does a rule's path cover canonical path `path`? There is no object to
  // judge; the answer lets the program learn only that nothing is there.
  bool allows_name(const std::string& path, uint8_t rights) const;

  // May the program learn that the object with this lineage exists, and what
  // it is? Yes if some rule covers it (outside its carve-outs), or it lay at
  // start on the way to a rule's place ("/", "/usr" for a rule on /usr/lib).
  // The broker's walk asks this of every place a path passes through
  // (broker.cc, hidden_place).
  bool visible(const std::vector<FileId>& lineage, const std::string& real) const;
  bool visible_object(int fd, const std::string& real) const;

  // Landlock rules, with carve-outs expanded: a tree rule with exceptions becomes
  // rules for its entries except those (recursively where an exception lies
  // deeper). Symlinks met during expansion are skipped: Landlock judges the file
  // a link resolves to by that file's own place in the tree, so a link needs no
  // rule, and following one would grant its target.
  std::vector<sandbox::landlock::Rule> landlock_rules(std::vector<std::string>* notes) const;

  // Adds `rule`, bound to the objects its paths name now (see above). Each
  // is held open (O_PATH, close-on-exec) for the life of this value, so its
  // inode number cannot be reused by another file meanwhile.
  void add(ResolvedRule rule);

 private:
  bool covers(const ResolvedRule& r, const std::vector<FileId>& lineage, const std::string& real) const;
  // Keeps `path`'s object open; its identity, or nullopt if nothing is there.
  std::optional<FileId> pin(const std::string& path);

  std::vector<ResolvedRule> rules_;
  std::vector<sandbox::UniqueFd> pinned_;
  std::vector<FileId> on_the_way_;  // each rule's place at start and the directories above it
};

// Canonical form of an absolute path: realpath() when it exists; otherwise the
// canonical parent joined with the last component (lexically normalised).
std::string canonical_path(const std::string& path);

Result<ResolvedFiles> resolve_files(const std::vector<policy::FileRule>& rules, const Placeholders& places);

}  // namespace sysgate::monitor
