// Memory-management constants: PROT_*, MAP_*, MADV_*, MREMAP_*, MCL_*, MFD_*.
//
// From the kernel's uapi <linux/mman.h> (which pulls in the x86 <asm/mman.h> for
// MAP_32BIT) rather than glibc's <sys/mman.h>: the two define the same macros with
// different spellings and cannot share a translation unit without warnings.
#include <linux/memfd.h>
#include <linux/mman.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

constexpr Named kProtBits[] = {
    SYSGATE_NAMED(PROT_READ), SYSGATE_NAMED(PROT_WRITE),     SYSGATE_NAMED(PROT_EXEC),
    SYSGATE_NAMED(PROT_SEM),  SYSGATE_NAMED(PROT_GROWSDOWN), SYSGATE_NAMED(PROT_GROWSUP),
};

constexpr Named kMapTypeField[] = {
    SYSGATE_NAMED(MAP_SHARED),
    SYSGATE_NAMED(MAP_PRIVATE),
    SYSGATE_NAMED(MAP_SHARED_VALIDATE),
};

// MAP_UNINITIALIZED (bit 26, honoured only without an MMU) is left out of the display:
// with MAP_HUGETLB, bits 26..31 hold the huge page size (MAP_HUGE_SHIFT), so the
// leftover bits are printed in hex rather than misnamed.
constexpr Named kMapFlagBits[] = {
    SYSGATE_NAMED(MAP_FIXED),     SYSGATE_NAMED(MAP_ANONYMOUS),       SYSGATE_NAMED(MAP_32BIT),
    SYSGATE_NAMED(MAP_GROWSDOWN), SYSGATE_NAMED(MAP_DENYWRITE),       SYSGATE_NAMED(MAP_EXECUTABLE),
    SYSGATE_NAMED(MAP_LOCKED),    SYSGATE_NAMED(MAP_NORESERVE),       SYSGATE_NAMED(MAP_POPULATE),
    SYSGATE_NAMED(MAP_NONBLOCK),  SYSGATE_NAMED(MAP_STACK),           SYSGATE_NAMED(MAP_HUGETLB),
    SYSGATE_NAMED(MAP_SYNC),      SYSGATE_NAMED(MAP_FIXED_NOREPLACE),
};

constexpr Named kMadviceTable[] = {
    SYSGATE_NAMED(MADV_NORMAL),       SYSGATE_NAMED(MADV_RANDOM),
    SYSGATE_NAMED(MADV_SEQUENTIAL),   SYSGATE_NAMED(MADV_WILLNEED),
    SYSGATE_NAMED(MADV_DONTNEED),     SYSGATE_NAMED(MADV_FREE),
    SYSGATE_NAMED(MADV_REMOVE),       SYSGATE_NAMED(MADV_DONTFORK),
    SYSGATE_NAMED(MADV_DOFORK),       SYSGATE_NAMED(MADV_MERGEABLE),
    SYSGATE_NAMED(MADV_UNMERGEABLE),  SYSGATE_NAMED(MADV_HUGEPAGE),
    SYSGATE_NAMED(MADV_NOHUGEPAGE),   SYSGATE_NAMED(MADV_DONTDUMP),
    SYSGATE_NAMED(MADV_DODUMP),       SYSGATE_NAMED(MADV_WIPEONFORK),
    SYSGATE_NAMED(MADV_KEEPONFORK),   SYSGATE_NAMED(MADV_COLD),
    SYSGATE_NAMED(MADV_PAGEOUT),      SYSGATE_NAMED(MADV_POPULATE_READ),
    SYSGATE_NAMED(MADV_POPULATE_WRITE), SYSGATE_NAMED(MADV_DONTNEED_LOCKED),
    SYSGATE_NAMED(MADV_COLLAPSE),     SYSGATE_NAMED(MADV_HWPOISON),
    SYSGATE_NAMED(MADV_SOFT_OFFLINE),
};

