#include "policy/builder.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>

#include "syscalls/syscall_table.h"

namespace sysgate::policy {

namespace {

std::string origin_text(const Origin& o) { return o.where.empty() ? "a rule" : "rule at " + o.where; }

// Origin "file:line:col" back to a position, so build() errors point at the rule.
SourcePosition position_of(const Origin& o) {
  SourcePosition pos;
  if (o.source != Origin::Source::kPolicyFile) return pos;
  size_t c2 = o.where.rfind(':');
  size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : o.where.rfind(':', c2 - 1);
  if (c1 == std::string::npos) return pos;
  pos.file = o.where.substr(0, c1);
  pos.line = static_cast<uint32_t>(std::strtoul(o.where.c_str() + c1 + 1, nullptr, 10));
  pos.column = static_cast<uint32_t>(std::strtoul(o.where.c_str() + c2 + 1, nullptr, 10));
  return pos;
}

bool valid_rule_path(const std::string& path) {
  if (path.empty()) return false;
  if (path[0] == '/') return true;
  for (const char* prefix : {"$CWD", "$TMP", "$HOME"}) {
    std::string_view p(prefix);
    if (path.compare(0, p.size(), p) == 0 && (path.size() == p.size() || path[p.size()] == '/')) return true;
  }
  return false;
}

bool valid_args(const Condition& c) {
  if (c.kind == Condition::Kind::kCompare) return c.arg < 6 && (c.width == 32 || c.width == 64);
  for (const Condition& child : c.children) {
    if (!valid_args(child)) return false;
  }
  return c.kind != Condition::Kind::kNot || c.children.size() == 1;
}

// The kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO: a larger value would make
// the filter and evaluate() disagree about the result.
constexpr uint16_t kMaxErrno = 4095;

bool valid_errno(const Action& a) {
  return (a.kind != ActionKind::kErrno && a.kind != ActionKind::kExplain) || a.errno_value <= kMaxErrno;
}

}  // namespace

PolicyBuilder::PolicyBuilder(std::string name) : name_(std::move(name)) {}

PolicyBuilder& PolicyBuilder::set_default(Action action) {
  if (!valid_errno(action)) {
    errors_.push_back(make_error(ErrorCode::kInvalidArgument,
                                 "errno " + std::to_string(action.errno_value) + " is above 4095 (MAX_ERRNO)"));
    return *this;
  }
  default_action_ = action;
  return *this;
}

PolicyBuilder& PolicyBuilder::promise(Promise p) {
  if (std::find(promises_.begin(), promises_.end(), p) == promises_.end()) promises_.push_back(p);
  return *this;
}

PolicyBuilder& PolicyBuilder::rule(int nr, Condition when, Action action, Origin origin) {
  if (nr < 0 || nr >= static_cast<int>(0x40000000)) {
    errors_.push_back(make_error(ErrorCode::kInvalidArgument,
                                 "syscall number " + std::to_string(nr) + " is out of range",
                                 position_of(origin)));
    return *this;
  }
  if (!valid_errno(action)) {
    errors_.push_back(make_error(ErrorCode::kInvalidArgument,
                                 "errno " + std::to_string(action.errno_value) + " is above 4095 (MAX_ERRNO)",
                                 position_of(origin)));
    return *this;
  }
  if (!valid_args(when)) {
    errors_.push_back(make_error(ErrorCode::kInvalidArgument,
                                 "condition names an argument outside 0..5 or a width other than 32/64",
                                 position_of(origin)));
    return *this;
  }
  rules_.push_back(Rule{nr, std::move(when), action, std::move(origin)});
  return *this;
}

PolicyBuilder& PolicyBuilder::rule(std::string_view syscall, Condition when, Action action, Origin origin) {
  const syscalls::SyscallInfo* info = syscalls::by_name(syscall);
  if (info == nullptr) {
    errors_.push_back(make_error(ErrorCode::kUnknownName, "unknown syscall \"" + std::string(syscall) + "\"",
                                 position_of(origin)));
    return *this;
  }
  return rule(info->nr, std::move(when), action, std::move(origin));
}

PolicyBuilder& PolicyBuilder::file(FileRule rule) {
  files_.push_back(std::move(rule));
  return *this;
}

PolicyBuilder& PolicyBuilder::fail(Error error) {
  errors_.push_back(std::move(error));
  return *this;
}

// The calls the gate needs whatever the policy (monitor/runner.cc's builtin
// rules): each only changes the process's own signal state or identifies it.
static bool gate_needs(int nr) {
  return nr == SYS_rt_sigaction || nr == SYS_rt_sigprocmask || nr == SYS_sigaltstack || nr == SYS_gettid ||
         nr == SYS_getpid;
}

Result<Policy> PolicyBuilder::build() const {
  if (!errors_.empty()) return errors_.front();

  Policy policy;
  policy.name_ = name_;
  policy.default_action_ = default_action_;
  policy.promises_.insert(promises_.begin(), promises_.end());

  // Explicit rules, in the order given. A rule can never follow an unconditional
  // rule for the same syscall (it would be dead), and two rules with the same
  // condition must agree: both are almost certainly mistakes in a policy file.
  for (const Rule& rule : rules_) {
    // The gate makes these itself in every process, and the monitor's filter
    // lets them through whatever the policy says (monitor/runner.cc): a rule
    // refusing one would be shown by explain and check, and never enforced.
    const bool written = rule.origin.source == Origin::Source::kPolicyFile ||
                         rule.origin.source == Origin::Source::kCommandLine;
    if (written && rule.action.kind != ActionKind::kAllow && gate_needs(rule.nr)) {
      return make_error(ErrorCode::kConflict,
                        "rule for " + syscalls::display_name(rule.nr) +
                            " cannot be enforced: sysgate's in-process gate makes it in every process (it keeps SIGSYS "
                            "its own and identifies threads), so the filter always allows it; remove the rule",
                        position_of(rule.origin));
    }
    std::vector<Rule>& list = policy.rules_[rule.nr];
    // A profile's rule that a rule of the extending file overrides is dropped: overriding is the point of extends.
    if (rule.origin.source == Origin::Source::kProfile &&
        std::any_of(list.begin(), list.end(), [&](const Rule& earlier) {
          return earlier.origin.source != Origin::Source::kProfile &&
                 (earlier.when.is_true() || earlier.when == rule.when);
        })) {
      continue;
    }
    for (const Rule& earlier : list) {
      if (earlier.when.is_true()) {
        return make_error(ErrorCode::kConflict,
                          "rule for " + syscalls::display_name(rule.nr) + " is never reached: " +
                              origin_text(earlier.origin) + " already decides every call",
                          position_of(rule.origin));
      }
      if (earlier.when == rule.when) {
        bool same = earlier.action == rule.action;
        return make_error(ErrorCode::kConflict,
                          std::string(same ? "rule repeats " : "rule contradicts ") + origin_text(earlier.origin) +
                              ": same syscall (" + syscalls::display_name(rule.nr) + ") and condition, " +
                              (same ? "same action" : "actions " + to_string(earlier.action) + " vs " +
                                                          to_string(rule.action)),
                          position_of(rule.origin));
      }
    }
    list.push_back(rule);
  }

  // File rules some promises imply: tmppath is a private temp dir; dns must read the resolver's files.
  std::vector<FileRule> files = files_;
  if (std::find(promises_.begin(), promises_.end(), Promise::kTmppath) != promises_.end()) {
    files.push_back({"$TMP", kRead | kWrite | kCreate, {}, {Origin::Source::kPromise, "promise tmppath"}});
  }
  if (std::find(promises_.begin(), promises_.end(), Promise::kDns) != promises_.end()) {
    for (const char* f : {"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf"}) {
      files.push_back({f, kRead, {}, {Origin::Source::kPromise, "promise dns"}});
    }
  }
  // Promise grants follow, as allow rules. Grants shadowed by an unconditional
  // explicit rule, or already present, are dropped (they could never decide).
  for (Promise p : promises_) {
    for (const Grant& grant : promise_grants(p)) {
      std::vector<Rule>& list = policy.rules_[grant.nr];
      bool dead = std::any_of(list.begin(), list.end(), [&](const Rule& r) {
        return r.when.is_true() || (r.when == grant.when && r.action == Action::allow());
      });
      if (dead) continue;
      // With file rules, a path's metadata is the monitor's to change (Grant::metadata):
      // "explain" sends the call there, and the monitor brokers explain verdicts of promise grants.
      const bool brokered = grant.metadata && !files.empty();
      list.push_back(Rule{grant.nr, grant.when, brokered ? Action::explain() : Action::allow(),
                          Origin{Origin::Source::kPromise,
                                 "promise " + std::string(promise_name(p)) +
                                     (brokered ? " (by path: judged by the monitor against the file rules)" : "")}});
    }
  }
  // What keeps libc working when a call's flags live in memory (clone3, openat2) or
  // libc probes a newer call: ENOSYS makes glibc fall back to a call the filter can judge.
  if (default_action_.kind != ActionKind::kAllow) {
    for (const char* name : {"clone3", "openat2", "faccessat2"}) {
      const syscalls::SyscallInfo* info = syscalls::by_name(name);
      if (info == nullptr) continue;
      std::vector<Rule>& list = policy.rules_[info->nr];
      if (std::any_of(list.begin(), list.end(), [](const Rule& r) { return r.when.is_true(); })) continue;
      list.push_back(Rule{info->nr, Condition::always(), Action::error(ENOSYS),
                          Origin{Origin::Source::kBuiltin, "libc compatibility (ENOSYS makes libc fall back)"}});
    }
  }
  for (auto it = policy.rules_.begin(); it != policy.rules_.end();) {
    it = it->second.empty() ? policy.rules_.erase(it) : std::next(it);
  }

  for (const FileRule& f : files) {
    if (!valid_rule_path(f.path)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "file rule path \"" + f.path + "\" must be absolute or start with $CWD, $TMP or $HOME",
                        position_of(f.origin));
    }
    if (f.rights == 0 || (f.rights & ~0x0f) != 0) {
      return make_error(ErrorCode::kInvalidArgument, "file rule for \"" + f.path + "\" grants no valid right",
                        position_of(f.origin));
    }
    policy.file_rules_.push_back(f);
  }
  return policy;
}

}  // namespace sysgate::policy
