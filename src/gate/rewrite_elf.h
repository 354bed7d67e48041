// Finding the function that contains a code address, for the site rewriter:
// which loaded ELF object holds it, its executable segment, and the function
// start and end from the object's .eh_frame_hdr (PT_GNU_EH_FRAME: a sorted table
// of function start addresses pointing at FDEs that give each function's range).
//
//   LoadedObjects objs = {program_phdr, program_phnum, interp_base};
//   CodeLocation loc;
//   if (locate_code(objs, site, site_end, &loc)) ... loc.function_start/_end ...
//
// Objects come from the program's own headers (AT_PHDR), the interpreter's
// (AT_BASE), and the dynamic linker's list of loaded objects (r_debug.r_map,
// reached through the program's DT_DEBUG entry), read only in a consistent
// state (r_state == RT_CONSISTENT). Shared objects are recognised by an ELF
// header at l_addr whose PT_DYNAMIC is l_ld. Nothing is cached: a dlclose'd and
// re-used address range is re-read every time.
//
// Freestanding. Reads memory of the program's loaded objects without probing
// (the ELF headers and link map of mapped objects are mapped).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::gate {

struct LoadedObjects {
  uint64_t program_phdr = 0;  // AT_PHDR (0: unknown)
  uint64_t program_phnum = 0;
  uint64_t interp_base = 0;  // AT_BASE (0: none)
};

struct CodeLocation {
  uint64_t segment_start;  // the executable PT_LOAD containing [site, site_end), page-rounded
  uint64_t segment_end;
  uint32_t segment_flags;  // p_flags (PF_R|PF_X expected)
  uint64_t function_start;  // from the FDE
  uint64_t function_end;
  // The end of the function described right before it in .eh_frame_hdr (its
  // start is lower), or 0 if there is none: [previous_end, function_start),
  // when not empty, is no function's code -- alignment padding.
  uint64_t previous_end;
  uint64_t eh_frame_hdr;  // the object's .eh_frame_hdr, for locate_near
};

// True (and *out) if [begin, end) lies in one executable segment of a loaded
// object and in one function described by its .eh_frame_hdr.
bool locate_code(const LoadedObjects& objects, uint64_t begin, uint64_t end, CodeLocation* out);

// As locate_code, for [begin, end) inside the segment of `known`, a location
// found a moment ago under the same lock: only the function is looked up.
bool locate_near(const CodeLocation& known, uint64_t begin, uint64_t end, CodeLocation* out);

// False while the dynamic linker is changing its list of objects (r_debug not
// RT_CONSISTENT): locate_code cannot see the objects it is adding.
bool loaded_objects_settled(const LoadedObjects& objects);

// .eh_frame_hdr access, also used by the hosted decoder test on file images.
struct EhFrameHdr {
  uint64_t hdr;    // address of .eh_frame_hdr
  uint64_t table;  // the {initial_location, fde} table (datarel sdata4 pairs)
  uint64_t count;
};
bool eh_frame_hdr_open(uint64_t hdr_addr, EhFrameHdr* out);
// The range [start, end) of the FDE at table index i; false if unparsable.
bool eh_frame_hdr_function(const EhFrameHdr& h, uint64_t i, uint64_t* start, uint64_t* end);
// The function containing addr; false if none. index (may be null): its
// position in the table.
bool eh_frame_hdr_find(const EhFrameHdr& h, uint64_t addr, uint64_t* start, uint64_t* end, uint64_t* index = nullptr);

}  // namespace sysgate::gate
