// PolicyBuilder: the C++ way to make a Policy. Keeps the first error, reported by build().
//
//   auto p = PolicyBuilder("mytool")
//                .set_default(Action::explain())
//                .promise(Promise::kStdio)
//                .promise(Promise::kRpath)
//                .rule("socket", Condition::compare(0, 32, CmpOp::kEq, AF_UNIX), Action::allow())
//                .file({.path = "/usr", .rights = kRead})
//                .build();
//   if (!p) die(p.error().describe());
//
// build() checks: syscall names exist; a rule after an unconditional rule for the
// same syscall is unreachable (error); two rules with identical conditions and
// different actions contradict each other (error); file rules have absolute
// paths (or a $CWD/$TMP/$HOME prefix) and at least one right.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/policy.h"

namespace sysgate::policy {

class PolicyBuilder {
 public:
  explicit PolicyBuilder(std::string name = "");

  PolicyBuilder& set_default(Action action);
  PolicyBuilder& promise(Promise promise);
  PolicyBuilder& rule(int nr, Condition when, Action action, Origin origin = {});
  PolicyBuilder& rule(std::string_view syscall, Condition when, Action action, Origin origin = {});
  PolicyBuilder& allow(std::string_view syscall) { return rule(syscall, Condition::always(), Action::allow()); }
  PolicyBuilder& file(FileRule rule);
  // Records an error to be returned by build() (used by parsers layered on top).
  PolicyBuilder& fail(Error error);

  Result<Policy> build() const;

 private:
  std::string name_;
  Action default_action_ = Action::explain();
  std::vector<Promise> promises_;
  std::vector<Rule> rules_;
  std::vector<FileRule> files_;
  std::vector<Error> errors_;
};

}  // namespace sysgate::policy
