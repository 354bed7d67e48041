#include "trace/termios_format.h"

#include <cstring>
#include <span>

#include "syscalls/constant_tables.h"
#include "syscalls/number_text.h"
#include "trace/payload_field.h"

namespace sysgate::trace {
namespace {

using syscalls::constants::detail::Named;

constexpr uint32_t kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404;
constexpr uint32_t kTiocgwinsz = 0x5413, kTiocswinsz = 0x5414;
// One int by pointer, [N] (gate/struct_payloads.cc copies it).
constexpr uint32_t kFionread = 0x541B, kTiocoutq = 0x5411, kTiocgpgrp = 0x540F, kTiocgptn = 0x80045430;
constexpr uint32_t kTiocspgrp = 0x5410, kTiocsptlck = 0x40045431, kFionbio = 0x5421, kFioasync = 0x5452;
// An inode's flags by pointer, [FS_EXTENT_FL] (an int, whatever the macros' long says).
constexpr uint32_t kFsIocGetflags = 0x80086601, kFsIocSetflags = 0x40086602;
constexpr size_t kTermios = 36;  // the kernel's struct termios: 4 flags, c_line, c_cc[19]
constexpr size_t kWinsize = 8;

// A multi-valued field of a flags word: its mask and the names of its values.
struct Field {
  uint32_t mask;
  std::span<const Named> values;
};

constexpr Named kIflagBits[] = {
    {"IGNBRK", 01},     {"BRKINT", 02},    {"IGNPAR", 04},     {"PARMRK", 010},   {"INPCK", 020},
    {"ISTRIP", 040},    {"INLCR", 0100},   {"IGNCR", 0200},    {"ICRNL", 0400},   {"IUCLC", 01000},
    {"IXON", 02000},    {"IXANY", 04000},  {"IXOFF", 010000},  {"IMAXBEL", 020000}, {"IUTF8", 040000},
};
constexpr Named kNlDelay[] = {{"NL0", 0}, {"NL1", 0400}};
constexpr Named kCrDelay[] = {{"CR0", 0}, {"CR1", 01000}, {"CR2", 02000}, {"CR3", 03000}};
constexpr Named kTabDelay[] = {{"TAB0", 0}, {"TAB1", 04000}, {"TAB2", 010000}, {"TAB3", 014000}};
constexpr Named kBsDelay[] = {{"BS0", 0}, {"BS1", 020000}};
constexpr Named kVtDelay[] = {{"VT0", 0}, {"VT1", 040000}};
constexpr Named kFfDelay[] = {{"FF0", 0}, {"FF1", 0100000}};
constexpr Field kOflagFields[] = {{0400, kNlDelay},    {03000, kCrDelay}, {014000, kTabDelay},
                                  {020000, kBsDelay},  {040000, kVtDelay}, {0100000, kFfDelay}};
constexpr Named kOflagBits[] = {
    {"OPOST", 01}, {"OLCUC", 02}, {"ONLCR", 04}, {"OCRNL", 010}, {"ONOCR", 020},
    {"ONLRET", 040}, {"OFILL", 0100}, {"OFDEL", 0200},
};
constexpr Named kBauds[] = {
    {"B0", 0},             {"B50", 01},           {"B75", 02},           {"B110", 03},
    {"B134", 04},          {"B150", 05},          {"B200", 06},          {"B300", 07},
    {"B600", 010},         {"B1200", 011},        {"B1800", 012},        {"B2400", 013},
    {"B4800", 014},        {"B9600", 015},        {"B19200", 016},       {"B38400", 017},
    {"BOTHER", 010000},    {"B57600", 010001},    {"B115200", 010002},   {"B230400", 010003},
    {"B460800", 010004},   {"B500000", 010005},   {"B576000", 010006},   {"B921600", 010007},
    {"B1000000", 010010},  {"B1152000", 010011},  {"B1500000", 010012},  {"B2000000", 010013},
    {"B2500000", 010014},  {"B3000000", 010015},  {"B3500000", 010016},  {"B4000000", 010017},
};
constexpr Named kCharSizes[] = {{"CS5", 0}, {"CS6", 020}, {"CS7", 040}, {"CS8", 060}};
constexpr Field kCflagFieldTable[] = {{010017, kBauds}, {060, kCharSizes}};
constexpr std::span<const Field> kCflagFields{kCflagFieldTable};
constexpr Named kCflagBits[] = {
    {"CSTOPB", 0100}, {"CREAD", 0200}, {"PARENB", 0400}, {"PARODD", 01000}, {"HUPCL", 02000},
    {"CLOCAL", 04000}, {"CMSPAR", 010000000000}, {"CRTSCTS", 020000000000},
};
constexpr uint32_t kInputBaud = 002003600000;  // CIBAUD: the input speed, a baud << IBSHIFT (16)
// In strace's order (IEXTEN before ECHOCTL, TOSTOP late), not the bits'.
constexpr Named kLflagBits[] = {
    {"ISIG", 01},        {"ICANON", 02},     {"XCASE", 04},      {"ECHO", 010},      {"ECHOE", 020},
    {"ECHOK", 040},      {"ECHONL", 0100},   {"NOFLSH", 0200},   {"IEXTEN", 0100000}, {"ECHOCTL", 01000},
    {"ECHOPRT", 02000},  {"ECHOKE", 04000},  {"FLUSHO", 010000}, {"PENDIN", 040000}, {"TOSTOP", 0400},
    {"EXTPROC", 0200000},
};

void separate(std::string& out, bool& first) {
  if (!first) out += '|';
  first = false;
}

// A flags word as strace prints it: its fields' values, then its bits, then
// what is left in hex; "0" for nothing.
void append_word(std::string& out, uint32_t value, std::span<const Field> fields, std::span<const Named> bits) {
  bool first = true;
  uint32_t left = value;
  for (const Field& f : fields) {
    const uint32_t v = value & f.mask;
    for (const Named& n : f.values) {
      if (n.value == v) {
        separate(out, first);
        out += n.name;
        left &= ~f.mask;
        break;
      }
    }
  }
  for (const Named& n : bits) {
    if ((left & n.value) != 0) {
      separate(out, first);
      out += n.name;
      left &= ~static_cast<uint32_t>(n.value);
    }
  }
  if (left != 0 || first) {
    separate(out, first);
    syscalls::append_hex_or_zero(out, left);
  }
}

// <linux/tty.h>'s line disciplines, by number.
constexpr const char* kLineDisciplines[] = {
    "N_TTY",      "N_SLIP",    "N_MOUSE",     "N_PPP",       "N_STRIP",        "N_AX25",         "N_X25",
    "N_6PACK",    "N_MASC",    "N_R3964",     "N_PROFIBUS_FDL", "N_IRDA",      "N_SMSBLOCK",     "N_HDLC",
    "N_SYNC_PPP", "N_HCI",     "N_GIGASET_M101", "N_SLCAN",  "N_PPS",          "N_V253",         "N_CAIF",
    "N_GSM0710",  "N_TI_WL",   "N_TRACESINK", "N_TRACEROUTER", "N_NCI",        "N_SPEAKUP",      "N_NULL",
    "N_MCTP",     "N_DEVELOPMENT", "N_CAN327"};
// x86's c_cc indices (<asm-generic/termbits.h>); the last two have no name.
constexpr const char* kControlChars[] = {"VINTR", "VQUIT",    "VERASE",   "VKILL",  "VEOF",   "VTIME",
                                         "VMIN",  "VSWTC",    "VSTART",   "VSTOP",  "VSUSP",  "VEOL",
                                         "VREPRINT", "VDISCARD", "VWERASE", "VLNEXT", "VEOL2"};
constexpr size_t kNccs = 19;

// -v's rest of a termios: ", c_line=N_TTY, c_cc=[[VINTR]=0x3, ...]".
void append_termios_rest(std::string& out, std::string_view b) {
  out += ", c_line=";
  const auto line = static_cast<uint8_t>(b[16]);
  if (line < std::size(kLineDisciplines)) {
    out += kLineDisciplines[line];
  } else {
    syscalls::append_decimal(out, line);
  }
  out += ", c_cc=[";
  for (size_t i = 0; i < kNccs; ++i) {
    if (i > 0) out += ", ";
    out += '[';
    if (i < std::size(kControlChars)) {
      out += kControlChars[i];
    } else {
      syscalls::append_decimal(out, i);
    }
    out += "]=";
    syscalls::append_hex_or_zero(out, static_cast<uint8_t>(b[17 + i]));
  }
  out += ']';
}

void append_termios(std::string& out, std::string_view b, bool verbose) {
  out += "{c_iflag=";
  append_word(out, payload_field<uint32_t>(b, 0), {}, kIflagBits);
  out += ", c_oflag=";
  append_word(out, payload_field<uint32_t>(b, 4), kOflagFields, kOflagBits);
  out += ", c_cflag=";
  const uint32_t cflag = payload_field<uint32_t>(b, 8);
  append_word(out, cflag & ~kInputBaud, kCflagFields, kCflagBits);
  if ((cflag & kInputBaud) != 0) {  // "|B9600<<IBSHIFT"
    out += '|';
    append_word(out, (cflag & kInputBaud) >> 16, kCflagFields.subspan(0, 1), {});
    out += "<<IBSHIFT";
  }
  out += ", c_lflag=";
  append_word(out, payload_field<uint32_t>(b, 12), {}, kLflagBits);
  if (!verbose) {
    out += ", ...}";
    return;
  }
  append_termios_rest(out, b);
  out += '}';
}

void append_winsize(std::string& out, std::string_view b) {
  out += "{ws_row=";
  syscalls::append_decimal(out, payload_field<uint16_t>(b, 0));
  out += ", ws_col=";
  syscalls::append_decimal(out, payload_field<uint16_t>(b, 2));
  out += ", ws_xpixel=";
  syscalls::append_decimal(out, payload_field<uint16_t>(b, 4));
  out += ", ws_ypixel=";
  syscalls::append_decimal(out, payload_field<uint16_t>(b, 6));
  out += '}';
}

// <linux/fs.h>'s FS_*_FL, in strace's order.
constexpr Named kInodeFlagBits[] = {
    {"FS_SECRM_FL", 0x1},           {"FS_UNRM_FL", 0x2},         {"FS_COMPR_FL", 0x4},
    {"FS_SYNC_FL", 0x8},            {"FS_IMMUTABLE_FL", 0x10},   {"FS_APPEND_FL", 0x20},
    {"FS_NODUMP_FL", 0x40},         {"FS_NOATIME_FL", 0x80},     {"FS_DIRTY_FL", 0x100},
    {"FS_COMPRBLK_FL", 0x200},      {"FS_NOCOMP_FL", 0x400},     {"FS_ENCRYPT_FL", 0x800},
    {"FS_INDEX_FL", 0x1000},        {"FS_IMAGIC_FL", 0x2000},    {"FS_JOURNAL_DATA_FL", 0x4000},
    {"FS_NOTAIL_FL", 0x8000},       {"FS_DIRSYNC_FL", 0x10000},  {"FS_TOPDIR_FL", 0x20000},
    {"FS_HUGE_FILE_FL", 0x40000},   {"FS_EXTENT_FL", 0x80000},   {"FS_VERITY_FL", 0x100000},
    {"FS_EA_INODE_FL", 0x200000},   {"FS_EOFBLOCKS_FL", 0x400000}, {"FS_NOCOW_FL", 0x800000},
    {"FS_DAX_FL", 0x2000000},       {"FS_INLINE_DATA_FL", 0x10000000}, {"FS_PROJINHERIT_FL", 0x20000000},
    {"FS_CASEFOLD_FL", 0x40000000}, {"FS_RESERVED_FL", 0x80000000}};
constexpr syscalls::constants::detail::FlagSet kInodeFlags{0, {}, kInodeFlagBits, {}};

}  // namespace

bool append_terminal_ioctl_arg(std::string& out, uint64_t request, std::string_view bytes, bool verbose) {
  switch (static_cast<uint32_t>(request)) {
    case kTcgets:
    case kTcsets:
    case kTcsetsw:
    case kTcsetsf:
      if (bytes.size() != kTermios) return false;
      append_termios(out, bytes, verbose);
      return true;
    case kTiocgwinsz:
    case kTiocswinsz:
      if (bytes.size() != kWinsize) return false;
      append_winsize(out, bytes);
      return true;
    case kFionread: case kTiocoutq: case kTiocgpgrp: case kTiocgptn:
    case kTiocspgrp: case kTiocsptlck: case kFionbio: case kFioasync: {
      if (bytes.size() != 4) return false;
      int32_t v;
      std::memcpy(&v, bytes.data(), 4);
      syscalls::append_bracketed_decimal(out, v);
      return true;
    }
    case kFsIocGetflags:
    case kFsIocSetflags: {
      if (bytes.size() != 4) return false;
      uint32_t v;
      std::memcpy(&v, bytes.data(), 4);
      out += '[';
      syscalls::constants::detail::append_flags(out, kInodeFlags, v);
      out += ']';
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sysgate::trace
