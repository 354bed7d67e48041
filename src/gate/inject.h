// sysgate trace -e inject=: tampering with the calls a rule selects, as strace's
// syscall tampering does, but in the program's own thread.
//
//   InjectStep step = inject_enter(t, nr);      // counts the call; delay_enter
//   if (step.returns()) ret = step.rule->ret;   // the call is not made
//   else ret = make the call;
//   ... its record, with step.record_flags() ...
//   inject_exit(t, step);                       // delay_exit, then the signal
//
// The rules are the trace region header's (trace::InjectTable); the monitor gives rules only to calls the trace records,
// so only those are counted (strace 6 tampers with traced calls only).
// Invocations are counted per thread and syscall number (GateThread::
// inject_seen), from 1; a forked child counts afresh; an exec starts a new gate
// and new counts (strace keeps counting across an exec).
//
// The signal is sent when the call has returned and its record is written, as
// strace's arrives (si_code SI_KERNEL); but a blocking call it selects is not
// interrupted by it (strace sends it at the call's entry). A delay sleeps on CLOCK_MONOTONIC, resumed after signals.
// Injection only ever makes the program do less, or later: no rule makes a
// call the policy would refuse.
#pragma once

#include <stdint.h>

#include "gate/thread_state.h"
#include "trace/ring_format.h"

namespace sysgate::gate {

struct InjectStep {
  const trace::InjectRule* rule = nullptr;  // null: this invocation is left alone
  bool returns() const { return rule != nullptr && (rule->flags & trace::kInjectReturn) != 0; }
  // What its record says: kRecordInjected, kRecordDelayed.
  uint16_t record_flags() const {
    if (rule == nullptr) return 0;
    const bool delayed = rule->delay_enter_ns != 0 || rule->delay_exit_ns != 0;
    return static_cast<uint16_t>((returns() ? trace::kRecordInjected : 0) | (delayed ? trace::kRecordDelayed : 0));
  }
};

// Copies the trace region header's rules (the program can write the header),
// minus anything out of range: a rule index past rule_count selects nothing, a
// first of 0 is 1. At gate install, before any call.
void inject_install(const trace::InjectTable& from);

// Rules installed (0 for a trace without -e inject=): the inline fast path
// of every traced call.
extern uint32_t g_inject_rule_count __attribute__((visibility("hidden")));

InjectStep inject_enter_rule(GateThread* t, long nr);
void inject_exit_rule(GateThread* t, const InjectStep& step);

inline InjectStep inject_enter(GateThread* t, long nr) {
  return g_inject_rule_count == 0 ? InjectStep{} : inject_enter_rule(t, nr);
}
inline void inject_exit(GateThread* t, const InjectStep& step) {
  if (step.rule != nullptr) inject_exit_rule(t, step);
}
// The invocation inject_enter counted was not made after all (a deferred
// signal stopped it: deferred_signal.h); the program makes it again, and it
// is counted then.
void inject_uncount(GateThread* t, long nr);

}  // namespace sysgate::gate
