// sysgate-exec: maps a program from an open fd and enters it with the gate armed.
//
//   sysgate-exec --fd N [--interp-fd M] [--execfn PATH] [--exe PATH] [--comm NAME] [--gate OPTIONS] [--hooks-fd H]
//                -- ARGV0 [ARGS...]
//
// N: an fd open for reading the program (closed after mapping). M: an fd of its
// PT_INTERP interpreter; without it the path in PT_INTERP is opened here.
// The target gets argv = ARGV0..., this process's environment, and an auxv
// derived from this process's (see stack_builder.h). H: an fd of a hook library
// (include/sysgate/hook_library.h), mapped and linked for the gate and left
// open for the next exec. --exe: the program's absolute path, which the gate
// gives as /proc/self/exe's target (the kernel's names this loader). --comm:
// the task's name, where the kernel would not take execfn's last component
// (an execveat of the descriptor itself: the file's own name). Any error prints
// "sysgate-exec: <what>: <why>" and exits 127. See docs/loader.md.
//
// Order: parse arguments -> read and validate the program's headers -> map it
// -> same for its interpreter -> close the fds -> build the entry block below
// the current stack pointer -> sysgate_gate_arm() -> name the task -> jump.
//
// Syscalls made before the gate is armed (the filter must allow them, or
// the process dies of SIGSYS): fstat, pread64, mmap, munmap, mprotect,
// close, openat (only for PT_INTERP without --interp-fd), and on failure
// write(2, ...) and exit_group. After arming: prctl(PR_SET_NAME).
#include <stdint.h>

#include "loader/cmdline.h"
#include "loader/die.h"
#include "loader/gate_hook.h"
#include "loader/hook_library.h"
#include "loader/image_file.h"
#include "loader/exec_path.h"
#include "loader/map_image.h"
#include "loader/raw.h"
#include "loader/stack_builder.h"

extern "C" [[noreturn]] void sysgate_loader_main(uint64_t* sp);
extern "C" [[noreturn]] void sysgate_loader_enter(uint64_t entry, uint64_t* sp);  // arch/x86_64/loader_entry.S
extern "C" char __executable_start[];                                             // the linker's bounds of this image
extern "C" char _end[];
extern "C" size_t strlen(const char* s);
extern "C" void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);

