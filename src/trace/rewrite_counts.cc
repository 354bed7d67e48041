#include "trace/rewrite_counts.h"

#include <cstdio>

namespace sysgate::trace {

void RewriteCounts::add(const Record& record) {
  if (record.kind != kRecordRewriteCounts) return;
  ++records_;
  for (int i = 0; i < 6; ++i) totals_[i] += record.args[i];
}

double RewriteCounts::trampoline_share() const {
  const uint64_t all = totals_[kCountTrampolineCalls] + totals_[kCountTrapCalls];
  return all == 0 ? 0.0 : 100.0 * static_cast<double>(totals_[kCountTrampolineCalls]) / static_cast<double>(all);
}

std::string RewriteCounts::render() const {
  const uint64_t left = totals_[kCountRefusedShape] + totals_[kCountRefusedNumber] + totals_[kCountRefusedOther];
  char share[32];
  std::snprintf(share, sizeof share, "%.2f%%", trampoline_share());
  return std::to_string(records_) + (records_ == 1 ? " image" : " images") + "; syscall sites: " +
         std::to_string(totals_[kCountSitesRewritten]) + " rewritten, " + std::to_string(left) +
         " left on the trap path (" + std::to_string(totals_[kCountRefusedShape]) + " other instructions, " +
         std::to_string(totals_[kCountRefusedNumber]) + " calls the gate must see, " +
         std::to_string(totals_[kCountRefusedOther]) + " other reasons); calls: " +
         std::to_string(totals_[kCountTrampolineCalls]) + " through rewritten sites (" + share + "), " +
         std::to_string(totals_[kCountTrapCalls]) + " trapped";
}

}  // namespace sysgate::trace