constexpr Named kMemoryOtherTable[] = {
    SYSGATE_NAMED(PROT_NONE),
    SYSGATE_NAMED(MAP_TYPE),
    SYSGATE_NAMED(MAP_FILE),
    SYSGATE_NAMED(MAP_UNINITIALIZED),
    SYSGATE_NAMED(MAP_HUGE_SHIFT),
    SYSGATE_NAMED(MAP_HUGE_2MB),
    SYSGATE_NAMED(MAP_HUGE_1GB),
    SYSGATE_NAMED(MREMAP_MAYMOVE),
    SYSGATE_NAMED(MREMAP_FIXED),
    SYSGATE_NAMED(MREMAP_DONTUNMAP),
    SYSGATE_NAMED(MCL_CURRENT),
    SYSGATE_NAMED(MCL_FUTURE),
    SYSGATE_NAMED(MCL_ONFAULT),
    SYSGATE_NAMED(MLOCK_ONFAULT),
    SYSGATE_NAMED(MS_ASYNC),
    SYSGATE_NAMED(MS_INVALIDATE),
    SYSGATE_NAMED(MS_SYNC),
    SYSGATE_NAMED(PKEY_DISABLE_ACCESS),
    SYSGATE_NAMED(PKEY_DISABLE_WRITE),
};

// memfd_create's flags, in strace's order (MFD_NOEXEC_SEAL and MFD_EXEC,
// Linux 6.3, may be missing from older headers).
constexpr Named kMfdFlagBits[] = {
    SYSGATE_NAMED(MFD_CLOEXEC), SYSGATE_NAMED(MFD_ALLOW_SEALING), SYSGATE_NAMED(MFD_HUGETLB),
    Named{"MFD_NOEXEC_SEAL", 0x8}, Named{"MFD_EXEC", 0x10},
};

// <linux/mempolicy.h>: a mode in the low bits, its flags above (MPOL_MODE_FLAGS).
constexpr Named kMempolicyModeField[] = {
    Named{"MPOL_DEFAULT", 0}, Named{"MPOL_PREFERRED", 1}, Named{"MPOL_BIND", 2},
    Named{"MPOL_INTERLEAVE", 3}, Named{"MPOL_LOCAL", 4}, Named{"MPOL_PREFERRED_MANY", 5},
    Named{"MPOL_WEIGHTED_INTERLEAVE", 6},
};
constexpr Named kMempolicyModeBits[] = {
    Named{"MPOL_F_STATIC_NODES", 1 << 15}, Named{"MPOL_F_RELATIVE_NODES", 1 << 14},
    Named{"MPOL_F_NUMA_BALANCING", 1 << 13},
};
constexpr Named kMbindFlagBits[] = {
    Named{"MPOL_MF_STRICT", 1}, Named{"MPOL_MF_MOVE", 2}, Named{"MPOL_MF_MOVE_ALL", 4},
};
constexpr Named kMempolicyFlagBits[] = {
    Named{"MPOL_F_NODE", 1}, Named{"MPOL_F_ADDR", 2}, Named{"MPOL_F_MEMS_ALLOWED", 4},
};

}  // namespace

constinit const FlagSet kMempolicyModes{0x1fff, kMempolicyModeField, kMempolicyModeBits, {}};
constinit const FlagSet kMbindFlags{0, {}, kMbindFlagBits, {}};
constinit const FlagSet kMempolicyFlags{0, {}, kMempolicyFlagBits, {}};
constinit const FlagSet kProt{0, {}, kProtBits, "PROT_NONE", "PROT_???"};
constinit const FlagSet kMmapFlags{MAP_TYPE, kMapTypeField, kMapFlagBits, {}};
constinit const std::span<const Named> kMadvice{kMadviceTable};
constinit const std::span<const Named> kMemoryOther{kMemoryOtherTable};
constinit const FlagSet kMfdFlags{0, {}, kMfdFlagBits, {}, "MFD_???"};

}  // namespace sysgate::syscalls::constants::detail
