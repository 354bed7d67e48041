#include "loader/image_file.h"

#include "loader/die.h"
#include "loader/raw.h"

namespace sysgate::loader {
namespace {

// Reads exactly n bytes at offset; EINTR and short reads are retried, end of
// file before n bytes dies (the file shrank after fstat).
void pread_exact(int fd, void* buf, uint64_t n, uint64_t offset, const char* name) {
  auto* p = static_cast<uint8_t*>(buf);
  uint64_t done = 0;
  while (done < n) {
    long r = raw::pread(fd, p + done, n - done, offset + done);
    if (r == -EINTR) continue;
    if (raw::failed(r)) die_errno(name, "cannot read", raw::error_of(r));
    if (r == 0) die(name, "cannot read", "file shorter than its headers say");
    done += static_cast<uint64_t>(r);
  }
}

[[noreturn]] void die_elf(const char* name, ElfStatus s) {
  char detail[192];
  LineBuffer d(detail, sizeof(detail));
  if (s.phdr_index >= 0) d.add("program header ").add_unsigned(static_cast<unsigned>(s.phdr_index)).add(": ");
  d.add(elf_error_message(s.error));
  die(name, "malformed ELF", detail);
}

}  // namespace

void read_image_file(int fd, const char* name, ImageFile* out) {
  struct stat st;
  long r = raw::fstat(fd, &st);
  if (raw::failed(r)) die_errno(name, "cannot use fd", raw::error_of(r));
  if ((st.st_mode & S_IFMT) != S_IFREG) die(name, "cannot load", "not a regular file");
  if (st.st_size < 0) die(name, "cannot load", "negative file size");
  out->fd = fd;
  out->size = static_cast<uint64_t>(st.st_size);

  uint8_t head[kEhdrSize];
  const uint64_t head_len = out->size < kEhdrSize ? out->size : kEhdrSize;
  pread_exact(fd, head, head_len, 0, name);
  ElfHeader header;
  ElfStatus s = parse_elf_header(head, head_len, out->size, &header);
  if (!s.ok()) die_elf(name, s);

  pread_exact(fd, out->phdrs, header.phdr_bytes, header.phoff, name);
  s = build_load_plan(header, out->phdrs, header.phdr_bytes, out->size, &out->plan);
  if (!s.ok()) die_elf(name, s);

  if (out->plan.has_interp) {
    pread_exact(fd, out->interp_path, out->plan.interp_size, out->plan.interp_offset, name);
    s = check_interp_path(reinterpret_cast<const uint8_t*>(out->interp_path), out->plan.interp_size);
    if (!s.ok()) die_elf(name, s);
  }
}

int open_image_file(const char* path, const char* name) {
  long r;
  do {
    r = raw::openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  } while (r == -EINTR);
  if (raw::failed(r)) die_errno(name, "cannot open", raw::error_of(r));
  return static_cast<int>(r);
}

}  // namespace sysgate::loader
