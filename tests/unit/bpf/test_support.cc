#include "test_support.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <climits>
#include <cstdio>

#include "policy/evaluate.h"
#include "policy/promise.h"

namespace sysgate::bpf::testing {

using policy::Action;
using policy::CmpOp;
using policy::Condition;

SeccompData make_data(int nr, std::initializer_list<uint64_t> args, uint64_t ip, uint32_t arch) {
  SeccompData d;
  d.nr = nr;
  d.arch = arch;
  d.instruction_pointer = ip;
  size_t i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

uint32_t reference_verdict(const policy::Policy& policy, const SeccompData& data) {
  policy::SyscallInput in;
  in.nr = data.nr;
  in.arch = data.arch;
  in.instruction_pointer = data.instruction_pointer;
  for (int i = 0; i < 6; ++i) in.args[i] = data.args[i];
  return policy::to_seccomp_ret(policy::evaluate(policy, in).action);
}

std::string verdict_text(uint32_t v) {
  char buf[64];
  const uint32_t data = v & SECCOMP_RET_DATA;
  switch (v & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: std::snprintf(buf, sizeof buf, "KILL_PROCESS"); break;
    case SECCOMP_RET_KILL_THREAD: std::snprintf(buf, sizeof buf, "KILL_THREAD"); break;
    case SECCOMP_RET_TRAP: std::snprintf(buf, sizeof buf, "TRAP(%u)", data); break;
    case SECCOMP_RET_ERRNO: std::snprintf(buf, sizeof buf, "ERRNO(%u)", data); break;
    case SECCOMP_RET_USER_NOTIF: std::snprintf(buf, sizeof buf, "USER_NOTIF"); break;
    case SECCOMP_RET_TRACE: std::snprintf(buf, sizeof buf, "TRACE(%u)", data); break;
    case SECCOMP_RET_LOG: std::snprintf(buf, sizeof buf, "LOG"); break;
    case SECCOMP_RET_ALLOW: std::snprintf(buf, sizeof buf, "ALLOW"); break;
    default: std::snprintf(buf, sizeof buf, "0x%08x", v); break;
  }
  char out[96];
  std::snprintf(out, sizeof out, "%s [0x%08x]", buf, v);
  return out;
}

std::string describe(const SeccompData& d) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{nr=%d (0x%x), arch=0x%x, ip=0x%llx, args=[0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx]}", d.nr,
                static_cast<uint32_t>(d.nr), d.arch, static_cast<unsigned long long>(d.instruction_pointer),
                static_cast<unsigned long long>(d.args[0]), static_cast<unsigned long long>(d.args[1]),
                static_cast<unsigned long long>(d.args[2]), static_cast<unsigned long long>(d.args[3]),
                static_cast<unsigned long long>(d.args[4]), static_cast<unsigned long long>(d.args[5]));
  return buf;
}

std::string describe(const policy::Policy& p) {
  std::string out = "policy \"" + p.name() + "\" default " + policy::to_string(p.default_action()) + "\n";
  for (int nr : p.syscalls_with_rules()) {
    for (const policy::Rule& r : p.rules_for(nr)) {
      out += "  nr " + std::to_string(nr) + ": when " + policy::to_string(r.when, -1) + " -> " +
             policy::to_string(r.action) + "\n";
    }
  }
  return out;
}

std::optional<uint32_t> constant_verdict(const Program& program, int nr, uint32_t arch) {
  const auto& insns = program.instructions;
  uint32_t a = 0;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    const Instruction& in = insns[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k == 0) a = static_cast<uint32_t>(nr);
        else if (in.k == 4) a = arch;
        else return std::nullopt;
        break;
      case BPF_RET | BPF_K:
        return in.k;
      case BPF_JMP | BPF_JA:
        pc += in.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & in.k) ? in.jt : in.jf; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= in.k; break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

uint64_t derive_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ---- generator ---------------------------------------------------------------

