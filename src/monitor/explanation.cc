#include "monitor/explanation.h"

#include "policy/promise.h"
#include "syscalls/syscall_table.h"

namespace sysgate::monitor {

using policy::Decision;
using policy::Origin;

std::string Explanation::summary() const {
  if (fixes.empty()) return cause;
  std::string out = "needs ";
  for (size_t i = 0; i < fixes.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == fixes.size() ? " or " : ", ") + fixes[i];
  }
  return out;
}

std::string allow_flag(uint8_t right) {
  if (right & policy::kExecute) return "--allow-exec";
  if (right & (policy::kWrite | policy::kCreate)) return "--allow-write";
  return "--allow-read";
}

Explanation explain_refusal(const policy::Policy& policy, const policy::SyscallInput& input,
                            const Decision& decision, const std::optional<PathHint>& hint) {
  Explanation e;
  const std::string name = syscalls::display_name(input.nr);
  switch (decision.reason) {
    case Decision::Reason::kWrongArch:
      e.cause = "not an x86-64 syscall (i386 entry via int 0x80 or sysenter): always killed";
      return e;
    case Decision::Reason::kX32:
      e.cause = "x32 ABI syscall: always killed";
      return e;
    case Decision::Reason::kRule: {
      const Origin& o = decision.rule->origin;
      if (o.source == Origin::Source::kBuiltin) {
        e.cause = "answered by sysgate's " + o.where;
      } else if (o.source == Origin::Source::kPromise) {
        // A promise's grant judged by the monitor (policy::Grant::metadata): no file rule allowed it.
        if (hint) {
          e.cause = o.where + ", and no file rule grants the right it needs";
          e.fixes.push_back(allow_flag(hint->right) + " " + hint->path);
        } else {
          e.cause = o.where + ": the monitor changes a file's metadata only where a file rule grants the write right";
        }
      } else {
        std::string when = decision.rule->when.is_true() ? "" : " (when " + to_string(decision.rule->when, input.nr) + ")";
        e.cause = "refused by the rule at " + o.where + when;
        e.fixes.push_back("a change to the rule at " + o.where);
      }
      return e;
    }
    case Decision::Reason::kDefault:
      break;
  }

  // Refused by the default action: which promises, not held, would allow exactly these arguments?
  std::vector<std::string> conditional_only;
  for (policy::Promise p : policy::all_promises()) {
    bool grants_nr = false, grants_these = false;
    for (const policy::Grant& g : policy::promise_grants(p)) {
      if (g.nr != input.nr) continue;
      grants_nr = true;
      if (matches(g.when, input.args, input.instruction_pointer)) grants_these = true;
    }
    if (grants_these && !policy.promises().count(p)) {
      e.fixes.push_back("promise \"" + std::string(policy::promise_name(p)) + "\"");
    } else if (grants_nr && !grants_these) {
      conditional_only.push_back(std::string(policy::promise_name(p)));
    }
  }
  if (hint) e.fixes.push_back(allow_flag(hint->right) + " " + hint->path);
  if (!e.fixes.empty()) {
    e.cause = "no promise of this policy grants " + name + " with these arguments";
    return e;
  }
  if (!conditional_only.empty()) {
    std::string list;
    for (const std::string& p : conditional_only) list += (list.empty() ? "" : ", ") + p;
    e.cause = "no promise allows " + name + " with these arguments (" + list + " allow other forms of it)";
  } else {
    e.cause = "no promise grants " + name;
  }
  e.fixes.push_back("a rule: [[rule]] syscall = \"" + name + "\" action = \"allow\"");
  return e;
}

}  // namespace sysgate::monitor
