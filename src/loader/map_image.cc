#include "loader/map_image.h"

#include "loader/die.h"
#include "loader/raw.h"

namespace sysgate::loader {
namespace {

static_assert(kProtRead == PROT_READ && kProtWrite == PROT_WRITE && kProtExec == PROT_EXEC);

uint64_t page_floor(uint64_t v) { return v & ~(kPageSize - 1); }
uint64_t page_ceil(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

uint64_t checked_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset, const char* name,
                      const char* step) {
  long r = raw::mmap(addr, len, prot, flags, fd, offset);
  if (raw::failed(r)) die_errno(name, step, raw::error_of(r));
  return static_cast<uint64_t>(r);
}

void checked_munmap(uint64_t addr, uint64_t len, const char* name) {
  if (len == 0) return;
  long r = raw::munmap(addr, len);
  if (raw::failed(r)) die_errno(name, "cannot trim reservation", raw::error_of(r));
}

// Reserves the image's span; returns the load bias.
uint64_t reserve(const LoadPlan& plan, const char* name) {
  const uint64_t span = plan.end_page - plan.first_page;
  if (plan.header.kind == ElfKind::kExec) {
    const uint64_t at =
        checked_mmap(plan.first_page, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0, name,
                     "cannot reserve its fixed address range");
    if (at != plan.first_page) {  // a kernel that treated the address as a hint
      checked_munmap(at, span, name);
      die_errno(name, "cannot reserve its fixed address range", EEXIST);
    }
    return 0;
  }
  // span <= kMaxSpan and align <= kMaxAlign: no overflow.
  const uint64_t slack = plan.align - kPageSize;
  const uint64_t raw_start = checked_mmap(0, span + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, name,
                                          "cannot reserve address range");
  const uint64_t start = (raw_start + plan.align - 1) & ~(plan.align - 1);
  checked_munmap(raw_start, start - raw_start, name);
  checked_munmap(start + span, raw_start + span + slack - (start + span), name);
  return start - plan.first_page;
}

// Maps one segment into the reservation. See map_image.h for the bss rule.
void map_segment(int fd, const Segment& s, uint64_t bias, const char* name) {
  const int prot = static_cast<int>(s.prot);
  const uint64_t page_start = bias + page_floor(s.vaddr);
  const uint64_t file_page_offset = page_floor(s.offset);  // == s.offset - (s.vaddr - page_floor(s.vaddr))
  const uint64_t file_end = bias + s.vaddr + s.filesz;
  const uint64_t mem_end = bias + page_ceil(s.vaddr + s.memsz);
  uint64_t anon_start = page_start;

  if (s.filesz > 0) {
    const bool partial_tail = s.memsz > s.filesz && (file_end & (kPageSize - 1)) != 0;
    const uint64_t whole_end = partial_tail ? page_floor(file_end) : page_ceil(file_end);
    if (whole_end > page_start) {
      checked_mmap(page_start, whole_end - page_start, prot, MAP_PRIVATE | MAP_FIXED, fd, file_page_offset, name,
                   "cannot map segment");
    }
    anon_start = whole_end;
    if (partial_tail) {
      // File bytes then zeros in one page: fill an anonymous page, then seal it.
      checked_mmap(whole_end, kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, name,
                   "cannot map segment");
      const uint64_t n = file_end - whole_end;
      const uint64_t offset = file_page_offset + (whole_end - page_start);
      uint64_t done = 0;
      while (done < n) {
        long r = raw::pread(fd, reinterpret_cast<void*>(whole_end + done), n - done, offset + done);
        if (r == -EINTR) continue;
        if (raw::failed(r)) die_errno(name, "cannot read segment", raw::error_of(r));
        if (r == 0) die(name, "cannot read segment", "file shorter than its headers say");
        done += static_cast<uint64_t>(r);
      }
      if (prot != (PROT_READ | PROT_WRITE)) {
        long r = raw::mprotect(whole_end, kPageSize, prot);
        if (raw::failed(r)) die_errno(name, "cannot protect segment", raw::error_of(r));
      }
      anon_start = whole_end + kPageSize;
    }
  }
  if (mem_end > anon_start) {
    checked_mmap(anon_start, mem_end - anon_start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, name,
                 "cannot map bss");
  }
}

}  // namespace

MappedImage map_image(int fd, const LoadPlan& plan, const char* name) {
  MappedImage m;
  m.bias = reserve(plan, name);
  m.start = m.bias + plan.first_page;
  m.end = m.bias + plan.end_page;
  for (size_t i = 0; i < plan.segment_count; ++i) map_segment(fd, plan.segments[i], m.bias, name);
  m.entry = m.bias + plan.header.entry;
  m.phdr = plan.phdrs_in_image ? m.bias + plan.phdr_vaddr : 0;
  return m;
}

void make_stack_executable(const void* sp, const char* name) {
  const uint64_t page = page_floor(reinterpret_cast<uint64_t>(sp));
  long r = raw::mprotect(page, kPageSize, PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN);
  if (raw::failed(r)) die_errno(name, "cannot make the stack executable (PT_GNU_STACK)", raw::error_of(r));
}

}  // namespace sysgate::loader
