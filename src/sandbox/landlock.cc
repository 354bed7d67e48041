#include "sandbox/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

#include "sandbox/raw_syscall.h"

namespace sysgate::sandbox::landlock {
namespace {

// LANDLOCK_ACCESS_FS_* bits, spelled out here because the build machine's uapi
// headers may predate the running kernel (values are kernel ABI, never change).
constexpr uint64_t kFsExecute = 1ULL << 0;
constexpr uint64_t kFsWriteFile = 1ULL << 1;
constexpr uint64_t kFsReadFile = 1ULL << 2;
constexpr uint64_t kFsReadDir = 1ULL << 3;
constexpr uint64_t kFsRemoveDir = 1ULL << 4;
constexpr uint64_t kFsRemoveFile = 1ULL << 5;
constexpr uint64_t kFsMakeChar = 1ULL << 6;
constexpr uint64_t kFsMakeDir = 1ULL << 7;
constexpr uint64_t kFsMakeReg = 1ULL << 8;
constexpr uint64_t kFsMakeSock = 1ULL << 9;
constexpr uint64_t kFsMakeFifo = 1ULL << 10;
constexpr uint64_t kFsMakeBlock = 1ULL << 11;
constexpr uint64_t kFsMakeSym = 1ULL << 12;
constexpr uint64_t kFsRefer = 1ULL << 13;     // ABI 2
constexpr uint64_t kFsTruncate = 1ULL << 14;  // ABI 3
constexpr uint64_t kFsIoctlDev = 1ULL << 15;  // ABI 5

constexpr uint64_t kFsAbi1 = (1ULL << 13) - 1;  // EXECUTE .. MAKE_SYM
// Rights the kernel accepts in a rule on a non-directory (LANDLOCK_ACCESS_FILE).
constexpr uint64_t kFsFileRights =
    kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev;

constexpr uint32_t kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
constexpr int kRulePathBeneath = 1;                  // LANDLOCK_RULE_PATH_BENEATH

// struct landlock_ruleset_attr. handled_access_net (ABI 4) stays zero: the
// network is the filter's. scoped (ABI 6) is passed only when set, so older
// kernels see the struct they know.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
constexpr uint64_t kScopeSignal = 1ULL << 1;              // LANDLOCK_SCOPE_SIGNAL
constexpr int kScopeAbi = 6;

long create_ruleset(uint64_t handled_fs, bool scoped) {
  RulesetAttr attr{handled_fs, 0, scoped ? kScopeAbstractUnixSocket | kScopeSignal : 0};
  const size_t size = scoped ? sizeof attr : sizeof attr.handled_access_fs;
  return raw_syscall(__NR_landlock_create_ruleset, reinterpret_cast<long>(&attr), static_cast<long>(size), 0);
}

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};
static_assert(sizeof(PathBeneathAttr) == 12);

Error system_error(const std::string& call, int err) {
  return make_error(ErrorCode::kSystem, call + ": " + std::strerror(err));
}

}  // namespace

int abi_version() {
  long r = raw_syscall(__NR_landlock_create_ruleset, 0, 0, kCreateRulesetVersion);
  return r > 0 ? static_cast<int>(r) : 0;
}

uint64_t handled_access_for_abi(int abi) {
  if (abi < 1) return 0;
  uint64_t handled = kFsAbi1;
  if (abi >= 2) handled |= kFsRefer;
  if (abi >= 3) handled |= kFsTruncate;
  if (abi >= 5) handled |= kFsIoctlDev;
  return handled;
}

uint64_t kernel_access(uint32_t access, bool is_directory, uint64_t handled) {
  uint64_t out = 0;
  if (access & kRead) out |= kFsReadFile | (is_directory ? kFsReadDir : 0);
  if (access & kWrite) out |= kFsWriteFile | kFsTruncate | kFsIoctlDev;
  if ((access & kCreate) && is_directory) {
    out |= kFsMakeChar | kFsMakeDir | kFsMakeReg | kFsMakeSock | kFsMakeFifo | kFsMakeBlock |
           kFsMakeSym | kFsRemoveDir | kFsRemoveFile | kFsRefer;
  }
  if (access & kExecute) out |= kFsExecute;
  if (!is_directory) out &= kFsFileRights;
  return out & handled;
}