namespace {

const std::vector<uint64_t> kBoundaries = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
    0x100000000ull,
    0x100000001ull,
    0x1ffffffffull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xfffffffffffffffeull,
    0xffffffffffffffffull,
    0xffffffff00000000ull,
    0xffffffff80000000ull,  // (int64)INT_MIN
    0xffffffffffffff9cull,  // AT_FDCWD sign-extended
    0xffffff9cull,          // AT_FDCWD as a 32-bit int
};

const std::vector<uint64_t> kMasks = {
    0x1, 0x3, 0xff, 0xf0, 0xffff, 0xffff0000, 0xffffffff, 0xffffffff00000000ull, 0x000000ff000000ffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0x80000000, 0x100000000ull, 0,
};

}  // namespace

Generator::Generator(uint64_t seed, GeneratorOptions options) : rng_(seed), options_(std::move(options)) {}

bool Generator::chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p; }

uint64_t Generator::pick(const std::vector<uint64_t>& from) { return from[rng_() % from.size()]; }

uint64_t Generator::interesting_value(uint8_t width) {
  uint64_t v;
  switch (rng_() % 10) {
    case 0:
    case 1:
    case 2:
    case 3: v = pick(kBoundaries); break;
    case 4:
    case 5: v = rng_() % 17; break;
    case 6: v = rng_() & 0xffffffffu; break;
    case 7: v = rng_(); break;
    case 8:
      if (!constants_.empty()) {
        v = pick(constants_);
        switch (rng_() % 4) {
          case 0: v += 1; break;
          case 1: v -= 1; break;
          case 2: v ^= (rng_() % 3 + 1) << 32; break;  // differs only in the high half
          default: break;
        }
        break;
      }
      [[fallthrough]];
    default: {
      const uint64_t his[] = {0, 1, 0xffffffffu, rng_() & 0xffffffffu};
      v = (his[rng_() % 4] << 32) | (rng_() % 2 ? pick(kBoundaries) & 0xffffffffu : rng_() % 17);
      break;
    }
  }
  constants_.push_back(v);
  if (width == 32) constants_.push_back(v & 0xffffffffu);
  return v;
}

uint64_t Generator::ip_value() {
  uint64_t v;
  if (!options_.ip_points.empty() && chance(0.8)) {
    v = pick(options_.ip_points) + (rng_() % 9) - 4;
  } else {
    switch (rng_() % 5) {
      case 0: v = pick(kBoundaries); break;
      case 1: v = 0x400000 + (rng_() % 0x1000); break;
      case 2: v = 0x7fff00000000ull + (rng_() & 0xffffffffu); break;
      case 3: v = 0xfffffffffffff000ull + (rng_() % 0x1000); break;
      default: v = rng_(); break;
    }
  }
  ips_.push_back(v);
  return v;
}

Condition Generator::leaf() {
  if (chance(0.12)) {
    uint64_t begin = ip_value();
    uint64_t end;
    switch (rng_() % 4) {
      case 0: end = ip_value(); break;  // may be empty (end <= begin)
      case 1: end = begin + 1; break;
      default: end = begin + (rng_() % 64) + 1; break;
    }
    ips_.push_back(end);
    return Condition::ip_range(begin, end);
  }
  const uint8_t arg = static_cast<uint8_t>(rng_() % 6);
  const uint8_t width = chance(0.5) ? 32 : 64;
  const CmpOp op = static_cast<CmpOp>(rng_() % 8);
  switch (op) {
    case CmpOp::kMaskedEq: {
      uint64_t mask = chance(0.7) ? pick(kMasks) : rng_();
      uint64_t value = interesting_value(width);
      if (chance(0.7)) value &= mask;  // mostly satisfiable
      constants_.push_back(mask);
      return Condition::masked_eq(arg, width, mask, value);
    }
    case CmpOp::kIn: {
      std::vector<uint64_t> set;
      size_t n = rng_() % 5;
      for (size_t i = 0; i < n; ++i) set.push_back(interesting_value(width));
      return Condition::in(arg, width, std::move(set));
    }
    default:
      return Condition::compare(arg, width, op, interesting_value(width));
  }
}

