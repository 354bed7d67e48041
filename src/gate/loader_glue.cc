// The gate's side of the loader hook (src/loader/gate_hook.h): arms the gate in
// every image the loader starts, from the loader's --gate options:
//
//   ring=N      the trace region's memfd (absent: no tracing)
//   loader=M    the protected fd of sysgate-exec, for execs (exec_via_loader.h)
//   filter=1    install the redirect filter (redirect_filter.h): every call
//               outside the loader traps (tracing); the monitor asks for it on
//               the first image only, since filters survive exec
//               -- or, where the kernel has it, arm Syscall User Dispatch
//               instead (user_dispatch.h), which later images then re-arm
//   dispatch=1  arm Syscall User Dispatch (an earlier image of this trace did;
//               if it is refused, install the redirect filter instead)
//   filtered=1  an earlier image installed the redirect filter: every call
//               outside the loader traps here too
//   filter=exec install the signal-and-exec redirect filter: only execve,
//               execveat and the signal calls trap (`sysgate run`)
//   nopayloads  trace records without copied strings and buffers
//   detach=exec (trace -b execve) the images this one execs get detached=1
//   detached=1  an exec the trace detaches at made this image: it writes one
//               record (telling the monitor the exec worked), then none; its
//               own execs' images get no ring
//   requeue=1   the policy lets the gate queue a signal on its own thread with
//               its siginfo (rt_tgsigqueueinfo): a program signal that ends a
//               blocking call the gate makes is delivered after the gate's
//               SIGSYS handler, at the program's registers (deferred_signal.h;
//               `sysgate run`: under trace the trace region says so); carried
//               into every later image
//   selfexec=1  open each exec's program in the process, where the monitor
//               would only repeat the kernel's checks (exec_open.h); carried
//               into every later image
//   progfilters=1  the exec'ing thread had seccomp filters of the program's
//               own, which may trap the calls the gate makes for it
//               (program_traps.h; added by the exec, not carried on)
//   sigsys=ign, sigsysblocked=1  the exec'ing thread's program had SIGSYS
//               ignored, or blocked: execve keeps both natively, and the
//               new image's virtual SIGSYS state starts so (added by the exec,
//               not carried on; signals.h)
//   sigsyspending=W.W.W.W  with sigsysblocked=1: a SIGSYS was pending, which
//               execve keeps; W are the first 32 bytes of its siginfo as four
//               hexadecimal words (pending_sigsys.h; added by the exec)
//   exectid=T   the thread whose exec made this image (added by the exec,
//               exec_via_loader.cc; not carried on): its kRecordImageStarted
//               names it
//   rewrite=1   rewrite syscall sites onto trampolines after their first trap
//               (gate/rewrite.h); carried into every later image
//   rewritestats[=FD]  at exit_group, one line of rewrite counts on FD (2; sites
//               rewritten and refused by reason, calls through trampolines
//               and through traps); carried into every later image
//   hooks=H     the hook library's fd (the loader got it as --hooks-fd and
//               linked it): passed to every later image's loader. The library's
//               sysgate_hooks_init runs before the gate is installed; its
//               hooked numbers then trap (filter=exec traps them too) and their
//               sites are rewritten.
//
// Options are comma-separated; an unknown one is an error: the loader was
// started by something other than sysgate, and a silently half-armed gate would
// trace less than asked. Every failure ends the process (status 127, as the
// loader's own errors) before the program's first instruction.
#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "gate/exec_via_loader.h"
#include "gate/gate.h"
#include "gate/hooks.h"
#include "gate/raw_syscall.h"
#include "gate/program_traps.h"
#include "gate/redirect_filter.h"
#include "gate/rewrite.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"
#include "loader/gate_hook.h"
// The interposer's functions handed to a hook library live in this same static
// image: reach them PC-relative, not through a GOT the loader does not have.
#pragma GCC visibility push(hidden)
#include "sysgate/hook_library.h"
#pragma GCC visibility pop

