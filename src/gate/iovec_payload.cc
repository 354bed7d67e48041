#include "gate/iovec_payload.h"

#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

bool writes_data(long nr) { return nr == __NR_writev || nr == __NR_pwritev || nr == __NR_pwritev2; }

// Walks the elements as both passes see them: for each, how many data bytes
// it gets and how many of those the kernel itself touched (no probe needed).
struct Walk {
  long nr;
  long ret;
  uint32_t per_element;
  uint64_t budget_left;
  uint64_t offset = 0;  // data bytes of the elements before this one (what the call moved so far)

  // want: bytes to copy; trusted: of those, known readable; known: whether
  // want is all the element should show (not cut by the budget, and the data
  // exists: a failed readv's does not).
  void next(uint64_t len, uint64_t* want, uint64_t* trusted, bool* known) {
    const uint64_t done = ret > 0 ? static_cast<uint64_t>(ret) : 0;
    const uint64_t moved_here = offset < done ? min64(len, done - offset) : 0;
    const uint64_t shown = min64(writes_data(nr) ? len : moved_here, per_element);
    *want = min64(shown, budget_left);
    *trusted = writes_data(nr) ? min64(*want, moved_here) : *want;
    *known = *want == shown && (writes_data(nr) || ret >= 0);
    budget_left -= *want;
    offset += len;
  }
};

uint64_t element_count(const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes) {
  const uint64_t cap = dump_bytes != 0 ? trace::kMaxIovecElements : min64(trace::kMaxIovecShownElements, max_data);
  const uint64_t n = min64(args[2], cap);
  if (n == 0) return 0;
  // The kernel read the array of a call that worked; otherwise ask.
  if (ret >= 0) return n;
  return app_readable_prefix(args[1], n * 16, 0) / 16;
}

}  // namespace

static_assert(__NR_readv == 19 && __NR_writev == 20 && __NR_preadv == 295 && __NR_pwritev == 296 &&
              __NR_preadv2 == 327 && __NR_pwritev2 == 328);

bool iovec_plan(long nr, const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes, IovecPlan* out) {
  const uint64_t n = element_count(args, ret, max_data, dump_bytes);
  if (n == 0 && args[2] != 0) return false;  // nothing readable ([] only for an empty array)
  out->elements = static_cast<uint32_t>(n);
  out->per_element = dump_bytes != 0 ? dump_bytes : max_data;
  out->budget = dump_bytes != 0 ? dump_bytes : trace::kMaxIovecDataBytes;
  Walk walk{nr, ret, out->per_element, out->budget};
  const uint64_t* array = reinterpret_cast<const uint64_t*>(args[1]);
  uint64_t bytes = 8;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t want, trusted;
    bool known;
    walk.next(array[2 * k + 1], &want, &trusted, &known);
    const uint64_t got = want == trusted ? want : app_readable_prefix(array[2 * k], want, trusted);
    bytes += trace::kIovecElementHeaderBytes + trace::align_record(static_cast<uint32_t>(got));
  }
  out->bytes = static_cast<uint32_t>(bytes);
  return true;
}

void iovec_copy(uint8_t* dst, const IovecPlan& plan, long nr, const uint64_t args[6], long ret) {
  uint8_t* const end = dst + plan.bytes;
  uint8_t* cursor = dst + 8;
  Walk walk{nr, ret, plan.per_element, plan.budget};
  const uint64_t* array = reinterpret_cast<const uint64_t*>(args[1]);
  uint32_t described = 0;
  for (uint32_t k = 0; k < plan.elements; ++k) {
    const uint64_t base = array[2 * k];
    const uint64_t len = array[2 * k + 1];
    uint64_t want, trusted;
    bool known;
    walk.next(len, &want, &trusted, &known);
    const uint64_t got = want == trusted ? want : app_readable_prefix(base, want, trusted);
    const uint32_t padded = trace::align_record(static_cast<uint32_t>(got));
    if (static_cast<uint64_t>(end - cursor) < trace::kIovecElementHeaderBytes + uint64_t{padded}) break;  // changed meanwhile
    const uint32_t copied = static_cast<uint32_t>(got);
    const uint32_t flags = got < want || !known ? uint32_t{trace::kIovecNoData} : 0u;
    copy_bytes(cursor, &base, 8);
    copy_bytes(cursor + 8, &len, 8);
    copy_bytes(cursor + 16, &copied, 4);
    copy_bytes(cursor + 20, &flags, 4);
    cursor += trace::kIovecElementHeaderBytes;
    copy_bytes(cursor, reinterpret_cast<const void*>(base), copied);
    zero_bytes(cursor + copied, padded - copied);
    cursor += padded;
    ++described;
  }
  const uint32_t header[2] = {described, 0};
  copy_bytes(dst, header, 8);
  zero_bytes(cursor, static_cast<size_t>(end - cursor));
}

}  // namespace sysgate::gate
