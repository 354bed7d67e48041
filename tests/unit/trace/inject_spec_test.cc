// parse_inject_spec and inject_table: strace 6.1's -e inject= / -e fault=
// grammar (checked against `strace -e inject=... true`), and the table the
// gate reads.
#include "trace/inject_spec.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"

namespace sysgate::trace {
namespace {

int nr(const char* name) { return syscalls::by_name(name)->nr; }

InjectRule rule_of(const char* text, bool fault = false) {
  Result<InjectSpec> spec = parse_inject_spec(text, fault);
  EXPECT_TRUE(spec) << text << ": " << (spec ? "" : spec.error().message);
  return spec ? spec->rule : InjectRule{};
}

std::string error_of(const char* text, bool fault = false) {
  Result<InjectSpec> spec = parse_inject_spec(text, fault);
  EXPECT_FALSE(spec) << text;
  return spec ? "" : spec.error().message;
}

TEST(InjectSpec, ParsesWhatEachCallGets) {
  const InjectRule error = rule_of("openat:error=ENOENT");
  EXPECT_EQ(error.ret, -2);
  EXPECT_EQ(error.flags, kInjectReturn);
  EXPECT_EQ(error.first, 1u);
  EXPECT_EQ(error.step, 1u);  // every invocation
  EXPECT_EQ(error.last, 0u);
  EXPECT_EQ(rule_of("openat:error=enoent").ret, -2);
  EXPECT_EQ(rule_of("openat:error=5").ret, -5);
  EXPECT_EQ(rule_of("getpid:retval=42").ret, 42);
  EXPECT_EQ(rule_of("getpid:retval=42").flags, kInjectReturn);
  const InjectRule signal = rule_of("getpid:signal=USR1");
  EXPECT_EQ(signal.signal, SIGUSR1);
  EXPECT_EQ(signal.flags, 0);  // the call is still made
  EXPECT_EQ(rule_of("getpid:signal=SIGTERM:retval=0").signal, SIGTERM);
  EXPECT_EQ(rule_of("getpid:delay_enter=20").delay_enter_ns, 20000u);  // microseconds by default
  EXPECT_EQ(rule_of("getpid:delay_exit=1.5ms").delay_exit_ns, 1500000u);
  EXPECT_EQ(rule_of("getpid:delay_exit=2s").delay_exit_ns, 2000000000u);
  EXPECT_EQ(rule_of("getpid:delay_exit=7ns").delay_exit_ns, 7u);
  const InjectRule fault = rule_of("openat", true);
  EXPECT_EQ(fault.ret, -38);  // ENOSYS
  EXPECT_EQ(fault.flags, kInjectReturn);
  EXPECT_EQ(rule_of("openat:error=EPERM:when=2", true).ret, -1);
}

TEST(InjectSpec, WhenSelectsInvocations) {
  struct Case {
    const char* text;
    uint32_t first, last, step;
  };
  for (const Case& c : {Case{"getpid:retval=1:when=3", 3, 0, 0}, Case{"getpid:retval=1:when=3+", 3, 0, 1},
                        Case{"getpid:retval=1:when=3+2", 3, 0, 2}, Case{"getpid:retval=1:when=2..4", 2, 4, 1},
                        Case{"getpid:retval=1:when=2..9+", 2, 9, 1}, Case{"getpid:retval=1:when=2..9+3", 2, 9, 3},
                        Case{"getpid:retval=1:when=1..1", 1, 1, 1}, Case{"getpid:retval=1:when=9:when=4+", 4, 0, 1}}) {
    const InjectRule r = rule_of(c.text);
    EXPECT_EQ(r.first, c.first) << c.text;
    EXPECT_EQ(r.last, c.last) << c.text;
    EXPECT_EQ(r.step, c.step) << c.text;
  }
}

TEST(InjectSpec, RefusesWhatStraceRefuses) {
  EXPECT_EQ(error_of("openat"), "needs error=, retval=, signal=, delay_enter= or delay_exit=");
  EXPECT_EQ(error_of("openat:error=EFOO"), "unknown errno 'EFOO'");
  EXPECT_EQ(error_of("openat:error=4096"), "unknown errno '4096'");
  EXPECT_EQ(error_of("openat:error=ENOENT:retval=1"), "one error= or retval= only");
  EXPECT_EQ(error_of("openat:signal=USR1:signal=USR2"), "one signal= only");
  EXPECT_EQ(error_of("opnat:error=EPERM"), "invalid system call 'opnat'");
  EXPECT_EQ(error_of("openat:signal=FOO"), "unknown signal 'FOO'");
  EXPECT_EQ(error_of("openat:foo=1"), "unknown option 'foo=1'");
  EXPECT_EQ(error_of("openat:error"), "expected option=value, not 'error'");
  EXPECT_EQ(error_of("openat:retval=2", true), "-e fault= takes only error= and when=, not 'retval=2'");
  EXPECT_EQ(error_of("openat:retval=-1"), "retval=-1: expected a number 0..9223372036854775807");
  EXPECT_EQ(error_of("openat:delay_enter=abc"), "delay_enter=abc: expected a time such as 500, 20ms or 1.5s");
  EXPECT_EQ(error_of("openat:delay_exit=3h"), "delay_exit=3h: expected a time such as 500, 20ms or 1.5s");
  EXPECT_EQ(error_of("openat:syscall=getpid:error=EIO"), "syscall= is not supported");
  EXPECT_EQ(error_of("openat:poke_enter=@arg1=00"), "poke_enter= is not supported");
  for (const char* when : {"openat:error=EIO:when=0", "openat:error=EIO:when=3..2", "openat:error=EIO:when=2+0",
                           "openat:error=EIO:when=65536", "openat:error=EIO:when=1..65535", "openat:error=EIO:when=x",
                           "openat:error=EIO:when="}) {
    EXPECT_NE(error_of(when).find("expected first[..last][+[step]]"), std::string::npos) << when;
  }
}

TEST(InjectSpec, TableGivesTracedCallsTheLastRuleThatSelectsThem) {
  std::vector<InjectSpec> specs;
  specs.push_back(*parse_inject_spec("openat,getpid:retval=1", false));
  specs.push_back(*parse_inject_spec("getpid,close:retval=2", false));
  Result<TraceFilter> traced = parse_trace_filter("openat,getpid");
  ASSERT_TRUE(traced);
  Result<InjectTable> table = inject_table(specs, *traced);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->rule_count, 2u);
  EXPECT_EQ(table->rule_of[nr("openat")], 1);
  EXPECT_EQ(table->rule_of[nr("getpid")], 2);  // the later spec wins, as in strace
  EXPECT_EQ(table->rule_of[nr("close")], 0);   // not traced: left alone, as strace leaves it
  EXPECT_EQ(table->rule_of[nr("read")], 0);
  EXPECT_EQ(table->rules[1].ret, 2);

  std::vector<InjectSpec> many(kMaxInjectRules + 1, *parse_inject_spec("close:error=EIO", false));
  Result<InjectTable> too_many = inject_table(many, TraceFilter());
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message, "at most 16 -e inject= or -e fault=");
}

}  // namespace
}  // namespace sysgate::trace
