#include "policy/parser.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "policy/evaluate.h"
#include "policy/profiles.h"

namespace sysgate::policy {
namespace {

TEST(Parser, ParsesAFullPolicy) {
  constexpr std::string_view kText = R"toml(
name = "tool"
default = "errno(EACCES)"
promises = ["stdio", "rpath"]

[files]
read = ["/usr", "$CWD"]
write = ["$CWD/out"]
except = ["/usr/secret"]

[[rule]]
syscall = "ioctl"
when = "request in [TCGETS, TIOCGWINSZ]"
action = "allow"

[[rule]]
syscalls = ["socket", "socketpair"]
when = "domain == AF_UNIX"
action = "explain(EACCES)"
)toml";
  Result<Policy> p = parse_policy(kText, "t.toml");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->default_action(), Action::error(EACCES));
  EXPECT_TRUE(p->promises().count(Promise::kRpath));
  ASSERT_EQ(p->file_rules().size(), 3u);
  EXPECT_EQ(p->file_rules()[0].path, "/usr");
  EXPECT_EQ(p->file_rules()[0].except, std::vector<std::string>{"/usr/secret"});
  EXPECT_EQ(p->file_rules()[2].rights, kWrite);
  ASSERT_FALSE(p->rules_for(SYS_socketpair).empty());
  const Rule& r = p->rules_for(SYS_socketpair)[0];
  EXPECT_EQ(r.action, Action::explain(EACCES));
  EXPECT_EQ(r.origin.where, "t.toml:16:1");  // the raw string starts with a newline
  // Explicit rules come before promise grants: socketpair(AF_UNIX) is explained, not allowed by stdio.
  SyscallInput in{.nr = SYS_socketpair};
  in.args[0] = AF_UNIX;
  EXPECT_EQ(evaluate(*p, in).action, Action::explain(EACCES));
}

TEST(Parser, ExtendsAProfileAndOverridesIt) {
  Result<Policy> p = parse_policy(R"toml(
extends = "default"
promises = ["inet"]
[[rule]]
syscall = "clone3"
action = "errno(EPERM)"
)toml",
                                  "x.toml");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->default_action(), Action::explain());
  EXPECT_TRUE(p->promises().count(Promise::kInet));
  EXPECT_TRUE(p->promises().count(Promise::kRpath));
  ASSERT_FALSE(p->rules_for(SYS_clone3).empty());
  EXPECT_EQ(p->rules_for(SYS_clone3)[0].action, Action::error(EPERM));
}

struct Bad {
  const char* what;
  const char* text;
  const char* message;
  uint32_t line;
  uint32_t column;
};

