// The gate's kRecordRewriteCounts records (ring_format.h) added up over every
// process of a trace, for `sysgate trace --rewrite-stats`:
//
//   trace::RewriteCounts counts;
//   reader->poll([&](const trace::Record& r) { if (r.kind == trace::kRecordRewriteCounts) counts.add(r); });
//   std::cerr << counts.render() << "\n";
//   // 3 images; syscall sites: 85 rewritten, 20 left on the trap path (12 other
//   // instructions, 6 calls the gate must see, 2 other reasons); calls: 25249
//   // through rewritten sites (99.65%), 88 trapped
//
// The counts come from the traced program's memory: they are what the gate says,
// not something the monitor can check. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "trace/record.h"

namespace sysgate::trace {

class RewriteCounts {
 public:
  void add(const Record& record);
  std::string render() const;

  uint64_t records() const { return records_; }
  uint64_t count(RewriteCountsArg which) const { return totals_[which]; }
  // Calls through rewritten sites, in percent of all calls the gate saw (0 when none).
  double trampoline_share() const;

 private:
  uint64_t records_ = 0;
  uint64_t totals_[6] = {};
};

}  // namespace sysgate::trace