Condition Generator::condition(int depth) {
  if (depth >= 3 || chance(0.55)) return leaf();
  switch (rng_() % 3) {
    case 0:
    case 1: {
      std::vector<Condition> children;
      size_t n = rng_() % 4;  // 0..3; empty all/any are legal (true / false)
      for (size_t i = 0; i < n; ++i) children.push_back(condition(depth + 1));
      return (rng_() % 2) ? Condition::all_of(std::move(children)) : Condition::any_of(std::move(children));
    }
    default:
      return Condition::negate(condition(depth + 1));
  }
}

Action Generator::action() {
  if (options_.actions == ActionSet::kObservable) {
    switch (rng_() % 4) {
      case 0: return Action::allow();
      case 1: return Action::kill();
      case 2: {
        uint16_t e;
        do e = static_cast<uint16_t>(1 + rng_() % 4095);
        while (e == 38);  // ENOSYS: what an allowed unknown syscall returns
        return Action::error(e);
      }
      default: return Action::trap(static_cast<uint16_t>(rng_()));
    }
  }
  switch (rng_() % 8) {
    case 0:
    case 1: return Action::allow();
    case 2: return Action::kill();
    case 3:
    case 4: return Action::error(static_cast<uint16_t>(rng_() % 4 == 0 ? rng_() % 4096 : 1 + rng_() % 40));  // builder caps at MAX_ERRNO
    case 5: return Action::explain(static_cast<uint16_t>(1 + rng_() % 40));
    case 6: return Action::trap(static_cast<uint16_t>(rng_()));
    default: return Action::log();
  }
}

Result<policy::Policy> Generator::policy() {
  constants_.clear();
  ips_.clear();
  policy::PolicyBuilder b("random");
  b.set_default(action());

  std::vector<int> nrs;
  // A few wide policies: many syscalls (a deep search tree, far jumps from the
  // tree to the verdicts), most of them constant.
  const bool wide = options_.syscalls.empty() && chance(0.04);
  if (!options_.syscalls.empty()) {
    nrs = options_.syscalls;
  } else if (wide) {
    size_t n = 60 + rng_() % 240;
    for (size_t i = 0; i < n; ++i) nrs.push_back(static_cast<int>(rng_() % 640));
  } else {
    size_t n = 1 + rng_() % 12;
    for (size_t i = 0; i < n; ++i) {
      switch (rng_() % 10) {
        case 0: nrs.push_back(static_cast<int>(rng_() % 0x40000000u)); break;  // huge but valid
        case 1: nrs.push_back(rng_() % 2 ? 0x3fffffff : 0); break;
        case 2:
        case 3: nrs.push_back(static_cast<int>(rng_() % 24)); break;  // collide, neighbour
        default: nrs.push_back(static_cast<int>(rng_() % 512)); break;
      }
    }
  }
  // A few "hot" syscalls get many rules (deep rule chains, far jumps).
  struct Pending {
    int nr;
    Condition when;
    Action action;
  };
  std::vector<Pending> pending;
  std::sort(nrs.begin(), nrs.end());
  nrs.erase(std::unique(nrs.begin(), nrs.end()), nrs.end());
  for (int nr : nrs) {
    const bool hot = chance(wide ? 0.02 : 0.25);
    const size_t rules = hot ? 4 + rng_() % 20 : (wide && chance(0.7)) ? 1 : 1 + rng_() % 3;
    std::vector<Condition> seen;  // PolicyBuilder rejects a repeated condition
    for (size_t r = 0; r < rules; ++r) {
      const bool last = r + 1 == rules;
      // Unconditional rules: a whole syscall (first rule) or a catch-all (last).
      bool unconditional = (last && chance(0.15)) || (r == 0 && rules == 1 && chance(wide ? 0.8 : 0.3));
      Condition when = unconditional ? Condition::always() : condition(0);
      for (int tries = 0; tries < 8 && std::find(seen.begin(), seen.end(), when) != seen.end(); ++tries) {
        when = condition(0);
      }
      if (std::find(seen.begin(), seen.end(), when) != seen.end()) continue;
      seen.push_back(when);
      pending.push_back({nr, std::move(when), action()});
      if (unconditional) break;
    }
  }
  // Interleave syscalls but keep each syscall's rules in order (stable shuffle by key).
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) { return a.nr < b.nr; });
  for (Pending& p : pending) b.rule(p.nr, std::move(p.when), p.action);
  for (const auto& [nr, act] : options_.fixed_rules) b.rule(nr, Condition::always(), act);

  if (options_.allow_promises && chance(0.08)) {
    const auto& all = policy::all_promises();
    size_t n = 1 + rng_() % 3;
    for (size_t i = 0; i < n; ++i) b.promise(all[rng_() % all.size()]);
  }
  return b.build();
}