// Dozens of malformed policies: each must give a clear error at the right place.
const Bad kBad[] = {
    {"bad toml", "default = ", "", 1, 0},
    {"unterminated string", "default = \"allow", "", 1, 0},
    {"bad table header", "[files\nread = []", "", 1, 0},
    {"duplicate key", "default = \"allow\"\ndefault = \"kill\"", "", 2, 0},
    {"unknown top-level key", "defualt = \"allow\"", "unknown key \"defualt\"", 1, 11},
    {"default not a string", "default = 3", "\"default\" must be a string, not an integer", 1, 11},
    {"unknown action", "default = \"deny\"", "unknown action \"deny\"", 1, 11},
    {"unknown errno", "default = \"errno(EFOO)\"", "unknown errno \"EFOO\"", 1, 11},
    {"errno empty", "default = \"errno()\"", "unknown action", 1, 11},
    {"numeric errno", "default = \"errno(1)\"", "unknown errno \"1\"", 1, 11},
    {"promises not array", "promises = \"stdio\"", "must be an array of strings", 1, 12},
    {"promise not string", "promises = [1]", "must contain strings, not an integer", 1, 13},
    {"unknown promise", "promises = [\"stdio\", \"rpth\"]", "unknown promise \"rpth\"", 1, 22},
    {"files not table", "files = 1", "\"files\" must be a table", 1, 9},
    {"unknown files key", "[files]\nraed = [\"/usr\"]", "unknown key \"raed\" in [files]", 2, 8},
    {"relative file path", "[files]\nread = [\"usr\"]", "must be absolute", 2, 9},
    {"empty file path", "[files]\nread = [\"\"]", "must be absolute", 2, 9},
    // Found by the fuzzer: an except list made the parser look at the empty path's last byte.
    {"empty file path with excepts", "[files]\nread = [\"\"]\nexcept = [\"/usr/x\"]", "must be absolute", 2, 9},
    {"bad placeholder", "[files]\nread = [\"$CWDX\"]", "must be absolute", 2, 9},
    {"relative except", "[files]\nexcept = [\"etc\"]", "must be absolute", 2, 11},
    {"rule not array of tables", "rule = 1", "write rules as [[rule]] tables", 1, 8},
    {"rule without syscall", "[[rule]]\naction = \"allow\"", "needs \"syscall\"", 1, 1},
    {"rule without action", "[[rule]]\nsyscall = \"read\"", "needs an \"action\"", 1, 1},
    {"unknown syscall", "[[rule]]\nsyscall = \"opne\"\naction = \"allow\"", "unknown syscall \"opne\"", 2, 11},
    {"unknown syscall in list", "[[rule]]\nsyscalls = [\"read\", \"wirte\"]\naction = \"allow\"",
     "unknown syscall \"wirte\"", 2, 21},
    {"syscall not string", "[[rule]]\nsyscall = 0\naction = \"allow\"", "must be a string", 2, 11},
    {"unknown rule key", "[[rule]]\nsyscall = \"read\"\nacton = \"allow\"", "unknown key \"acton\" in [[rule]]", 3, 9},
    {"bad rule action", "[[rule]]\nsyscall = \"read\"\naction = \"permit\"", "unknown action \"permit\"", 3, 10},
    {"bad condition", "[[rule]]\nsyscall = \"openat\"\nwhen = \"flags == \"\naction = \"allow\"",
     "expected a number or constant", 3, 18},
    {"unknown arg", "[[rule]]\nsyscall = \"openat\"\nwhen = \"flgs == 1\"\naction = \"allow\"",
     "\"flgs\" is not an argument of openat", 3, 9},
    {"unknown constant", "[[rule]]\nsyscall = \"socket\"\nwhen = \"domain == AF_INTE\"\naction = \"allow\"",
     "unknown constant \"AF_INTE\"", 3, 19},
    {"condition not string", "[[rule]]\nsyscall = \"read\"\nwhen = 1\naction = \"allow\"", "\"when\" must be a string",
     3, 8},
    {"contradictory rules",
     "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 3\"\naction = \"allow\"\n"
     "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 3\"\naction = \"kill\"",
     "contradicts rule at <t>:1:1", 5, 1},
    {"repeated rule",
     "[[rule]]\nsyscall = \"read\"\naction = \"kill\"\n[[rule]]\nsyscall = \"write\"\naction = \"kill\"\n"
     "[[rule]]\nsyscall = \"write\"\naction = \"kill\"",
     "never reached", 7, 1},
    {"unreachable rule",
     "[[rule]]\nsyscall = \"read\"\naction = \"allow\"\n[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 0\"\naction = \"kill\"",
     "never reached: rule at <t>:1:1 already decides every call", 4, 1},
    // The gate makes these in every process and the filter always lets them
    // through: a rule refusing one would never be enforced.
    {"refusing a call the gate needs", "default = \"allow\"\n[[rule]]\nsyscall = \"rt_sigaction\"\naction = \"kill\"",
     "rule for rt_sigaction cannot be enforced", 2, 1},
    {"failing getpid", "[[rule]]\nsyscall = \"getpid\"\naction = \"errno(EACCES)\"", "rule for getpid cannot be enforced",
     1, 1},
    {"unknown profile", "extends = \"defualt\"", "unknown profile \"defualt\"", 1, 11},
    {"extends not string", "extends = []", "\"extends\" must be a string", 1, 11},
    {"32-bit overflow", "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 0x1ffffffff\"\naction = \"allow\"",
     "does not fit this 32-bit argument", 3, 15},
    {"repeated rule with condition",
     "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 3\"\naction = \"kill\"\n"
     "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == 3\"\naction = \"kill\"",
     "rule repeats rule at <t>:1:1", 5, 1},
};

