#include "loader/cmdline.h"

#include <stddef.h>

extern "C" size_t strlen(const char* s);
extern "C" void* memmove(void* dst, const void* src, size_t n);
extern "C" void* memset(void* dst, int c, size_t n);

namespace sysgate::loader {

bool hide_loader_arguments(char** loader_argv, uint64_t loader_argc, char** program_argv, uint64_t program_argc) {
  if (loader_argc == 0 || program_argc == 0 || program_argv + program_argc != loader_argv + loader_argc) return false;
  for (uint64_t i = 0; i + 1 < loader_argc; ++i) {
    if (loader_argv[i + 1] != loader_argv[i] + strlen(loader_argv[i]) + 1) return false;
  }
  char* const area = loader_argv[0];
  char* const end = loader_argv[loader_argc - 1] + strlen(loader_argv[loader_argc - 1]) + 1;
  char* const from = program_argv[0];
  const uint64_t shift = static_cast<uint64_t>(from - area);
  const uint64_t kept = static_cast<uint64_t>(end - from);
  memmove(area, from, kept);
  memset(area + kept, 0, shift);
  for (uint64_t i = 0; i < program_argc; ++i) program_argv[i] -= shift;
  return true;
}

}  // namespace sysgate::loader