namespace sysgate::loader {
namespace {

constexpr char kUsage[] =
    "usage: sysgate-exec --fd N [--interp-fd M] [--execfn PATH] [--exe PATH] [--comm NAME] [--gate OPTIONS] [--hooks-fd H] -- "
    "ARGV0 [ARGS...]";

struct Options {
  int fd = -1;
  int interp_fd = -1;
  int hooks_fd = -1;
  const char* execfn = nullptr;
  const char* exe = nullptr;
  const char* comm = nullptr;  // the task's name, when not execfn's basename
  const char* gate = nullptr;
  uint64_t argc = 0;  // the target's
  char** argv = nullptr;
};

bool equal(const char* a, const char* b) {
  while (*a != 0 && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// A decimal fd number in [0, 2^31 - 1]; no sign, no spaces, no leading junk.
bool parse_fd(const char* s, int* out) {
  if (*s == 0) return false;
  uint64_t v = 0;
  for (; *s != 0; ++s) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10 + static_cast<uint64_t>(*s - '0');
    if (v > 0x7fffffff) return false;
  }
  *out = static_cast<int>(v);
  return true;
}

Options parse_options(uint64_t argc, char** argv) {
  Options o;
  bool seen_fd = false, seen_interp = false, seen_execfn = false, seen_gate = false, seen_hooks = false;
  bool seen_exe = false, seen_comm = false, seen_dashes = false;
  uint64_t i = 1;
  while (i < argc) {
    const char* a = argv[i++];
    if (equal(a, "--")) {
      seen_dashes = true;
      break;
    }
    const bool is_fd = equal(a, "--fd"), is_interp = equal(a, "--interp-fd");
    const bool is_execfn = equal(a, "--execfn"), is_gate = equal(a, "--gate"), is_hooks = equal(a, "--hooks-fd");
    const bool is_exe = equal(a, "--exe"), is_comm = equal(a, "--comm");
    if (!is_fd && !is_interp && !is_execfn && !is_gate && !is_hooks && !is_exe && !is_comm) {
      die("arguments", "unknown option", a);
    }
    if (i >= argc) die("arguments", "option needs a value", a);
    const char* value = argv[i++];
    bool& seen = is_fd       ? seen_fd
                 : is_interp ? seen_interp
                 : is_execfn ? seen_execfn
                 : is_hooks  ? seen_hooks
                 : is_exe    ? seen_exe
                 : is_comm   ? seen_comm
                             : seen_gate;
    if (seen) die("arguments", "option given twice", a);
    seen = true;
    if (is_fd || is_interp || is_hooks) {
      if (!parse_fd(value, is_fd ? &o.fd : is_interp ? &o.interp_fd : &o.hooks_fd)) {
        die("arguments", "not an fd number", value);
      }
    } else if (is_execfn) {
      o.execfn = value;
    } else if (is_exe) {
      o.exe = value;
    } else if (is_comm) {
      o.comm = value;
    } else {
      o.gate = value;
    }
  }
  if (!seen_dashes) die("arguments", "missing \"--\" before the target's argv", kUsage);
  if (!seen_fd) die("arguments", "missing --fd", kUsage);
  if (i >= argc) die("arguments", "missing ARGV0 after \"--\"", kUsage);
  o.argc = argc - i;
  o.argv = argv + i;
  return o;
}

// The kernel names a task after the basename of the path it execs; through
// an exec of the loader's fd that name would be the fd number ("3").
// PR_SET_NAME keeps the first 15 bytes, as the kernel does. comm, if not
// null, is the name itself.
void set_task_name(const char* execfn, const char* comm) {
  const char* base = execfn;
  for (const char* p = execfn; *p != 0; ++p) {
    if (*p == '/' && p[1] != 0) base = p + 1;
  }
  if (comm != nullptr) base = comm;
  char name[16] = {};
  for (int i = 0; i < 15 && base[i] != 0 && base[i] != '/'; ++i) name[i] = base[i];
  (void)raw::prctl(PR_SET_NAME, reinterpret_cast<unsigned long>(name));  // cosmetic: errors ignored
}

void close_fd(int fd) {
  (void)raw::close(fd);  // the fd was fstat'ed successfully; EINTR still closes it
}

// The page whose zero byte is the one path an exec of the loader may name
// (exec_path.h): shared, anonymous, never writable, sealed. Mapped before the
// arguments are read, so that no image the loader starts -- armed or not, from
// arguments a program wrote itself -- lacks it (a reviewer exec'd the loader
// with no --gate, mapped a page of their own there and named "/bin/sh" in it).
void map_exec_path_page() {
  const long m = raw::mmap(kLoaderExecPathPage, kLoaderExecPathBytes, PROT_READ,
                           MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (raw::failed(m) || static_cast<uint64_t>(m) != kLoaderExecPathPage) {
    die_errno("exec path page", "cannot map it", raw::failed(m) ? raw::error_of(m) : EEXIST);
  }
  // Without mseal (Linux 6.10) the page stays replaceable: the monitor says so.
  const long s = raw::mseal(kLoaderExecPathPage, kLoaderExecPathBytes);
  if (raw::failed(s) && raw::error_of(s) != ENOSYS) die_errno("exec path page", "cannot seal it", raw::error_of(s));
}

// The end of the kernel's [stack] mapping: the page that holds the end of
// the file name the kernel copied there first, at its very top (AT_EXECFN);
// 0 without one.
uint64_t stack_mapping_end(const uint64_t* auxv) {
  constexpr uint64_t kAtExecfn = 31, kPage = 4096;
  for (const uint64_t* a = auxv; a[0] != 0; a += 2) {
    if (a[0] != kAtExecfn || a[1] == 0) continue;
    const uint64_t end = a[1] + strlen(reinterpret_cast<const char*>(a[1])) + 1;
    return (end + kPage - 1) & ~(kPage - 1);
  }
  return 0;
}

}  // namespace
}  // namespace sysgate::loader

void sysgate_loader_main(uint64_t* sp) {
  using namespace sysgate::loader;

  const uint64_t argc = sp[0];
  char** argv = reinterpret_cast<char**>(sp + 1);
  char** envp = argv + argc + 1;
  uint64_t envc = 0;
  while (envp[envc] != nullptr) ++envc;
  const uint64_t* auxv = reinterpret_cast<const uint64_t*>(envp + envc + 1);

  // First of all, whatever the arguments say: whoever exec'd the loader chose them.
  map_exec_path_page();
  const Options o = parse_options(argc, argv);
  const char* execfn = o.execfn != nullptr ? o.execfn : o.argv[0];
  const char* name = execfn[0] != 0 ? execfn : "program";

  ImageFile prog;
  read_image_file(o.fd, name, &prog);
  const MappedImage pm = map_image(o.fd, prog.plan, name);

  ImageFile interp;
  MappedImage im;
  uint64_t entry = pm.entry;
  if (prog.plan.has_interp) {
    const char* path = prog.interp_path;
    const int ifd = o.interp_fd >= 0 ? o.interp_fd : open_image_file(path, path);
    read_image_file(ifd, path, &interp);
    im = map_image(ifd, interp.plan, path);
    entry = im.entry;
    if (ifd != o.fd) close_fd(ifd);
  } else if (o.interp_fd >= 0 && o.interp_fd != o.fd) {
    close_fd(o.interp_fd);  // a static program needs none; do not leak it
  }
  close_fd(o.fd);
  // After the program and its interpreter, so their fixed or preferred places
  // are taken first; the library goes wherever the kernel puts it.
  const uint64_t hooks_init = o.hooks_fd >= 0 ? load_hook_library(o.hooks_fd, "hook library") : 0;

  if (prog.plan.executable_stack) make_stack_executable(sp, name);

  // /proc/self/cmdline should show the program's argv, not ours (cmdline.h):
  // what is still needed of our own arguments is copied first, here, above the
  // entry block, where it outlives this function (the program's stack starts
  // below the block).
  char* execfn_copy = static_cast<char*>(__builtin_alloca(strlen(execfn) + 1));
  memcpy(execfn_copy, execfn, strlen(execfn) + 1);
  execfn = execfn_copy;
  char* gate_copy = nullptr;
  if (o.gate != nullptr) {
    gate_copy = static_cast<char*>(__builtin_alloca(strlen(o.gate) + 1));
    memcpy(gate_copy, o.gate, strlen(o.gate) + 1);
  }
  char* exe_copy = nullptr;
  if (o.exe != nullptr) {
    exe_copy = static_cast<char*>(__builtin_alloca(strlen(o.exe) + 1));
    memcpy(exe_copy, o.exe, strlen(o.exe) + 1);
  }
  char comm_copy[16] = {};  // a task name's bytes, as PR_SET_NAME takes them
  for (int i = 0; o.comm != nullptr && i < 15 && o.comm[i] != 0; ++i) comm_copy[i] = o.comm[i];
  hide_loader_arguments(argv, argc, o.argv, o.argc);

  StackSpec spec;
  spec.argc = o.argc;
  spec.argv = o.argv;
  spec.envc = envc;
  spec.envp = envp;
  spec.auxv = auxv;
  spec.phdr = pm.phdr;
  spec.phent = kPhdrSize;
  spec.phnum = prog.plan.header.phnum;
  spec.entry = pm.entry;
  spec.base = prog.plan.has_interp ? im.bias : 0;
  spec.execfn = execfn;
  spec.phdr_copy = prog.phdrs;
  spec.phdr_copy_len = prog.plan.header.phdr_bytes;

  // The block goes below everything live in this frame; callees (the gate
  // hook included) run below it, and the target's stack grows down from it.
  const size_t size = stack_block_size(spec);
  void* mem = __builtin_alloca_with_align(size, 128);
  const StackBlock b = build_stack_block(mem, size, spec);

  sysgate_loader_info info = {};
  info.version = SYSGATE_LOADER_INFO_VERSION;
  info.size = sizeof(info);
  info.entry = entry;
  info.program_entry = pm.entry;
  info.load_bias = pm.bias;
  info.image_start = pm.start;
  info.image_end = pm.end;
  info.interp_base = spec.base;
  info.interp_start = prog.plan.has_interp ? im.start : 0;
  info.interp_end = prog.plan.has_interp ? im.end : 0;
  info.phdr = reinterpret_cast<const void*>(b.phdr);
  info.phnum = spec.phnum;
  info.execfn = execfn;
  info.stack_pointer = b.sp;
  info.argc = b.argc;
  info.argv = b.argv;
  info.envp = b.envp;
  info.auxv = b.auxv;
  info.gate_options = gate_copy;
  info.loader_start = reinterpret_cast<uint64_t>(__executable_start);
  info.loader_end = reinterpret_cast<uint64_t>(_end);
  info.hooks_init = hooks_init;
  info.exe_path = exe_copy;
  info.stack_top = stack_mapping_end(auxv);
  sysgate_gate_arm(&info);

  // After arming: a filter that traps prctl now reaches the gate, not a kill.
  set_task_name(execfn, o.comm != nullptr ? comm_copy : nullptr);
  sysgate_loader_enter(entry, b.sp);
}