TEST(Parser, MalformedPoliciesGiveClearErrorsWithPositions) {
  for (const Bad& b : kBad) {
    SCOPED_TRACE(b.what);
    Result<Policy> p = parse_policy(b.text, "<t>");
    ASSERT_FALSE(p.ok()) << b.text;
    const Error& e = p.error();
    EXPECT_FALSE(e.message.empty());
    EXPECT_NE(e.message.find(b.message), std::string::npos) << e.describe();
    if (b.line) {
      EXPECT_EQ(e.where.line, b.line) << e.describe();
    }
    if (b.column) {
      EXPECT_EQ(e.where.column, b.column) << e.describe();
    }
    EXPECT_EQ(e.describe().rfind("<t>", 0), 0u) << e.describe();
  }
}

TEST(Parser, NulByteInTheMiddleIsRejected) {
  std::string text("default = \"allow\"\n", 18);
  text.push_back('\0');
  EXPECT_FALSE(parse_policy(text, "<t>").ok());
}

// toml++ 3.3 has undefined behaviour on some non-ASCII input (found by
// scripts/fuzz.sh); such bytes are refused with their position instead.
TEST(Parser, NonAsciiBytesAreRefusedWithTheirPosition) {
  Result<Policy> p = parse_policy("default = \"allow\"\nread = [ +CWD\xd1\x8eut\"]\n", "<t>");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kParse);
  EXPECT_NE(p.error().message.find("non-ASCII"), std::string::npos) << p.error().describe();
  EXPECT_EQ(p.error().where.line, 2u);
  EXPECT_EQ(p.error().where.column, 14u);
  EXPECT_FALSE(parse_policy("\xcc\xaa", "<t>").ok());  // toml++ issue #295
  // Escaped, the same character is fine in a string.
  Result<Policy> escaped = parse_policy("default = \"allow\"\n[files]\nread = [\"/tmp/\\u044e\"]\n", "<t>");
  EXPECT_TRUE(escaped.ok()) << escaped.error().describe();
}

TEST(Parser, HugeInputIsRejectedQuickly) {
  std::string huge(kMaxPolicyBytes + 1, '#');
  Result<Policy> p = parse_policy(huge, "<t>");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kTooLarge);
}

TEST(Parser, ManyRulesWithinTheLimitParse) {
  std::string text;
  for (int fd = 0; fd < 2000; ++fd) {
    text += "[[rule]]\nsyscall = \"read\"\nwhen = \"fd == " + std::to_string(fd) + "\"\naction = \"allow\"\n";
  }
  Result<Policy> p = parse_policy(text, "<t>");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->rules_for(SYS_read).size(), 2000u);
}

TEST(Parser, FileErrors) {
  Result<Policy> missing = parse_policy_file("/nonexistent/p.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/p.toml"), std::string::npos);
  Result<Policy> dir = parse_policy_file("/tmp");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("is a directory"), std::string::npos);

  char path[] = "/tmp/sysgate-parser-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string big(kMaxPolicyBytes + 10, ' ');
  ASSERT_EQ(write(fd, big.data(), big.size()), static_cast<ssize_t>(big.size()));
  close(fd);
  Result<Policy> large = parse_policy_file(path);
  unlink(path);
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().code, ErrorCode::kTooLarge);
}

TEST(Parser, EveryProfileParsesAndExtendsWork) {
  for (std::string_view name : profile_names()) {
    Result<Policy> p = load_profile(name);
    EXPECT_TRUE(p.ok()) << name << ": " << (p.ok() ? "" : p.error().describe());
  }
  EXPECT_FALSE(load_profile("nope").ok());
}

}  // namespace
}  // namespace sysgate::policy
