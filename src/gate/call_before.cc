#include "gate/call_before.h"

#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/gate.h"
#include "gate/thread_state.h"
#include "gate/util.h"

namespace sysgate::gate {

uint64_t call_before_read(int arg, const uint64_t args[6], uint64_t offset) {
  if (g_gate.region.header == nullptr || args[arg] == 0) return 0;
  const uint64_t p = args[arg] + offset;
  if (!app_probe_read(p, 4)) return 0;
  uint32_t value;
  copy_bytes(&value, reinterpret_cast<const void*>(p), 4);
  return kBeforeValid | uint64_t{static_cast<uint32_t>(arg)} << 32 | value;
}

}  // namespace sysgate::gate
