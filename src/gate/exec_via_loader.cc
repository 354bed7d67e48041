#include "gate/close_range.h"
#include "gate/exec_via_loader.h"

#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "gate/app_memory.h"
#include "gate/exec_open.h"
#include "gate/process.h"
#include "gate/program_filters.h"
#include "gate/program_traps.h"
#include "gate/pending_sigsys.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite.h"
#include "gate/ring_writer.h"
#include "gate/signals.h"
#include "gate/trace_emit.h"
#include "gate/util.h"
#include "loader/exec_path.h"

namespace sysgate::gate {
namespace {

constexpr int kMaxScriptDepth = 4;        // the kernel's limit of interpreter nesting (ELOOP past it)
constexpr uint64_t kMaxArgs = 1u << 20;   // more than ARG_MAX could hold
// "sysgate-exec" --fd N --execfn P [--exe E] [--comm C] --gate O [--hooks-fd H] --
constexpr int kLoaderArgs = 14;

// Zero-initialised (no constructor runs in the gate): `configured` says whether
// loader_fd is meaningful.
struct ExecLoader {
  int loader_fd;
  int configured;
  int hooks_fd;  // valid when has_hooks
  int has_hooks;
  int open_here;  // exec_open.h
  char options[256];
};
ExecLoader g_exec __attribute__((visibility("hidden")));

bool is_error(long r) { return r < 0 && r > -4096; }

// The exec'ing thread has the redirect filter (program_filters.h), which the
// new image keeps: it relies on that ("filtered=1") and does not ask for SUD,
// whose prctl a filter of the program's could refuse or fake. Same length.
void redirected_instead_of_dispatch(char* options) {
  static const char kDispatch[] = ",dispatch=1";
  static const char kFiltered[] = ",filtered=1";
  static_assert(sizeof kDispatch == sizeof kFiltered);
  for (char* p = options; *p != '\0'; ++p) {
    uint64_t n = 0;
    while (n + 1 < sizeof kDispatch && p[n] == kDispatch[n]) ++n;
    if (n + 1 == sizeof kDispatch && (p[n] == ',' || p[n] == '\0')) {
      copy_bytes(p, kFiltered, sizeof kFiltered - 1);
      return;
    }
  }
}

// Decimal of a non-negative number into buf (at least 21 bytes).
const char* decimal(long v, char* buf) { return format_decimal(static_cast<uint64_t>(v), buf); }

// The kernel's name for what execveat ran from a directory descriptor
// (bprm->filename): "/dev/fd/N" for the descriptor itself (AT_EMPTY_PATH),
// "/dev/fd/N/PATH" for a relative path. Into buf (kMaxExecfn bytes); 0, or
// -EFAULT (path unreadable) or -ENAMETOOLONG (no NUL within PATH_MAX), as the
// kernel's getname answers.
constexpr uint64_t kMaxExecfn = 4096 + 32;
long descriptor_execfn(long dirfd, uint64_t path, char* buf) {
  static const char kDevFd[] = "/dev/fd/";
  copy_bytes(buf, kDevFd, sizeof kDevFd - 1);
  char digits[24];
  decimal(dirfd, digits);
  const uint64_t nd = string_length(digits);
  copy_bytes(buf + sizeof kDevFd - 1, digits, nd + 1);
  uint64_t at = sizeof kDevFd - 1 + nd;
  bool terminated = false;
  const long len = app_string_length(path, 4096, 0, &terminated);
  if (len < 0) return -EFAULT;
  if (!terminated) return -ENAMETOOLONG;  // (4096 bytes without a NUL)
  if (len == 0) return 0;
  buf[at++] = '/';
  copy_bytes(buf + at, reinterpret_cast<const char*>(path), static_cast<uint64_t>(len) + 1);
  return 0;
}

// The name of the file at real path: its last component, less the " (deleted)"
// readlink adds for an unlinked file or a memfd ("/memfd:x (deleted)" ->
// "memfd:x"), as its dentry names it. Into buf (at most 15 bytes and a NUL,
// the most a task name keeps).
const char* file_name(const char* real, char* buf) {
  const char* base = real;
  for (const char* p = real; *p != 0; ++p) {
    if (*p == '/' && p[1] != 0) base = p + 1;
  }
  static const char kDeleted[] = " (deleted)";
  uint64_t n = string_length(base);
  const uint64_t k = sizeof kDeleted - 1;
  if (n > k) {
    bool deleted = true;
    for (uint64_t i = 0; i < k; ++i) deleted = deleted && base[n - k + i] == kDeleted[i];
    if (deleted) n -= k;
  }
  if (n > 15) n = 15;
  copy_bytes(buf, base, n);
  buf[n] = '\0';
  return buf;
}

// Whether the n bytes read of a file's start open an x86-64 ELF image.
bool is_x86_64_elf(const char* header, long n) {
  constexpr int kClass = 4, kMachine = 18;  // e_ident[EI_CLASS], e_machine
  if (n < 20 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F') return false;
  const auto machine = static_cast<uint16_t>(static_cast<uint8_t>(header[kMachine]) |
                                             static_cast<uint8_t>(header[kMachine + 1]) << 8);
  return header[kClass] == 2 && machine == 62;  // ELFCLASS64, EM_X86_64
}

// Whether the program's descriptor fd is close-on-exec (false if the kernel
// will not say).
bool close_on_exec(long fd) {
  const long flags = raw_syscall(__NR_fcntl, static_cast<uint64_t>(fd), F_GETFD);
  return flags > 0 && (flags & FD_CLOEXEC) != 0;
}

// Counts argv's entries (argv may be NULL: none). -EFAULT if unreadable, -E2BIG if absurd.
long count_args(uint64_t argv) {
  if (argv == 0) return 0;
  for (uint64_t i = 0; i < kMaxArgs; ++i) {
    const uint64_t slot = argv + 8 * i;
    if ((i == 0 || (slot & (kPageBytes - 1)) == 0) && !app_probe_read(slot, 8)) return -EFAULT;
    if (*reinterpret_cast<const uint64_t*>(slot) == 0) return static_cast<long>(i);
  }
  return -E2BIG;
}

// A "#!" line as the kernel parses it: interpreter, then at most one argument
// (the rest of the line, trimmed). Returns false if buf is not a script.
bool parse_shebang(char* buf, long n, const char** interp, const char** arg) {
  if (n < 3 || buf[0] != '#' || buf[1] != '!') return false;
  long end = 2;
  while (end < n && buf[end] != '\n') ++end;
  if (end == n && n == 256) return false;  // line longer than we read: not ours to guess (ENOEXEC below)
  buf[end] = '\0';
  char* p = buf + 2;
  while (*p == ' ' || *p == '\t') ++p;
  if (*p == '\0') return false;
  *interp = p;
  while (*p != '\0' && *p != ' ' && *p != '\t') ++p;
  *arg = nullptr;
  if (*p == '\0') return true;
  *p++ = '\0';
  while (*p == ' ' || *p == '\t') ++p;
  char* last = p + string_length(p);
  while (last > p && (last[-1] == ' ' || last[-1] == '\t')) --last;
  *last = '\0';
  if (*p != '\0') *arg = p;
  return true;
}

struct Scratch {
  uint64_t* base = nullptr;
  uint64_t bytes = 0;
  ~Scratch() {
    if (base != nullptr) raw_syscall(__NR_munmap, addr(base), bytes);
  }
};

long map_scratch(Scratch* s, uint64_t slots) {
  const uint64_t bytes = (slots * 8 + kPageBytes - 1) & ~(kPageBytes - 1);
  const long m = raw_syscall(__NR_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             static_cast<uint64_t>(-1), 0);
  if (is_error(m)) return m;
  s->base = reinterpret_cast<uint64_t*>(m);
  s->bytes = bytes;
  return 0;
}

}  // namespace

bool exec_loader_configure(int loader_fd, const char* options, int hooks_fd, bool open_here) {
  const uint64_t n = string_length(options);
  if (loader_fd < 0 || n >= sizeof g_exec.options) return false;
  copy_bytes(g_exec.options, options, n + 1);
  g_exec.loader_fd = loader_fd;
  g_exec.hooks_fd = hooks_fd;
  g_exec.has_hooks = hooks_fd >= 0 ? 1 : 0;
  g_exec.open_here = open_here ? 1 : 0;
  g_exec.configured = 1;
  protect_fd(loader_fd);  // the filter refuses to close them (close_range.h)
  protect_fd(hooks_fd);
  return true;
}

long exec_via_loader(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  if (g_exec.configured == 0) return do_execve(t, uc, call);
  // The image's rewrite counts end here if the exec succeeds (this thread's calls
  // so far; other threads die with the exec). Before the enter record, which the
  // monitor pairs with the exec's outcome.
  rewrite_thread_exits(t, false);
  rewrite_trace_counts(t);
  trace_syscall(t, trace::kRecordSyscallEnter, call.record_flags, call.nr, call.args, 0, 0, call.ip);

  const bool at = call.nr == __NR_execveat;
  // The sixth argument, which neither execve nor execveat reads, carries a
  // buffer the monitor fills with the real path of the file it hands over
  // (exec_broker.h): the next image's /proc/self/exe (exe_link.h).
  char exe_real[kExecRealBytes];
  exe_real[0] = '\0';
  uint64_t words[7] = {static_cast<uint64_t>(call.nr), call.args[0], call.args[1], call.args[2],
                       call.args[3], call.args[4], addr(exe_real)};
  // What the program asked to run, and with what; scripts replace these.
  uint64_t path = at ? call.args[1] : call.args[0];
  // The kernel's AT_EXECFN and task name come from the file execve was given,
  // the script rather than its interpreter; for execveat from a directory
  // descriptor, from the name the kernel makes up for it, "/dev/fd/N[/PATH]".
  uint64_t execfn = path;
  char fd_execfn[kMaxExecfn];
  const bool from_dirfd = at && static_cast<int>(call.args[0]) != AT_FDCWD &&
                          (!app_probe_read(path, 1) || *reinterpret_cast<const char*>(path) != '/');
  if (from_dirfd) {
    if (const long r = descriptor_execfn(static_cast<int>(call.args[0]), path, fd_execfn); r < 0) return r;
    execfn = addr(fd_execfn);
  }
  // Of the descriptor itself, the kernel names the task after the file's own
  // name (its dentry's, the interpreter's for a script), not "N".
  const bool comm_from_file = from_dirfd && *reinterpret_cast<const char*>(path) == '\0';
  char comm[16];
  uint64_t argv = at ? call.args[2] : call.args[1];
  const uint64_t envp = at ? call.args[3] : call.args[2];

  const long argc = count_args(argv);
  if (argc < 0) return argc;
  // Room for the loader's arguments, the program's, up to 2 per script level, NULL.
  Scratch scratch;
  if (long r = map_scratch(&scratch, kLoaderArgs + 2 * kMaxScriptDepth + static_cast<uint64_t>(argc) + 1); r < 0) {
    return r;
  }
  uint64_t* args_out = scratch.base + kLoaderArgs;  // the program's argv, built in place
  uint64_t nargs = 0;
  for (long i = 0; i < argc; ++i) args_out[nargs++] = reinterpret_cast<const uint64_t*>(argv)[i];

  char header[256 + 1];
  char interp_copy[kMaxScriptDepth][257];
  for (int depth = 0;; ++depth) {
    long fd = g_exec.open_here != 0 ? exec_open_here(t, words, exe_real) : kExecAskMonitor;
    if (fd == kExecAskMonitor) fd = blocking_syscall(uc, words);
    if (fd < 0) return fd;  // the monitor's (or the kernel's) answer
    const long n = raw_syscall(__NR_pread64, static_cast<uint64_t>(fd), addr(header), 256, 0);
    const char* interp = nullptr;
    const char* interp_arg = nullptr;
    if (n > 0 && parse_shebang(header, n, &interp, &interp_arg)) {
      raw_syscall(__NR_close, static_cast<uint64_t>(fd));
      // The script's /dev/fd/N path would be gone in the new image: the kernel
      // refuses (BINPRM_FLAGS_PATH_INACCESSIBLE).
      if (depth == 0 && from_dirfd && close_on_exec(static_cast<int>(call.args[0]))) return -ENOENT;
      if (depth + 1 >= kMaxScriptDepth) return -ELOOP;
      const uint64_t len = string_length(interp);
      copy_bytes(interp_copy[depth], interp, len + 1);
      // argv becomes [interp, arg?, path, argv[1], ...]: shift right by 1 or 2
      // over argv[0] (the kernel drops the script's argv[0]).
      const uint64_t extra = interp_arg != nullptr ? 2 : 1;
      const uint64_t keep = nargs > 0 ? nargs - 1 : 0;
      for (uint64_t i = keep; i > 0; --i) args_out[i + extra] = args_out[i];
      args_out[0] = addr(interp_copy[depth]);
      if (interp_arg != nullptr) {
        // The argument lives in header, which the next level overwrites: keep it
        // after the interpreter's copy.
        const uint64_t alen = string_length(interp_arg);
        if (len + 1 + alen + 1 > sizeof interp_copy[depth]) return -ENAMETOOLONG;
        char* a = interp_copy[depth] + len + 1;
        copy_bytes(a, interp_arg, alen + 1);
        args_out[1] = addr(a);
      }
      args_out[extra] = depth == 0 ? execfn : path;  // the kernel's name for the script
      nargs = keep + 1 + extra;
      path = addr(interp_copy[depth]);
      words[0] = __NR_execve;
      words[1] = path;
      words[2] = addr(args_out);
      words[3] = envp;
      args_out[nargs] = 0;
      continue;
    }

    // Neither a script nor an x86-64 ELF image: the kernel's answer, ENOEXEC
    // (binfmt_elf checks the magic, the class and the machine), rather than the
    // loader's death on it.
    if (!is_x86_64_elf(header, n)) {
      raw_syscall(__NR_close, static_cast<uint64_t>(fd));
      return -ENOEXEC;
    }
    // An image: start it in the loader. The loader's own arguments end right
    // before the program's argv at args_out, in scratch.base[0..kLoaderArgs).
    static const char kName[] = "sysgate-exec";
    static const char kFd[] = "--fd";
    static const char kExecfn[] = "--execfn";
    static const char kExe[] = "--exe";
    static const char kComm[] = "--comm";
    static const char kGate[] = "--gate";
    static const char kHooks[] = "--hooks-fd";
    static const char kEnd[] = "--";
    static const char kEmpty[] = "";
    char fd_text[24];
    char hooks_text[24];
    exe_real[sizeof exe_real - 1] = '\0';
    const bool has_exe = exe_real[0] == '/';
    // A script's real path is its interpreter's, whose name the kernel takes too.
    const bool has_comm = comm_from_file && has_exe;
    const int count = 8 + (has_exe ? 2 : 0) + (has_comm ? 2 : 0) + (g_exec.has_hooks != 0 ? 2 : 0);
    uint64_t* out = scratch.base + (kLoaderArgs - count);
    uint64_t* o = out;
    *o++ = addr(kName);
    *o++ = addr(kFd);
    *o++ = addr(decimal(fd, fd_text));
    *o++ = addr(kExecfn);
    *o++ = execfn;
    if (has_exe) {
      *o++ = addr(kExe);
      *o++ = addr(exe_real);
    }
    if (has_comm) {
      *o++ = addr(kComm);
      *o++ = addr(file_name(exe_real, comm));
    }
    // The loader's options, and which thread exec'd: the new image's
    // kRecordImageStarted names it, so the monitor pairs the image with the
    // right exec when two threads exec at once (the kernel lets one win).
    // And whether filters of the program's came with it (program_traps.h),
    // and what execve keeps of the program's SIGSYS, which the kernel's state
    // does not show (signals.h).
    static const char kExecTid[] = ",exectid=";
    static const char kProgramFilters[] = ",progfilters=1";
    static const char kSigsysIgnored[] = ",sigsys=ign";
    static const char kSigsysBlocked[] = ",sigsysblocked=1";
    static const char kSigsysPending[] = ",sigsyspending=";
    char options[sizeof g_exec.options + sizeof kProgramFilters + sizeof kSigsysIgnored + sizeof kSigsysBlocked +
                 sizeof kSigsysPending + 4 * 17 + sizeof kExecTid + 12];
    uint64_t used = string_length(g_exec.options);
    copy_bytes(options, g_exec.options, used);
    auto append = [&](const char* text, uint64_t n) {
      copy_bytes(options + used, text, n);
      used += n;
    };
    if (program_filters_may_trap()) append(kProgramFilters, sizeof kProgramFilters - 1);
    if (program_sigsys_ignored(t)) append(kSigsysIgnored, sizeof kSigsysIgnored - 1);
    if (t->sigsys_blocked != 0) append(kSigsysBlocked, sizeof kSigsysBlocked - 1);
    uint64_t pending[4];
    if (t->sigsys_blocked != 0 && sigsys_pending(t, pending)) {  // execve keeps it pending
      append(kSigsysPending, sizeof kSigsysPending - 1);
      for (int i = 0; i < 4; ++i) {
        if (i > 0) append(".", 1);
        char digits[17];
        const uint64_t n = format_hex(pending[i], digits);
        append(digits, n);
      }
    }
    copy_bytes(options + used, kExecTid, sizeof kExecTid - 1);
    decimal(t->tid, options + used + sizeof kExecTid - 1);
    if (thread_redirected(t)) redirected_instead_of_dispatch(options);
    *o++ = addr(kGate);
    *o++ = addr(options);
    if (g_exec.has_hooks != 0) {
      *o++ = addr(kHooks);
      *o++ = addr(decimal(g_exec.hooks_fd, hooks_text));
    }
    *o++ = addr(kEnd);
    // The loader needs an argv[0]; the kernel, too, invents "" for an empty argv.
    if (nargs == 0) args_out[nargs++] = addr(kEmpty);
    args_out[nargs] = 0;
    // Another thread waits in a call this exec will end: the monitor shows it
    // ("<... pause resumed>) = ?") from the mark it reads as the exec's enter
    // record arrives, and the new image's first ring claim clears the
    // leader's. So the record is read first (rare: the thread that execs is
    // nearly always alone).
    if (t->ring.control != nullptr && ring_other_open_call(g_gate.region, t->pid, t->tid)) {
      ring_wait_drained(g_gate.region, &t->ring);
    }
    trace_release_rings(t);
    // The path, "", is the one the filter lets through: the loader's sealed page
    // (loader/exec_path.h), not a string the program could rewrite to "/bin/sh".
    const uint64_t exec_words[7] = {__NR_execveat, static_cast<uint64_t>(g_exec.loader_fd), loader::kLoaderExecPath,
                                    addr(out), envp, AT_EMPTY_PATH, 0};
    const long r = blocking_syscall(uc, exec_words);
    raw_syscall(__NR_close, static_cast<uint64_t>(fd));
    return r;  // failed: the handler records it, retaking the ring
  }
}

}  // namespace sysgate::gate
