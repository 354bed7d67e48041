// Reading an image's headers from an open fd: fstat, pread of the ELF header,
// the program header table and the PT_INTERP path, each validated by
// elf_image before the next read depends on it.
//
//   ImageFile prog;
//   read_image_file(fd, "/bin/ls", &prog);          // dies with a message on any error
//   if (prog.plan.has_interp) open(prog.interp_path) ...
//
// Owns nothing: the fd stays open (the caller closes it after mapping).
// Failures die (exit 127) naming `name`. Loader-only (raw syscalls).
#pragma once

#include <stdint.h>

#include "loader/elf_image.h"

namespace sysgate::loader {

struct ImageFile {
  int fd = -1;
  uint64_t size = 0;  // st_size at the time of reading
  LoadPlan plan;
  uint8_t phdrs[kMaxPhdrTableBytes];  // the raw table, plan.header.phdr_bytes long
  char interp_path[kMaxInterpPath];   // NUL-terminated when plan.has_interp
};

void read_image_file(int fd, const char* name, ImageFile* out);

// Opens a file for reading (O_RDONLY|O_CLOEXEC, relative to the current
// directory like the kernel's PT_INTERP lookup); dies naming `name` on error.
int open_image_file(const char* path, const char* name);

}  // namespace sysgate::loader
