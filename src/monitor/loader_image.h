// The loader image (build/bin/sysgate-exec) as the monitor needs to know it:
// where it is, and the address range of its code — the gate and the loader's own
// syscall instructions, which the gated filter lets the policy judge
// (gate_routing.h). The loader is linked at a fixed address (docs/loader.md), so
// the range read from its program headers is where it will be in every process.
//
//   Result<LoaderImage> loader = find_loader_image();
//   if (!loader) return loader.error();   // kNotFound: "sysgate-exec not found next to ..."
//
// Not thread-safe only in the sense that it reads the file each call.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace sysgate::monitor {

struct LoaderImage {
  std::string path;
  uint64_t code_begin = 0, code_end = 0;  // the executable PT_LOAD: [begin, end)
};

// Reads and checks an ELF file as a loader image: ELF64 x86-64 ET_EXEC with
// exactly one executable PT_LOAD. kInvalidArgument otherwise.
Result<LoaderImage> read_loader_image(const std::string& path);

// $SYSGATE_LOADER if set, else sysgate-exec in the directory of the running
// sysgate binary.
Result<LoaderImage> find_loader_image();

}  // namespace sysgate::monitor
