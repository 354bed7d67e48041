#include "gate/inject.h"

#include <asm/unistd.h>

#include "gate/raw_syscall.h"
#include "gate/util.h"

namespace sysgate::gate {

namespace {

constexpr long kClockMonotonic = 1;
constexpr long kEintr = 4;

struct KernelTimespec {
  int64_t sec;
  int64_t nsec;
};

void sleep_ns(uint64_t ns) {
  KernelTimespec left{static_cast<int64_t>(ns / 1000000000u), static_cast<int64_t>(ns % 1000000000u)};
  while (raw_syscall(__NR_clock_nanosleep, kClockMonotonic, 0, addr(&left), addr(&left)) == -kEintr) {
  }
}

// strace's when=first..last+step, for the n-th invocation (from 1).
bool selects(const trace::InjectRule& rule, uint32_t n) {
  if (n < rule.first || (rule.last != 0 && n > rule.last)) return false;
  if (rule.step == 0) return n == rule.first;
  return (n - rule.first) % rule.step == 0;
}

// As strace's injected signal arrives: si_code SI_KERNEL, no sender. The
// kernel lets a thread queue any siginfo to itself; tgkill if it refuses.
void send_signal(const GateThread* t, uint8_t sig) {
  constexpr int32_t kSiKernel = 0x80;
  int32_t info[32];  // siginfo_t: 128 bytes
  zero_bytes(info, sizeof info);
  info[0] = sig;
  info[2] = kSiKernel;
  const uint64_t pid = static_cast<uint64_t>(t->pid), tid = static_cast<uint64_t>(t->tid);
  if (raw_syscall(__NR_rt_tgsigqueueinfo, pid, tid, sig, addr(info)) != 0) raw_syscall(__NR_tgkill, pid, tid, sig);
}

trace::InjectTable g_inject;  // inject_install's copy

}  // namespace

uint32_t g_inject_rule_count = 0;

void inject_install(const trace::InjectTable& from) {
  const uint32_t count = from.rule_count <= trace::kMaxInjectRules ? from.rule_count : 0;
  for (uint32_t i = 0; i < count; ++i) {
    g_inject.rules[i] = from.rules[i];
    if (g_inject.rules[i].first == 0) g_inject.rules[i].first = 1;
  }
  for (int nr = 0; nr < trace::kCallMaskNumbers; ++nr) {
    const uint8_t rule = from.rule_of[nr];
    g_inject.rule_of[nr] = rule <= count ? rule : 0;
  }
  g_inject.rule_count = count;
  g_inject_rule_count = count;
}

InjectStep inject_enter_rule(GateThread* t, long nr) {
  const trace::InjectTable& table = g_inject;
  if (table.rule_count == 0 || nr < 0 || nr >= trace::kCallMaskNumbers) return {};
  const uint8_t index = table.rule_of[nr];
  if (index == 0) return {};
  uint32_t& seen = t->inject_seen[nr];
  if (seen != UINT32_MAX) ++seen;
  const trace::InjectRule& rule = table.rules[index - 1];
  if (!selects(rule, seen)) return {};
  if (rule.delay_enter_ns != 0) sleep_ns(rule.delay_enter_ns);
  return {&rule};
}

void inject_uncount(GateThread* t, long nr) {
  const trace::InjectTable& table = g_inject;
  if (table.rule_count == 0 || nr < 0 || nr >= trace::kCallMaskNumbers || table.rule_of[nr] == 0) return;
  uint32_t& seen = t->inject_seen[nr];
  if (seen != 0 && seen != UINT32_MAX) --seen;
}

void inject_exit_rule(GateThread* t, const InjectStep& step) {
  if (step.rule->delay_exit_ns != 0) sleep_ns(step.rule->delay_exit_ns);
  if (step.rule->signal != 0) send_signal(t, step.rule->signal);
}

}  // namespace sysgate::gate
