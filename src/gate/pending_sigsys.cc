#include "gate/pending_sigsys.h"

#include <asm/unistd.h>

#include "gate/raw_syscall.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr int32_t kSiQueue = -1;  // sigqueue's and rt_tgsigqueueinfo's si_code
constexpr int32_t kSiTkill = -6;  // tgkill's

// Held with every signal blocked, so a holder is never interrupted.
void lock() {
  while (!compare_exchange(&g_gate.pending_sigsys_lock, 0u, 1u)) cpu_relax();
}
void unlock() { store_release(&g_gate.pending_sigsys_lock, 0u); }

// Whether slot holds a SIGSYS still pending for owner. Under the lock.
bool pending_in(const PendingSigsys& slot, int32_t owner) {
  return slot.pending != 0 && slot.owner == owner && slot.ignores == load_relaxed(&g_gate.sigsys_ignores);
}

void fill(PendingSigsys* slot, int32_t owner, const void* info, uint64_t bytes) {
  zero_bytes(slot->info, sizeof slot->info);
  copy_bytes(slot->info, info, bytes);
  slot->owner = owner;
  slot->ignores = load_relaxed(&g_gate.sigsys_ignores);
  store_relaxed(&slot->pending, 1u);
}

bool any_slot_full(const GateThread* t) {
  return load_relaxed(&t->pending_sigsys.pending) != 0 || load_relaxed(&g_gate.pending_sigsys.pending) != 0 ||
         load_relaxed(&g_gate.stranger_pending_sigsys.pending) != 0;
}

// The calling thread's first slot with a SIGSYS pending for it, or null. Under the lock.
PendingSigsys* first_pending(GateThread* t, int32_t pid, int32_t tid) {
  if (t->tid != tid) return pending_in(g_gate.stranger_pending_sigsys, tid) ? &g_gate.stranger_pending_sigsys : nullptr;
  if (pending_in(t->pending_sigsys, tid)) return &t->pending_sigsys;
  if (pending_in(g_gate.pending_sigsys, pid)) return &g_gate.pending_sigsys;
  return nullptr;
}

}  // namespace

void keep_pending_sigsys(GateThread* t, const arch::KernelSiginfo* info) {
  const int32_t pid = current_pid(), tid = current_tid();
  int32_t sender = 0;
  copy_bytes(&sender, reinterpret_cast<const uint8_t*>(info) + 16, sizeof sender);  // si_pid
  const bool to_thread = info->si_code == kSiTkill || (info->si_code == kSiQueue && sender == pid) ||
                         t->shares_memory_with_another_process != 0;
  PendingSigsys* slot = t->tid != tid ? &g_gate.stranger_pending_sigsys
                        : to_thread   ? &t->pending_sigsys
                                      : &g_gate.pending_sigsys;
  const int32_t owner = slot == &g_gate.pending_sigsys ? pid : tid;
  lock();
  if (!pending_in(*slot, owner)) fill(slot, owner, info, sizeof slot->info);
  unlock();
}

bool take_pending_sigsys(GateThread* t, uint8_t info[128]) {
  if (!any_slot_full(t)) return false;
  const int32_t pid = current_pid(), tid = current_tid();
  lock();
  PendingSigsys* slot = first_pending(t, pid, tid);
  if (slot != nullptr) {
    zero_bytes(info, 128);
    copy_bytes(info, slot->info, sizeof slot->info);
    store_relaxed(&slot->pending, 0u);
  }
  unlock();
  return slot != nullptr;
}

bool sigsys_pending(GateThread* t, uint64_t out[4]) {
  if (!any_slot_full(t)) return false;
  const int32_t pid = current_pid(), tid = current_tid();
  lock();
  const PendingSigsys* slot = first_pending(t, pid, tid);
  if (slot != nullptr && out != nullptr) copy_bytes(out, slot->info, 4 * sizeof(uint64_t));
  unlock();
  return slot != nullptr;
}

void restore_pending_sigsys(const uint64_t info[4]) {
  lock();
  fill(&g_gate.pending_sigsys, current_pid(), info, 4 * sizeof(uint64_t));
  unlock();
}

void discard_pending_sigsys() { __atomic_fetch_add(&g_gate.sigsys_ignores, 1u, __ATOMIC_RELAXED); }

void forget_pending_sigsys(GateThread* t) {
  store_release(&g_gate.pending_sigsys_lock, 0u);
  if (t != nullptr) t->pending_sigsys.pending = 0;
  g_gate.pending_sigsys.pending = 0;
  g_gate.stranger_pending_sigsys.pending = 0;
}

}  // namespace sysgate::gate
