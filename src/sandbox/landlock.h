// Landlock filesystem rulesets: probe the kernel's ABI, build a ruleset from
// resolved path rules in the parent, enforce it in the child.
//
//   using namespace sysgate::sandbox;
//   std::vector<landlock::Rule> rules = {
//       {"/usr", landlock::kRead | landlock::kExecute},
//       {"/tmp/work", landlock::kRead | landlock::kWrite | landlock::kCreate},
//   };
//   Result<landlock::Ruleset> rs = landlock::build_ruleset(rules);   // parent
//   if (!rs) return rs.error();          // kUnsupported when the kernel has no Landlock
//   for (auto& line : rs->degradations) report(line);  // "Landlock ABI 2: truncate not ..."
//   for (auto& line : rs->notes) report(line);         // "/tmp/work does not exist; ..."
//   ...fork...
//   // child, after raw_set_no_new_privs():
//   if (landlock::raw_restrict_self(rs->fd.get()) < 0) _exit(126);
//
// The ruleset handles every filesystem right the ABI knows, so everything not
// granted by a rule is denied, below every path. A rule grants rights on a
// directory and everything beneath it, or on one file. Landlock does not cover
// metadata (stat, access, readlink, chmod, chown, utime, xattr) or descriptors
// opened before restrict_self; the broker covers what Landlock cannot. Note that
// execve of a program needs Execute on the program and on its ELF interpreter.
// With BuildOptions::scope_outside (ABI 6), the domain also refuses signals
// to processes outside it and connections to abstract unix sockets made
// outside it; processes outside can still signal the sandboxed ones. Any
// domain already refuses ptrace, and so pidfd_getfd and /proc/PID/mem
// writes, of processes outside it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "sandbox/unique_fd.h"

namespace sysgate::sandbox::landlock {

// Rights a policy grants on a path (a bitmask; combine with |).
enum Access : uint32_t {
  kRead = 1,     // READ_FILE, and READ_DIR on directories
  kWrite = 2,    // WRITE_FILE, TRUNCATE, IOCTL_DEV
  kCreate = 4,   // MAKE_*, REMOVE_*, REFER — directories only
  kExecute = 8,  // EXECUTE
};
inline constexpr uint32_t kAllAccess = kRead | kWrite | kCreate | kExecute;

// One resolved rule: an absolute path (symlinks are followed) and its rights.
struct Rule {
  std::string path;
  uint32_t access = 0;
};

struct BuildOptions {
  // Use at most this ABI even if the kernel offers more (reproducible rulesets,
  // tests of degraded kernels). 0: the kernel's ABI.
  int max_abi = 0;
  // Scope signals and abstract unix sockets to the domain (ABI 6; a
  // degradation note below that).
  bool scope_outside = false;
};

struct Ruleset {
  UniqueFd fd;                     // the ruleset (O_CLOEXEC); pass to restrict_self
  int abi = 0;                     // ABI the ruleset was built for
  uint64_t handled_access_fs = 0;  // LANDLOCK_ACCESS_FS_* bits the ruleset denies by default
  // Not errors: rules skipped (missing path) or narrowed (Create on a file).
  std::vector<std::string> notes;
  // What this ABI cannot restrict, one sentence each.
  std::vector<std::string> degradations;
};

// The kernel's Landlock ABI version (1, 2, ...), or 0 if Landlock is not built
// in or disabled at boot (ENOSYS / EOPNOTSUPP). Thread-safe; async-signal-safe.
int abi_version();

// LANDLOCK_ACCESS_FS_* rights known to ABI abi (v1 base rights, v2 REFER,
// v3 TRUNCATE, v5 IOCTL_DEV). Pure.
uint64_t handled_access_for_abi(int abi);

// Kernel rights for access (Access bits) on a directory or a non-directory,
// restricted to handled. On a non-directory only the file rights remain
// (EXECUTE, WRITE_FILE, READ_FILE, TRUNCATE, IOCTL_DEV): the kernel rejects
// others there. Pure.
uint64_t kernel_access(uint32_t access, bool is_directory, uint64_t handled);

// Creates a ruleset in the calling process and adds one rule per entry. Each
// path is opened O_PATH|O_CLOEXEC (following symlinks) only for the duration of
// the call. A path that does not exist is skipped with a note; a rule left with
// no rights is skipped with a note. Errors: kInvalidArgument (relative path,
// unknown access bits), kUnsupported (no Landlock), kSystem (open, fstat,
// landlock_* failed; message names the call and the path). Thread-safe.
Result<Ruleset> build_ruleset(std::span<const Rule> rules, const BuildOptions& options = {});

// A domain that restricts no file access but only reaching processes
// outside it: ptrace (and pidfd_getfd), signals and abstract unix sockets.
// Needs ABI 6 (kUnsupported below: a file-less ruleset could not be built
// without changing what files may be opened).
Result<Ruleset> build_process_scope(const BuildOptions& options = {});

// landlock_restrict_self(ruleset_fd, 0) on the calling thread. Requires
// no_new_privs (or CAP_SYS_ADMIN). Does not close the fd. Returns 0 or -errno.
// Async-signal-safe: for the child between fork and execve.
long raw_restrict_self(int ruleset_fd);

// The same for ordinary code (e.g. a process restricting itself); kSystem on failure.
// Only the calling thread is restricted: call it before creating threads.
Result<void> restrict_self(int ruleset_fd);

}  // namespace sysgate::sandbox::landlock