namespace sysgate::gate {
namespace {

// "sysgate-exec: <prefix>what" on stderr.
void say(const char* prefix, const char* what) {
  const char* const parts[] = {"sysgate-exec: ", prefix, what, "\n"};
  for (const char* text : parts) {
    uint64_t n = 0;
    while (text[n] != '\0') ++n;
    raw_syscall(__NR_write, 2, addr(text), n);
  }
}

[[noreturn]] void fail(const char* what) {
  say("gate: ", what);
  end_process(127);
}

// For what degrades but still works.
void note(const char* what) { say("note: ", what); }

bool starts_with(const char* s, const char* prefix) {
  while (*prefix != '\0') {
    if (*s++ != *prefix++) return false;
  }
  return true;
}

// Parses a decimal fd from s up to ',' or NUL; -1 if malformed.
int parse_fd(const char* s, const char** end) {
  long v = 0;
  int digits = 0;
  while (*s >= '0' && *s <= '9' && digits < 10) {
    v = v * 10 + (*s++ - '0');
    ++digits;
  }
  *end = s;
  if (digits == 0 || v > 0x7fffffff || (*s != ',' && *s != '\0')) return -1;
  return static_cast<int>(v);
}

struct Options {
  int ring = -1;
  int loader = -1;
  bool filter = false;       // redirect every call
  bool dispatch = false;     // arm SUD (every call outside the loader traps)
  bool filtered = false;     // the redirect filter of an earlier image is on
  bool filter_exec = false;  // redirect exec and signal calls only
  bool no_payloads = false;
  bool rewrite = false;
  bool sweep = true;  // with rewrite: kGateSweepPages
  int rewrite_stats = -1;  // fd for the report, or -1
  int hooks = -1;          // the hook library's fd, or -1
  bool detach_exec = false;  // detach=exec
  bool detached = false;     // detached=1
  int exec_tid = 0;          // exectid=T
  bool self_exec = false;    // selfexec=1
  bool requeue = false;      // requeue=1
  bool program_filters = false;  // progfilters=1
  bool sigsys_ignored = false;   // sigsys=ign
  bool sigsys_blocked = false;   // sigsysblocked=1
  bool sigsys_pending = false;   // sigsyspending=W.W.W.W (hex words of its siginfo)
  uint64_t pending_sigsys[4] = {};
};

// Four hexadecimal words separated by dots, up to a ',' or the end; false if malformed.
bool parse_hex_words(const char* s, uint64_t out[4], const char** end) {
  for (int i = 0; i < 4; ++i) {
    if (i > 0 && *s++ != '.') return false;
    uint64_t v = 0;
    int digits = 0;
    for (;; ++s, ++digits) {
      const char c = *s;
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) break;
      if (digits == 16) return false;
      v = v << 4 | static_cast<uint64_t>(d);
    }
    if (digits == 0) return false;
    out[i] = v;
  }
  *end = s;
  return *s == ',' || *s == '\0';
}

Options parse(const char* s) {
  Options o;
  while (*s != '\0') {
    const char* end = s;
    if (starts_with(s, "ring=")) {
      o.ring = parse_fd(s + 5, &end);
      if (o.ring < 0) fail("bad ring= option");
    } else if (starts_with(s, "loader=")) {
      o.loader = parse_fd(s + 7, &end);
      if (o.loader < 0) fail("bad loader= option");
    } else if (starts_with(s, "filter=1")) {
      o.filter = true;
      end = s + 8;
    } else if (starts_with(s, "dispatch=1")) {
      o.dispatch = true;
      end = s + 10;
    } else if (starts_with(s, "filtered=1")) {
      o.filtered = true;
      end = s + 10;
    } else if (starts_with(s, "filter=exec")) {
      o.filter_exec = true;
      end = s + 11;
    } else if (starts_with(s, "rewrite=1")) {
      o.rewrite = true;
      end = s + 9;
    } else if (starts_with(s, "rewritestats=")) {
      o.rewrite_stats = parse_fd(s + 13, &end);
      if (o.rewrite_stats < 0) fail("bad rewritestats= option");
    } else if (starts_with(s, "rewritestats")) {
      o.rewrite_stats = 2;
      end = s + 12;
    } else if (starts_with(s, "hooks=")) {
      o.hooks = parse_fd(s + 6, &end);
      if (o.hooks < 0) fail("bad hooks= option");
    } else if (starts_with(s, "rewrite=0")) {
      o.rewrite = false;
      end = s + 9;
    } else if (starts_with(s, "sweep=0")) {
      o.sweep = false;
      end = s + 7;
    } else if (starts_with(s, "nopayloads")) {
      o.no_payloads = true;
      end = s + 10;
    } else if (starts_with(s, "detach=exec")) {
      o.detach_exec = true;
      end = s + 11;
    } else if (starts_with(s, "detached=1")) {
      o.detached = true;
      end = s + 10;
    } else if (starts_with(s, "selfexec=1")) {
      o.self_exec = true;
      end = s + 10;
    } else if (starts_with(s, "requeue=1")) {
      o.requeue = true;
      end = s + 9;
    } else if (starts_with(s, "progfilters=1")) {
      o.program_filters = true;
      end = s + 13;
    } else if (starts_with(s, "sigsys=ign")) {
      o.sigsys_ignored = true;
      end = s + 10;
    } else if (starts_with(s, "sigsysblocked=1")) {
      o.sigsys_blocked = true;
      end = s + 15;
    } else if (starts_with(s, "sigsyspending=")) {
      if (!parse_hex_words(s + 14, o.pending_sigsys, &end)) fail("bad sigsyspending= option");
      o.sigsys_pending = true;
    } else if (starts_with(s, "exectid=")) {
      o.exec_tid = parse_fd(s + 8, &end);
      if (o.exec_tid <= 0) fail("bad exectid= option");
    } else {
      fail("unknown --gate option");
    }
    if (*end == ',') ++end;
    else if (*end != '\0') fail("malformed --gate options");
    s = end;
  }
  return o;
}

// The options every later image gets: the same, with dispatch=1 (SUD ends at
// execve) or filtered=1 (the redirect filter stays) instead of filter=1;
// under trace -b execve, detached=1 for the next image and no ring after it.
void options_for_exec(const Options& o, char* out, uint64_t size) {
  uint64_t n = 0;
  auto put = [&](const char* text) {
    while (*text != '\0' && n + 1 < size) out[n++] = *text++;
  };
  auto put_fd = [&](int fd) {
    char digits[21];
    put(format_decimal(static_cast<uint64_t>(fd), digits));
  };
  if (o.ring >= 0 && !o.detached) {
    put("ring=");
    put_fd(o.ring);
    put(o.detach_exec ? ",detached=1," : ",");
  }
  put("loader=");
  put_fd(o.loader);
  if (o.no_payloads) put(",nopayloads");
  if (user_dispatch_on()) put(",dispatch=1");
  else if (o.filter || o.filtered) put(",filtered=1");
  if (o.rewrite) put(",rewrite=1");
  if (!o.sweep) put(",sweep=0");
  if (o.self_exec) put(",selfexec=1");
  if (o.requeue) put(",requeue=1");
  if (o.rewrite_stats >= 0) {
    put(",rewritestats=");
    put_fd(o.rewrite_stats);
  }
  if (o.hooks >= 0) {
    put(",hooks=");
    put_fd(o.hooks);
  }
  out[n] = '\0';
}

// The loader's executable segment, from its own ELF header at image (the
// first PT_LOAD maps it): the region SUD lets through, and the one the
// monitor's policy names in the arming call it allows (loader_image.h).
bool loader_code(uint64_t image, uint64_t* begin, uint64_t* end) {
  const Elf64_Ehdr* e = reinterpret_cast<const Elf64_Ehdr*>(image);
  if (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phoff == 0 || e->e_phnum == 0 || e->e_phnum > 16 ||
      e->e_phoff + uint64_t{e->e_phnum} * sizeof(Elf64_Phdr) > 4096) {
    return false;
  }
  const Elf64_Phdr* ph = reinterpret_cast<const Elf64_Phdr*>(image + e->e_phoff);
  for (int i = 0; i < e->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) != 0) {
      *begin = ph[i].p_vaddr;
      *end = ph[i].p_vaddr + ph[i].p_memsz;
      return true;
    }
  }
  return false;
}

}  // namespace
}  // namespace sysgate::gate