uint64_t Generator::argument_value() {
  switch (rng_() % 20) {
    case 0:
    case 1:
    case 2:
    case 3: return pick(kBoundaries);
    case 4:
    case 5: return rng_() % 17;
    case 6: return rng_();
    case 7: return rng_() & 0xffffffffu;
    default: break;
  }
  if (constants_.empty()) return rng_() % 3;
  uint64_t c = pick(constants_);
  switch (rng_() % 8) {
    case 0: return c + 1;
    case 1: return c - 1;
    case 2: return (c & 0xffffffffu) | (rng_() << 32);         // same low half, other high half
    case 3: return (c & 0xffffffff00000000ull) | (rng_() & 0xffffffffu);  // same high half
    case 4: return c | 0xffffffff00000000ull;
    case 5: return c & 0xffffffffu;
    default: return c;
  }
}

SeccompData Generator::input(const policy::Policy& p) {
  SeccompData d;
  d.arch = kArchX86_64;
  if (chance(0.03)) {
    const uint32_t archs[] = {kArchI386, 0, 0xC000003Fu, kArchX86_64 ^ 0x80000000u, static_cast<uint32_t>(rng_())};
    d.arch = archs[rng_() % 5];
  }
  std::vector<int> nrs = p.syscalls_with_rules();
  const unsigned r = rng_() % 100;
  if (!nrs.empty() && r < 65) {
    d.nr = nrs[rng_() % nrs.size()];
  } else if (!nrs.empty() && r < 75) {
    d.nr = nrs[rng_() % nrs.size()] + (rng_() % 2 ? 1 : -1);
  } else if (r < 85) {
    d.nr = static_cast<int>(rng_() % 600);
  } else if (r < 90) {
    int base = nrs.empty() ? static_cast<int>(rng_() % 600) : nrs[rng_() % nrs.size()];
    d.nr = static_cast<int>(static_cast<uint32_t>(base) | kX32SyscallBit);
  } else if (r < 95) {
    const int negatives[] = {-1, INT_MIN, INT_MIN + 1, -(1 << 30) - 1, -(1 << 30), -2,
                             static_cast<int>(0x80000000u | (rng_() & 0x7fffffffu))};
    d.nr = negatives[rng_() % 7];
  } else {
    const int others[] = {0x3fffffff, 0x7fffffff, 0x40000000, static_cast<int>(rng_()), 512, 1024};
    d.nr = others[rng_() % 6];
  }
  for (uint64_t& a : d.args) a = argument_value();
  if (!ips_.empty() && chance(0.7)) {
    uint64_t ip = pick(ips_);
    switch (rng_() % 4) {
      case 0: ip += 1; break;
      case 1: ip -= 1; break;
      default: break;
    }
    d.instruction_pointer = ip;
  } else {
    d.instruction_pointer = chance(0.5) ? pick(kBoundaries) : rng_();
  }
  return d;
}

}  // namespace sysgate::bpf::testing
