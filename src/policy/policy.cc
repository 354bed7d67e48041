#include "policy/policy.h"

namespace sysgate::policy {

std::span<const Rule> Policy::rules_for(int nr) const {
  auto it = rules_.find(nr);
  if (it == rules_.end()) return {};
  return it->second;
}

std::vector<int> Policy::syscalls_with_rules() const {
  std::vector<int> out;
  out.reserve(rules_.size());
  for (const auto& [nr, rules] : rules_) out.push_back(nr);
  return out;
}

Policy with_leading_rules(const Policy& base, const std::vector<Rule>& rules) {
  Policy out = base;
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    std::vector<Rule>& list = out.rules_[it->nr];
    list.insert(list.begin(), *it);
  }
  return out;
}

}  // namespace sysgate::policy