extern "C" void sysgate_gate_arm(const sysgate_loader_info* info) {
  using namespace sysgate::gate;
  if (info->gate_options == nullptr) return;  // started without a gate: run unarmed
  Options o = parse(info->gate_options);

  // readlink("/proc/self/exe") names the program, not us (signals.h).
  if (info->version >= 2 && info->size >= sizeof(sysgate_loader_info) && info->exe_path != nullptr) {
    uint64_t n = 0;
    while (info->exe_path[n] != '\0' && n + 1 < sizeof g_gate.exe_path) {
      g_gate.exe_path[n] = info->exe_path[n];
      ++n;
    }
    g_gate.exe_path[n] = '\0';
  }
  // The hook library registers its hooks first: they decide what traps.
  if (info->hooks_init != 0) {
    if (info->version < 2 || info->size < sizeof(sysgate_loader_info)) fail("loader too old for a hook library");
    const sysgate::HookApi api = {sysgate::kHookApiVersion, sizeof(sysgate::HookApi), &sysgate::interpose_before,
                                  &sysgate::interpose_after, &sysgate::interposer_syscall};
    using Init = int (*)(const sysgate::HookApi*);
    if (reinterpret_cast<Init>(info->hooks_init)(&api) != 0) fail("the hook library's sysgate_hooks_init refused");
  }
  const bool hooks = hooks_registered();
  const bool hooks_fast = hooks && hooks_prepare();

  // trace -b execve: before gate_install, whose first record is the one.
  g_gate.detach_after_record = o.detached && o.ring >= 0 ? 1 : 0;
  g_gate.may_requeue = o.requeue ? 1 : 0;
  GateConfig config;
  config.ring_fd = o.ring;
  config.exec_tid = o.exec_tid;
  config.flags = o.no_payloads ? static_cast<uint32_t>(kGateNoPayloads) : 0u;
  config.flags |= kGateNewImage;
  if (hooks) config.flags |= kGateHooks;
  // Right after execve, unless a hook library's init ran code of its own.
  if (info->hooks_init == 0) config.flags |= kGateFreshImage;
  if (o.sigsys_ignored) config.flags |= kGateSigsysIgnored;
  if (o.sigsys_blocked) config.flags |= kGateSigsysBlocked;
  if (o.sigsys_pending) {
    config.flags |= kGateSigsysPending;
    for (int i = 0; i < 4; ++i) config.pending_sigsys[i] = o.pending_sigsys[i];
  }
  if (o.rewrite || hooks_fast) {
    config.flags |= kGateRewrite;
    // The loader is single-threaded, and SUD or the full redirect filter trap clones.
    if (o.filter || o.filtered || o.dispatch) config.flags |= kGateSeesEveryClone;
    // Sweeping only where every call traps: else (a hook library's listed
    // numbers) a swept site would move calls that never trapped onto a
    // trampoline.
    if (o.sweep && (o.filter || o.filtered || o.dispatch)) config.flags |= kGateSweepPages;
    config.program_phdr = reinterpret_cast<uint64_t>(info->phdr);
    config.program_phnum = info->phnum;
    config.interp_base = info->interp_base;
  }
  if (info->version >= 3 && info->size >= sizeof(sysgate_loader_info)) config.program_stack_top = info->stack_top;
  rewrite_set_report(o.rewrite_stats);
  if (o.program_filters) note_program_filters();
  if (!gate_install(config)) fail("cannot install the gate (bad trace region or a refused syscall)");

  // The gate's code: what SUD lets through, ours or the program's (program_dispatch.h).
  uint64_t begin = 0, end = 0;
  if (!loader_code(info->loader_start, &begin, &end)) fail("cannot find the loader's own code segment");
  g_gate.code_begin = begin;
  g_gate.code_end = end;

  // Every call outside the loader traps: through SUD where the kernel has it
  // (cheaper: the policy filter alone then judges the gate's calls, from its
  // verdict cache), else through the redirect filter below.
  if (o.filter || o.dispatch) {
    const long r = user_dispatch_arm(begin, end);
    if (r == 0) {
      o.filter = false;
    } else if (o.dispatch) {
      // An earlier image armed it: a filter the program installed since,
      // unseen by the gate (program_filters.h), refused it. The redirect
      // filter does the same job, silently.
      o.filter = true;
    }
    // Else (-EINVAL: no SUD in this kernel; -EPERM: a filter sysgate runs
    // under refused it) the redirect filter does the same job, for more.
    if (r != 0 && !o.dispatch) {
      note(r == -EINVAL ? "this kernel has no Syscall User Dispatch (Linux 5.11): tracing through a second "
                          "seccomp filter instead, ~40 ns more per call"
                        : "Syscall User Dispatch was refused: tracing through a second seccomp filter "
                          "instead, ~40 ns more per call");
    }
  }

  if (o.loader >= 0) {
    char next[160];
    options_for_exec(o, next, sizeof next);
    if (!exec_loader_configure(o.loader, next, o.hooks, o.self_exec)) fail("cannot configure exec through the loader");
  }
  static_assert(kSignalExecRedirectFilterLength >= kRedirectFilterLength);
  static_assert(kMaxListedFilterLength >= kSignalExecRedirectFilterLength);
  if (o.filter || o.filter_exec) {
    sock_filter program[kMaxListedFilterLength];
    int length = 0;
    if (o.filter) {
      length = build_redirect_filter(info->loader_start, info->loader_end, program) ? kRedirectFilterLength : 0;
    } else if (hooks) {
      // `sysgate run` with hooks: the hooked numbers trap too, so they reach them.
      long nrs[kMaxListedNumbers];
      const int k = trapped_numbers(nrs, true);
      length = build_listed_redirect_filter(nrs, k, info->loader_start, info->loader_end, program);
    } else {
      length = build_signal_exec_redirect_filter(info->loader_start, info->loader_end, program)
                   ? kSignalExecRedirectFilterLength
                   : 0;
    }
    if (length == 0) fail("the loader image spans a 4 GiB boundary");
    const sock_fprog fprog = {static_cast<unsigned short>(length), program};
    // NO_NEW_PRIVS is inherited from the launcher; flags 0: no listener, no TSYNC
    // (the loader is single-threaded), which the policy filter allows from here.
    if (raw_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, addr(&fprog)) != 0) {
      fail("cannot install the redirect filter");
    }
  }
}
