#include "trace/statfs_format.h"

#include <cstdint>
#include <cstring>

#include "syscalls/constant_tables.h"
#include "syscalls/number_text.h"
#include "trace/payload_field.h"

namespace sysgate::trace {
namespace {

using syscalls::constants::detail::Named;

// <linux/magic.h>'s file system magics, by strace's names.
constexpr Named kMagics[] = {
    {"ADFS_SUPER_MAGIC", 0xadf5},          {"AFFS_SUPER_MAGIC", 0xadff},
    {"AFS_SUPER_MAGIC", 0x5346414f},       {"ANON_INODE_FS_MAGIC", 0x09041934},
    {"AUTOFS_SUPER_MAGIC", 0x0187},        {"BDEVFS_MAGIC", 0x62646576},
    {"BINFMTFS_MAGIC", 0x42494e4d},        {"BPF_FS_MAGIC", 0xcafe4a11},
    {"BTRFS_SUPER_MAGIC", 0x9123683e},     {"BTRFS_TEST_MAGIC", 0x73727279},
    {"CEPH_SUPER_MAGIC", 0x00c36400},      {"CGROUP_SUPER_MAGIC", 0x27e0eb},
    {"CGROUP2_SUPER_MAGIC", 0x63677270},   {"CIFS_SUPER_MAGIC", 0xff534d42},
    {"CODA_SUPER_MAGIC", 0x73757245},      {"CONFIGFS_MAGIC", 0x62656570},
    {"CRAMFS_MAGIC", 0x28cd3d45},          {"DEBUGFS_MAGIC", 0x64626720},
    {"DEVPTS_SUPER_MAGIC", 0x1cd1},        {"DMA_BUF_MAGIC", 0x444d4142},
    {"ECRYPTFS_SUPER_MAGIC", 0xf15f},      {"EFIVARFS_MAGIC", 0xde5e81e4},
    {"EFS_SUPER_MAGIC", 0x414a53},         {"EROFS_SUPER_MAGIC_V1", 0xe0f5e1e2},
    {"EXFAT_SUPER_MAGIC", 0x2011bab0},     {"EXT2_SUPER_MAGIC", 0xef53},
    {"F2FS_SUPER_MAGIC", 0xf2f52010},      {"FUSE_SUPER_MAGIC", 0x65735546},
    {"FUTEXFS_SUPER_MAGIC", 0x0bad1dea},   {"HOSTFS_SUPER_MAGIC", 0x00c0ffee},
    {"HUGETLBFS_MAGIC", 0x958458f6},       {"ISOFS_SUPER_MAGIC", 0x9660},
    {"JFFS2_SUPER_MAGIC", 0x72b6},         {"MQUEUE_MAGIC", 0x19800202},
    {"MSDOS_SUPER_MAGIC", 0x4d44},         {"NFS_SUPER_MAGIC", 0x6969},
    {"NSFS_MAGIC", 0x6e736673},            {"NTFS_SB_MAGIC", 0x5346544e},
    {"OVERLAYFS_SUPER_MAGIC", 0x794c7630}, {"PIPEFS_MAGIC", 0x50495045},
    {"PROC_SUPER_MAGIC", 0x9fa0},          {"PSTOREFS_MAGIC", 0x6165676c},
    {"RAMFS_MAGIC", 0x858458f6},           {"SECRETMEM_MAGIC", 0x5345434d},
    {"SECURITYFS_MAGIC", 0x73636673},      {"SELINUX_MAGIC", 0xf97cff8c},
    {"SMACK_MAGIC", 0x43415d53},           {"SMB2_SUPER_MAGIC", 0xfe534d42},
    {"SOCKFS_MAGIC", 0x534f434b},          {"SQUASHFS_MAGIC", 0x73717368},
    {"SYSFS_MAGIC", 0x62656572},           {"TMPFS_MAGIC", 0x01021994},
    {"TRACEFS_MAGIC", 0x74726163},         {"UDF_SUPER_MAGIC", 0x15013346},
    {"V9FS_MAGIC", 0x01021997},            {"XFS_SUPER_MAGIC", 0x58465342},
    {"ZONEFS_MAGIC", 0x5a4f4653},
};

// ST_* (<sys/statvfs.h>, and the kernel's ST_VALID), in strace's order.
constexpr Named kMountFlagBits[] = {
    {"ST_RDONLY", 1},         {"ST_NOSUID", 2},        {"ST_NODEV", 4},         {"ST_NOEXEC", 8},
    {"ST_SYNCHRONOUS", 16},   {"ST_VALID", 32},        {"ST_MANDLOCK", 64},     {"ST_WRITE", 128},
    {"ST_APPEND", 256},       {"ST_IMMUTABLE", 512},   {"ST_NOATIME", 1024},    {"ST_NODIRATIME", 2048},
    {"ST_RELATIME", 4096},    {"ST_NOSYMFOLLOW", 8192},
};
constexpr syscalls::constants::detail::FlagSet kMountFlags{0, {}, kMountFlagBits, {}};

}  // namespace

bool append_statfs(std::string& out, std::string_view b, syscalls::ConstStyle style) {
  if (b.size() < 88) return false;
  const uint64_t type = payload_field<uint64_t>(b, 0);
  out += "{f_type=";
  const Named* magic = nullptr;
  for (const Named& m : kMagics) {
    if (m.value == type) magic = &m;
  }
  if (magic != nullptr) {
    syscalls::append_named(out, style, type, syscalls::NumberForm::kHex, magic->name);
  } else {
    syscalls::append_hex_or_zero(out, type);
  }
  static constexpr const char* kCounts[] = {", f_bsize=", ", f_blocks=", ", f_bfree=", ", f_bavail=", ", f_files=",
                                            ", f_ffree="};
  for (size_t i = 0; i < 6; ++i) {
    out += kCounts[i];
    syscalls::append_decimal(out, payload_field<int64_t>(b, 8 + 8 * i));
  }
  out += ", f_fsid={val=[";
  syscalls::append_hex_or_zero(out, payload_field<uint32_t>(b, 56));
  out += ", ";
  syscalls::append_hex_or_zero(out, payload_field<uint32_t>(b, 60));
  out += "]}, f_namelen=";
  syscalls::append_decimal(out, payload_field<int64_t>(b, 64));
  out += ", f_frsize=";
  syscalls::append_decimal(out, payload_field<int64_t>(b, 72));
  out += ", f_flags=";
  syscalls::constants::detail::append_flags(out, kMountFlags, payload_field<uint64_t>(b, 80), style);
  out += '}';
  return true;
}

}  // namespace sysgate::trace