Result<Ruleset> build_ruleset(std::span<const Rule> rules, const BuildOptions& options) {
  for (const Rule& rule : rules) {
    if (rule.path.empty() || rule.path[0] != '/') {
      return make_error(ErrorCode::kInvalidArgument,
                        "Landlock rule path \"" + rule.path + "\" is not absolute");
    }
    if (rule.access & ~kAllAccess) {
      return make_error(ErrorCode::kInvalidArgument,
                        "Landlock rule for " + rule.path + " has unknown access bits");
    }
  }

  int kernel_abi = abi_version();
  if (kernel_abi == 0) {
    return make_error(ErrorCode::kUnsupported,
                      "Landlock is not available (kernel without CONFIG_SECURITY_LANDLOCK, or "
                      "\"landlock\" missing from the lsm= boot list); file rules cannot be "
                      "enforced by the kernel");
  }
  Ruleset out;
  out.abi = kernel_abi;
  std::string abi_name = "Landlock ABI " + std::to_string(kernel_abi);
  if (options.max_abi > 0 && options.max_abi < kernel_abi) {
    out.abi = options.max_abi;
    abi_name = "Landlock ABI " + std::to_string(out.abi) + " (kernel has " +
               std::to_string(kernel_abi) + ")";
  }
  out.handled_access_fs = handled_access_for_abi(out.abi);
  if (out.abi < 2) {
    out.degradations.push_back(abi_name +
                               ": files cannot be renamed or linked into another directory "
                               "(REFER needs ABI 2)");
  }
  if (out.abi < 3) {
    out.degradations.push_back(abi_name + ": truncate not restricted (needs ABI 3)");
  }
  if (out.abi < 5) {
    out.degradations.push_back(abi_name + ": ioctl on device files not restricted (needs ABI 5)");
  }

  const bool scoped = options.scope_outside && out.abi >= kScopeAbi;
  if (options.scope_outside && !scoped) {
    out.degradations.push_back(abi_name +
                               ": signals to processes outside the sandbox and abstract unix sockets made "
                               "outside it are not refused (needs ABI 6)");
  }
  long fd = create_ruleset(out.handled_access_fs, scoped);
  if (fd < 0) return system_error("landlock_create_ruleset", static_cast<int>(-fd));
  out.fd.reset(static_cast<int>(fd));

  for (const Rule& rule : rules) {
    UniqueFd path_fd(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (!path_fd.valid()) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        out.notes.push_back(rule.path + " does not exist; rule skipped");
        continue;
      }
      return system_error("open(" + rule.path + ", O_PATH) for a Landlock rule", err);
    }
    struct stat st {};
    if (::fstat(path_fd.get(), &st) != 0) {
      return system_error("fstat(" + rule.path + ") for a Landlock rule", errno);
    }
    bool is_directory = S_ISDIR(st.st_mode);
    if ((rule.access & kCreate) && !is_directory) {
      out.notes.push_back(rule.path + " is not a directory; create right ignored");
    }
    PathBeneathAttr beneath{kernel_access(rule.access, is_directory, out.handled_access_fs),
                            path_fd.get()};
    if (beneath.allowed_access == 0) {
      out.notes.push_back(rule.path + ": no rights left to grant; rule skipped");
      continue;
    }
    long r = raw_syscall(__NR_landlock_add_rule, out.fd.get(), kRulePathBeneath,
                         reinterpret_cast<long>(&beneath), 0);
    if (r < 0) {
      return system_error("landlock_add_rule(" + rule.path + ")", static_cast<int>(-r));
    }
  }
  return out;
}

Result<Ruleset> build_process_scope(const BuildOptions& options) {
  int abi = abi_version();
  if (options.max_abi > 0 && options.max_abi < abi) abi = options.max_abi;
  if (abi < kScopeAbi) {
    return make_error(ErrorCode::kUnsupported,
                      abi == 0 ? std::string("this kernel has no Landlock")
                               : "Landlock ABI " + std::to_string(abi) + " cannot scope signals and sockets (needs ABI 6)");
  }
  Ruleset out;
  out.abi = abi;
  const long fd = create_ruleset(0, true);
  if (fd < 0) return system_error("landlock_create_ruleset", static_cast<int>(-fd));
  out.fd.reset(static_cast<int>(fd));
  return out;
}

long raw_restrict_self(int ruleset_fd) {
  return raw_syscall(__NR_landlock_restrict_self, ruleset_fd, 0);
}

Result<void> restrict_self(int ruleset_fd) {
  long r = raw_restrict_self(ruleset_fd);
  if (r < 0) {
    std::string call = "landlock_restrict_self";
    if (r == -EPERM) call += " (no_new_privs not set and no CAP_SYS_ADMIN)";
    return system_error(call, static_cast<int>(-r));
  }
  return {};
}

}  // namespace sysgate::sandbox::landlock
