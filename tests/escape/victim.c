/* A hostile program for the escape suite: each subcommand attacks one claim.
 * It prints what it achieved; the tests assert that nothing forbidden happened.
 *   victim x32                 an x32-ABI syscall (must be killed)
 *   victim int80               an i386 syscall via int 0x80 (must be killed)
 *   victim open PATH           open PATH read-only and print its contents or the errno
 *   victim toctou OK SECRET N  race a path between an allowed and a secret file N times
 *   victim loosen PATH         install an allow-all filter on top, then open PATH
 *   victim ptrace              attach to the parent (the monitor), write its memory
 *   victim ioctl-high          TIOCSTI with garbage in the upper half of the request
 *   victim exec-abs PROG       exec PROG by the loader's descriptor with an absolute path,
 *                              after trying to unmap, remap, unprotect and write the page
 *                              whose "" the filter requires
 *   victim reach PID|parent    take PID's descriptors (pidfd_getfd) and signal it (SIGCONT)
 *   victim unarmed PROG        exec the loader with arguments of its own (no --gate), to
 *                              start itself unarmed, then, in that image, exec-abs PROG
 *   victim opath DIR FILE FIFO open each with O_PATH (DIR with O_DIRECTORY), read FILE's
 *                              descriptor, and print each result (a brokered O_PATH used to hang)
 *   victim full-table PATH     fill the descriptor table under a low RLIMIT_NOFILE, then open PATH
 *   victim open-write PATH     open PATH for writing, write to it, print the result
 *   victim dgram PATH          send to the unix socket bound at PATH from socket pairs (datagram,
 *                              stream, seqpacket) through sendmsg's msg_name; pass a descriptor
 *                              over the stream pair
 *   victim meta PATH           change PATH's mode (setuid), xattrs (security.capability too),
 *                              times and owner by path, and print each result
 *   victim swap-open OLD NEW PATH...
 *                              open PATH; rename OLD to OLD.old and NEW to OLD, then open each
 *                              PATH again (a rule's path string now names another object)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <poll.h>
#include <dirent.h>
#include <ucontext.h>
#include <unistd.h>

static int print_file(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open %s: errno %d\n", path, errno);
    return 1;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("read %s: %s", path, buf);
  close(fd);
  return 0;
}

static int swap_open(int argc, char** argv) {
  const char* old = argv[2];
  const char* replacement = argv[3];
  print_file(argv[4]);
  char aside[4096];
  snprintf(aside, sizeof aside, "%s.old", old);
  printf("rename %s aside: %d\n", old, rename(old, aside) == 0 ? 0 : errno);
  printf("rename %s to %s: %d\n", replacement, old, rename(replacement, old) == 0 ? 0 : errno);
  for (int i = 4; i < argc; ++i) print_file(argv[i]);
  return 0;
}

static char race_path[4096];
static const char* race_a;
static const char* race_b;
static atomic_int stop;

static void* flipper(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    strcpy(race_path, race_b);
    strcpy(race_path, race_a);
  }
  return NULL;
}

static int toctou(const char* ok, const char* secret, int rounds) {
  race_a = ok;
  race_b = secret;
  strcpy(race_path, ok);
  pthread_t t;
  if (pthread_create(&t, NULL, flipper, NULL) != 0) {
    printf("no thread\n");
    return 2;
  }
  int leaked = 0, opened = 0;
  char secret_content[256] = {0};
  for (int i = 0; i < rounds; ++i) {
    int fd = open(race_path, O_RDONLY);
    if (fd < 0) continue;
    ++opened;
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "SECRET") != NULL) {
      ++leaked;
      memcpy(secret_content, buf, sizeof buf);
    }
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("opened %d leaked %d\n", opened, leaked);
  return leaked ? 1 : 0;
}

static int loosen(const char* path) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  printf("seccomp: %ld\n", r);
  return print_file(path);
}

/* A second supervisor: a stacked filter with its own listener receives the
 * notifications meant for sysgate's monitor (the kernel picks the newest
 * filter's listener) and could answer them "continue". */
static int own_listener_fd = -1;
static void* serve_own_listener(void* unused) {
  (void)unused;
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(own_listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return NULL;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(own_listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

static int second_listener(const char* path) {
  struct sock_filter notify_open[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, notify_open};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  printf("seccomp listener: %ld errno %d\n", r, r < 0 ? errno : 0);
  if (r >= 0) {
    own_listener_fd = (int)r;
    pthread_t t;
    pthread_create(&t, NULL, serve_own_listener, NULL);
  }
  return print_file(path);
}

/* The loader image (fixed address, docs/loader.md) as /proc/self/maps shows it. */
static int loader_ranges(unsigned long* lo, unsigned long* hi, int max, int want_exec) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char line[512];
  int n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3) continue;
    if (a < 0x100000000000ul || a >= 0x100001000000ul) continue;
    if (want_exec && perms[2] != 'x') continue;
    lo[n] = a;
    hi[n] = b;
    ++n;
  }
  fclose(f);
  return n;
}

/* Syscall nr made by calling the `syscall; ret` at p (in the gate). */
static long gadget_syscall6(unsigned long p, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long ret;
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  __asm__ volatile("call *%[gadget]"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9), [gadget] "r"(p)
                   : "rcx", "r11", "memory");
  return ret;
}

static long gadget_syscall(unsigned long p, long nr, long a0, long a1, long a2, long a3, long a4) {
  return gadget_syscall6(p, nr, a0, a1, a2, a3, a4, 0);
}

/* Whether the 3 bytes at p are `syscall; ret`. */
static int is_gadget(unsigned long p) {
  const unsigned char* b = (const unsigned char*)p;
  return b[0] == 0x0f && b[1] == 0x05 && b[2] == 0xc3;
}

/* Calls the gate's own `syscall; ret` with socket(AF_INET, SOCK_STREAM, 0): a
 * call from the gate's address is judged by the policy like any other. */
static int gate_gadget(void) {
  unsigned long lo[8], hi[8];
  int n = loader_ranges(lo, hi, 8, 1);
  for (int i = 0; i < n; ++i) {
    for (unsigned long p = lo[i]; p + 3 <= hi[i]; ++p) {
      if (!is_gadget(p)) continue;
      long ret = gadget_syscall(p, SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0);
      printf("gadget %lx: socket returned %ld\n", p, ret);
    }
  }
  printf("gadgets tried in %d ranges\n", n);
  return 0;
}

__attribute__((noinline)) static int some_code(void) { return 42; }

/* The monitor writes an exec'd file's real path where exec's unused sixth
 * argument points (the gate's buffer for the next image's /proc/self/exe):
 * made through the gate's own instruction, with that argument naming this
 * program's read-only code, then a writable buffer. */
static int exe_path_into_code(void) {
  unsigned long lo[8], hi[8], gadget = 0;
  int n = loader_ranges(lo, hi, 8, 1);
  for (int i = 0; i < n && gadget == 0; ++i) {
    for (unsigned long p = lo[i]; p + 3 <= hi[i]; ++p) {
      if (is_gadget(p)) {
        gadget = p;
        break;
      }
    }
  }
  if (gadget == 0) {
    printf("no gadget\n");
    return 1;
  }
  extern char** environ;
  char* av[] = {"true", NULL};
  unsigned char before[16];
  memcpy(before, (const void*)some_code, sizeof before);
  long r = gadget_syscall6(gadget, SYS_execve, (long)"/bin/true", (long)av, (long)environ, 0, 0, (long)some_code);
  printf("code %s\n", memcmp(before, (const void*)some_code, sizeof before) ? "changed" : "unchanged");
  if (r >= 0) close((int)r);
  static char buffer[4096];
  r = gadget_syscall6(gadget, SYS_execve, (long)"/bin/true", (long)av, (long)environ, 0, 0, (long)buffer);
  printf("buffer %s\n", buffer[0] == '/' ? "filled" : "empty");
  if (r >= 0) close((int)r);
  return 0;
}

/* Tries to turn Syscall User Dispatch off (or re-aim it at the whole address
 * space) with prctl, from its own code and from every `syscall; ret` of the
 * gate, then makes a call the trace must still show: getpgid(4242). */
static long gadget_prctl(unsigned long p, long a0, long a1, long a2, long a3, long a4) {
  return gadget_syscall(p, SYS_prctl, a0, a1, a2, a3, a4);
}

static int sud_off(void) {
  printf("prctl off returned %ld\n", syscall(SYS_prctl, 59, 0, 0, 0, 0));
  printf("prctl everywhere returned %ld\n", syscall(SYS_prctl, 59, 1, 0x1000, ~0ul >> 17, 0));
  // The kernel reads the option as an int: bit 32 is not there for it.
  printf("prctl off, high bit, returned %ld\n", syscall(SYS_prctl, (1ul << 32) | 59, 0, 0, 0, 0));
  unsigned long lo[8], hi[8];
  int n = loader_ranges(lo, hi, 8, 1), gadgets = 0, refused = 0;
  for (int i = 0; i < n; ++i) {
    for (unsigned long p = lo[i]; p + 3 <= hi[i]; ++p) {
      if (!is_gadget(p)) continue;
      ++gadgets;
      if (gadget_prctl(p, 59, 0, 0, 0, 0) == -EPERM) ++refused;
      if (gadget_prctl(p, 59, 1, 0x1000, (long)(~0ul >> 17), 0) == -EPERM) ++refused;
    }
  }
  printf("gadgets %d, refused %d\n", gadgets, refused);
  syscall(SYS_getpgid, 4242);
  return 0;
}

/* Unmaps the loader image, gate included, then asks for a refused call. */
static int unmap_loader(void) {
  unsigned long lo[16], hi[16];
  int n = loader_ranges(lo, hi, 16, 0);
  for (int i = 0; i < n; ++i) syscall(SYS_munmap, lo[i], hi[i] - lo[i]);
  printf("unmapped %d ranges\n", n);
  long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  printf("socket returned %ld\n", r);
  return 0;
}

/* The kernel ignores execveat's descriptor for an absolute path: with the
 * loader's descriptor and AT_EMPTY_PATH, the call the filter lets through, it
 * would run PROG without the loader, past the policy's exec rules. The filter
 * requires the path to be the "" in the loader's page (src/loader/exec_path.h):
 * try to change that page first, every way, then exec with a path of our own,
 * from the gate's own `syscall; ret` (so the gate does not make it a proper
 * exec through the loader), then with the page's own address. */
static long gadget_execveat(long fd, unsigned long path, char* const* argv, char* const* envp, long flags) {
  unsigned long lo[8], hi[8];
  int n = loader_ranges(lo, hi, 8, 1);
  for (int i = 0; i < n; ++i) {
    for (unsigned long p = lo[i]; p + 3 <= hi[i]; ++p) {
      if (is_gadget(p)) return gadget_syscall(p, SYS_execveat, fd, (long)path, (long)argv, (long)envp, flags);
    }
  }
  return -12345;  /* no gadget */
}

static int exec_absolute_in(const char* prog, int loader_fd);

/* The sealed page whose "" the filter requires for an exec of the loader
 * (src/loader/exec_path.h: 64 KiB below the loader, shared, read-only), as
 * /proc/self/maps shows it; 0 if there is none. */
static unsigned long exec_path_page(void) {
  unsigned long page = 0;
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps && fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && !strcmp(perms, "r--s") && lo == 0x100000000000ul - 0x10000 &&
        hi == lo + 4096) {
      page = lo;
    }
  }
  if (maps) fclose(maps);
  return page;
}

/* What descriptor fd names (its /proc/self/fd link) into target; 0 if it is not open. */
static int fd_target(int fd, char* target, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t k = readlink(link, target, size - 1);
  if (k <= 0) return 0;
  target[k] = 0;
  return 1;
}

static int find_loader_fd(void) {
  for (int fd = 3; fd < 1024; ++fd) {
    char target[256];
    if (fd_target(fd, target, sizeof target) && strstr(target, "sysgate-exec")) return fd;
  }
  return -1;
}

static int exec_absolute(const char* prog) { return exec_absolute_in(prog, find_loader_fd()); }

/* The loader's arguments are the program's to choose: exec it (with the ""
 * the filter requires) to start this very program without --gate, unarmed,
 * in mode "unarmed-image"; there, exec-abs PROG. */
static int exec_unarmed(const char* self, const char* prog) {
  const int loader_fd = find_loader_fd();
  const int me = open(self, O_RDONLY);
  const unsigned long page = exec_path_page();
  if (loader_fd < 0 || me < 0 || page == 0) {
    printf("unarmed: loader fd %d, self %d, page %lx\n", loader_fd, me, page);
    return 1;
  }
  char fd_text[16], loader_text[16];
  snprintf(fd_text, sizeof fd_text, "%d", me);
  snprintf(loader_text, sizeof loader_text, "%d", loader_fd);
  char* const argv[] = {"sysgate-exec", "--fd", fd_text, "--", (char*)self, "unarmed-image", (char*)prog, loader_text, NULL};
  char* const envp[] = {NULL};
  printf("starting unarmed\n");
  fflush(stdout);
  long r = gadget_execveat(loader_fd, page, argv, envp, AT_EMPTY_PATH);
  printf("loader exec %ld\n", r);
  return 1;
}

static int exec_absolute_in(const char* prog, int loader_fd) {
  unsigned long page = exec_path_page();
  printf("loader fd %d, exec path page %s\n", loader_fd, page ? "found" : "missing");
  if (loader_fd < 0) return 1;
  char* const argv[] = {(char*)prog, "ESCAPED", NULL};
  char* const envp[] = {NULL};
  if (page == 0) {
    /* No page: map one where the filter expects it, with our own path. */
    page = 0x100000000000ul - 0x10000;
    void* own = mmap((void*)page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (own == MAP_FAILED) return 1;
    strcpy((char*)page, prog);
    printf("execveat own page %ld\n", gadget_execveat(loader_fd, page, argv, envp, AT_EMPTY_PATH));
    return 1;
  }
  const unsigned long path = page;  /* the "" (the page is all zeros) */

  long r = syscall(SYS_mprotect, page, 4096, PROT_READ | PROT_WRITE);
  printf("mprotect %ld\n", r);
  int mem = open("/proc/self/mem", O_RDWR);
  r = mem < 0 ? -2 : pwrite(mem, prog, strlen(prog) + 1, (off_t)path);
  printf("proc mem write %ld\n", r);
  if (mem >= 0) close(mem);
  r = syscall(SYS_madvise, page, 4096, MADV_DONTNEED);
  printf("page still \"\": %d\n", *(volatile char*)path == 0);
  r = syscall(SYS_munmap, page, 4096);
  printf("munmap %ld\n", r);
  void* over = mmap((void*)page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("mmap over %s\n", over == MAP_FAILED ? "failed" : "worked");
  if (over != MAP_FAILED) strcpy((char*)path, prog);
  char* moved = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(moved + 9, prog);
  r = (long)mremap(moved, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)page);
  printf("mremap over %s\n", r == -1 ? "failed" : "worked");
  fflush(stdout);

  r = gadget_execveat(loader_fd, (unsigned long)prog, argv, envp, AT_EMPTY_PATH);
  printf("execveat own path %ld\n", r);
  fflush(stdout);
  r = gadget_execveat(loader_fd, path, argv, envp, AT_EMPTY_PATH);
  printf("execveat page path %ld\n", r);
  return 0;
}

/* Closes or replaces every descriptor sysgate gave the process, then execs. */
static int attack_fds(const char* then_exec) {
  for (int fd = 3; fd < 1024; ++fd) {
    char target[256];
    if (!fd_target(fd, target, sizeof target)) continue;
    long c = syscall(SYS_close, fd);
    int ce = errno;
    long d = dup2(1, fd);
    int de = errno;
    long r = syscall(SYS_close_range, fd, fd, 0);
    int re = errno;
    /* Close-on-exec: the next exec would close it for the kernel. */
    long s = syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    int se = errno;
    long i = syscall(SYS_ioctl, fd, FIOCLEX, 0);
    int ie = errno;
    printf("fd %d (%s): close %ld/%d dup2 %ld/%d close_range %ld/%d setfd %ld/%d fioclex %ld/%d flags %d\n", fd,
           strstr(target, "sysgate-exec") ? "loader" : "other", c, c < 0 ? ce : 0, d, d < 0 ? de : 0, r, r < 0 ? re : 0,
           s, s < 0 ? se : 0, i, i < 0 ? ie : 0, fcntl(fd, F_GETFD));
  }
  execl(then_exec, then_exec, "after", (char*)NULL);
  printf("exec failed: %d\n", errno);
  return 1;
}

/* Reaches a process outside the sandbox: takes every descriptor it has
 * (pidfd_getfd; the monitor's include its seccomp listener, through which the
 * program could answer its own refused calls) and sends it SIGCONT. */
static int reach_outside(pid_t pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int opened = pidfd >= 0 ? 0 : errno;
  int taken = 0;
  int last_error = 0;
  for (int fd = 0; pidfd >= 0 && fd < 1024; ++fd) {
    long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (r >= 0) {
      ++taken;
      close((int)r);
    } else if (errno != EBADF) {
      last_error = errno;
    }
  }
  long k = kill(pid, SIGCONT);
  int ke = errno;
  printf("pidfd_open %d taken %d (errno %d) kill %ld/%d\n", opened, taken, last_error, k, k < 0 ? ke : 0);
  return 0;
}

/* Marks every descriptor from 3 up close-on-exec, then closes them all, with
 * close_range, then runs a shell that execs again: both execs need the loader. */
static int attack_fd_range(const char* then_exec) {
  long cloexec = syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  long closed = syscall(SYS_close_range, 3, ~0U, 0);
  printf("close_range cloexec %ld closed %ld\n", cloexec, closed);
  fflush(stdout);
  execl("/bin/sh", "sh", "-c", "exec \"$0\" after", then_exec, (char*)NULL);
  printf("exec failed: %d\n", errno);
  return 1;
}

static volatile sig_atomic_t own_sigsys_ran = 0;
static void own_sigsys(int sig) { (void)sig; own_sigsys_ran = 1; }

/* Takes SIGSYS for itself and blocks it, then asks for a refused call. */
static int own_sigsys_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = own_sigsys;
  printf("sigaction: %d\n", sigaction(SIGSYS, &sa, NULL));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSYS);
  printf("sigprocmask: %d\n", sigprocmask(SIG_BLOCK, &set, NULL));
  long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  printf("socket returned %ld errno %d; own handler ran: %d\n", r, r < 0 ? errno : 0, (int)own_sigsys_ran);
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  printf("SIGSYS reads back blocked: %d\n", sigismember(&now, SIGSYS));
  return 0;
}

/* A forged signal return: a handler rewrites its saved context so the kernel's
 * rt_sigreturn "returns" onto a raw `syscall` with socket's registers. */
long forged_result = 12345;
unsigned long forged_saved_rsp, forged_saved_rip;
__asm__(".text\n"
        ".globl forged_landing\n"
        "forged_landing:\n"
        "  syscall\n"
        "  movq %rax, forged_result(%rip)\n"
        "  movq forged_saved_rsp(%rip), %rsp\n"
        "  jmpq *forged_saved_rip(%rip)\n");
extern char forged_landing[];

static void forge(int sig, siginfo_t* info, void* ctx) {
  (void)sig;
  (void)info;
  ucontext_t* uc = (ucontext_t*)ctx;
  forged_saved_rsp = (unsigned long)uc->uc_mcontext.gregs[REG_RSP];
  forged_saved_rip = (unsigned long)uc->uc_mcontext.gregs[REG_RIP];
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)forged_landing;
  uc->uc_mcontext.gregs[REG_RAX] = SYS_socket;
  uc->uc_mcontext.gregs[REG_RDI] = AF_INET;
  uc->uc_mcontext.gregs[REG_RSI] = SOCK_STREAM;
  uc->uc_mcontext.gregs[REG_RDX] = 0;
}

static int forged_sigreturn(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = forge;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  syscall(SYS_kill, getpid(), SIGUSR1);
  printf("forged socket returned %ld\n", forged_result);
  return 0;
}

static int attack_parent(void) {
  pid_t parent = getppid();
  long r = ptrace(PTRACE_ATTACH, parent, 0, 0);
  printf("ptrace: %ld errno %d\n", r, r < 0 ? errno : 0);
  char byte = 0;
  struct iovec local = {&byte, 1}, remote = {(void*)0x400000, 1};
  r = process_vm_writev(parent, &local, 1, &remote, 1, 0);
  printf("process_vm_writev: %ld errno %d\n", r, r < 0 ? errno : 0);
  return 0;
}

static int open_o_path(const char* dir, const char* file, const char* fifo) {
  int d = openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY);
  printf("opath dir: %d errno %d\n", d, d < 0 ? errno : 0);
  int f = openat(AT_FDCWD, file, O_PATH);
  printf("opath file: %d errno %d\n", f, f < 0 ? errno : 0);
  if (f >= 0) {
    char buf[64] = {0};
    ssize_t n = pread(f, buf, sizeof buf - 1, 0);
    printf("read through it: %zd %s\n", n, n > 0 ? buf : "");
  }
  int p = openat(AT_FDCWD, fifo, O_PATH);
  printf("opath fifo: %d errno %d\n", p, p < 0 ? errno : 0);
  return 0;
}

static int full_table(const char* path) {
  struct rlimit low = {32, 32};
  if (setrlimit(RLIMIT_NOFILE, &low) != 0) {
    printf("setrlimit: errno %d\n", errno);
    return 1;
  }
  int last = 0;
  while ((last = dup(0)) >= 0) {
  }
  printf("dup: errno %d\n", errno);
  int fd = open(path, O_RDONLY);
  printf("open with a full table: %d errno %d\n", fd, fd < 0 ? errno : 0);
  return 0;
}

static void said(const char* what, int r);

static int send_to_path(const char* path) {
  struct sockaddr_un to = {.sun_family = AF_UNIX};
  strncpy(to.sun_path, path, sizeof to.sun_path - 1);
  const int types[3] = {SOCK_DGRAM, SOCK_STREAM, SOCK_SEQPACKET};
  const char* names[3] = {"dgram", "stream", "seqpacket"};
  for (int i = 0; i < 3; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, types[i], 0, sv) != 0) {
      printf("%s socketpair: errno %d\n", names[i], errno);
      continue;
    }
    char msg[] = "from the sandbox";
    struct iovec iov = {msg, sizeof msg};
    struct msghdr m = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = sendmsg(sv[0], &m, 0);
    printf("%s sendmsg to %s: %zd errno %d\n", names[i], path, r, r < 0 ? errno : 0);
    char got[64];
    ssize_t n = recv(sv[1], got, sizeof got, MSG_DONTWAIT);
    printf("%s peer got %zd\n", names[i], n);
    if (types[i] == SOCK_STREAM) {
      /* What stdio programs need: a descriptor passed over a connected pair. */
      int p[2];
      if (pipe(p) != 0) return 1;
      char control[CMSG_SPACE(sizeof(int))] = {0};
      struct msghdr pass = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
      struct cmsghdr* c = CMSG_FIRSTHDR(&pass);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &p[1], sizeof(int));
      ssize_t sent = sendmsg(sv[0], &pass, 0);
      struct msghdr take = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
      ssize_t taken = recvmsg(sv[1], &take, 0);
      c = CMSG_FIRSTHDR(&take);
      printf("scm_rights: sent %zd received %zd with %s\n", sent, taken,
             c != NULL && c->cmsg_type == SCM_RIGHTS ? "a descriptor" : "nothing");
    }
  }
  return 0;
}

static void said(const char* what, int r) { printf("%s: %d errno %d\n", what, r, r < 0 ? errno : 0); }

static int change_metadata_by_path(const char* path) {
  said("chmod", chmod(path, 04755));
  said("setxattr user", setxattr(path, "user.evil", "pwned", 5, 0));
  /* VFS_CAP_REVISION_2, effective; permitted CAP_SETUID and CAP_SYS_ADMIN */
  unsigned cap[5] = {0x02000001, (1u << 7) | (1u << 21), 0, 0, 0};
  said("setxattr capability", setxattr(path, "security.capability", cap, sizeof cap, 0));
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  said("utimensat", utimensat(AT_FDCWD, path, times, 0));
  said("removexattr", removexattr(path, "user.evil"));
  said("chown", chown(path, 0, 0));
  return 0;
}

/* Becomes "nobody", then asks for what only root may do to PATH (a root
 * file, mode 0600): read it, and change its mode, owner and xattrs; then
 * execs PROG (if given), which nobody may or may not execute. */
static int as_nobody(const char* path, const char* prog) {
  if (syscall(SYS_setgroups, 0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
      setresuid(65534, 65534, 65534) != 0) {
    printf("cannot become nobody: errno %d\n", errno);
    return 1;
  }
  int fd = open(path, O_RDONLY);
  printf("open as nobody: %d errno %d\n", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
  change_metadata_by_path(path);
  if (prog != NULL) {
    execl(prog, prog, "ran as nobody", (char*)NULL);
    printf("exec as nobody: errno %d\n", errno);
  }
  return 0;
}

/* Walks N levels of directories named NAME below DIR (each openat from the
 * last: the whole path is longer than PATH_MAX), opens "target" there for
 * reading and changes its mode. */
static int deep_fchmod(const char* dir, int levels, const char* name) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; fd >= 0 && i < levels; ++i) {
    int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(fd);
    fd = next;
  }
  int file = fd >= 0 ? openat(fd, "target", O_RDONLY | O_CLOEXEC) : -1;
  if (file < 0) {
    printf("walk: errno %d\n", errno);
    return 1;
  }
  said("deep fchmod", fchmod(file, 04777));
  return 0;
}

/* Opens PATH for reading, waits (up to 5 s) until someone else unlinks it,
 * then changes its mode through the descriptor. */
static int fchmod_after_unlink(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("open: errno %d\n", errno);
    return 1;
  }
  said("before unlink fchmod", fchmod(fd, 0600));
  struct stat st;
  for (int i = 0; i < 500 && fstat(fd, &st) == 0 && st.st_nlink != 0; ++i) usleep(10000);
  said("after unlink fchmod", fchmod(fd, 04777));
  return 0;
}

static int thread_fd = -1;
static void* fchmod_from_a_thread(void* arg) {
  (void)arg;
  said("thread fchmod", fchmod(thread_fd, 0644));
  return NULL;
}

/* The same through a descriptor opened for reading only (Landlock judged the
 * read right, nothing more), from a second thread too, and on a memfd, which
 * is the program's own. */
static int change_metadata_by_descriptor(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("open %s: errno %d\n", path, errno);
    return 1;
  }
  said("fchmod", fchmod(fd, 04755));
  said("fsetxattr user", fsetxattr(fd, "user.evil", "pwned", 5, 0));
  unsigned cap[5] = {0x02000001, (1u << 7) | (1u << 21), 0, 0, 0};
  said("fsetxattr capability", fsetxattr(fd, "security.capability", cap, sizeof cap, 0));
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  said("futimens", futimens(fd, times));
  said("fremovexattr", fremovexattr(fd, "user.evil"));
  said("fchown", fchown(fd, 0, 0));
  thread_fd = fd;
  pthread_t thread;
  pthread_create(&thread, NULL, fchmod_from_a_thread, NULL);
  pthread_join(thread, NULL);
  int m = memfd_create("mine", MFD_CLOEXEC);
  said("memfd fchmod", fchmod(m, 0600));
  return 0;
}

/* The trace region is the memfd (no links, at least 1 MiB) whose first word
 * is the region's magic ("SGTRACE1"): truncate it under the monitor's
 * mapping, grow it, then go on making calls the monitor must read. */
static int resize_trace_region(void) {
  int region = -1;
  for (int fd = 3; fd < 4096 && region < 0; ++fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0 || st.st_size < (1 << 20)) continue;
    void* p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) continue;
    if (*(unsigned long*)p == 0x3145434152544753ul) region = fd;
    munmap(p, 4096);
  }
  if (region < 0) {
    printf("no region\n");
    return 1;
  }
  long shrink = syscall(SYS_ftruncate, region, 0L);
  int shrink_errno = shrink < 0 ? errno : 0;
  long grow = syscall(SYS_ftruncate, region, 1L << 40);
  int grow_errno = grow < 0 ? errno : 0;
  for (int i = 0; i < 100; ++i) getppid();
  printf("shrink %ld errno %d grow %ld errno %d\n", shrink, shrink_errno, grow, grow_errno);
  return 0;
}

/* trace -ff -o PREFIX, PREFIX in a directory the program may write: plant
 * PREFIX.N -> target (a symlink) and a FIFO for the next pids, then fork
 * children that make calls, so the monitor opens PREFIX.<child's pid>. */
static int plant_trace_files(const char* prefix, const char* target) {
  char path[4096];
  const int me = getpid();
  const int planted = 1000;  // other processes of the machine take pids meanwhile
  for (int n = me + 1; n <= me + planted; ++n) {
    snprintf(path, sizeof path, "%s.%d", prefix, n);
    if (n % 2) symlink(target, path); else mkfifo(path, 0600);
  }
  // Children until two have landed on planted names (under a loaded machine
  // the next pids are not this process's to predict).
  for (int i = 0, landed = 0; i < 64 && landed < 2; ++i) {
    pid_t c = fork();
    if (c == 0) {
      getppid();
      _exit(0);
    }
    if (c > me && c <= me + planted) ++landed;
    waitpid(c, NULL, 0);
  }
  printf("planted\n");
  return 0;
}

static void* refused_in_a_thread(void* arg) {
  socket(AF_INET, SOCK_STREAM, 0);
  return arg;
}

/* A refused call made by a second thread of the command's process. */
static int refusal_from_a_thread(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, refused_in_a_thread, NULL) != 0) return 1;
  pthread_join(t, NULL);
  printf("joined\n");
  return 0;
}

/* The command's first process ends at once; the child it forked goes on,
 * then makes a call the default profile refuses, and says what it got. */
static int outlive_the_command(void) {
  if (fork() != 0) {
    printf("parent done\n");
    return 0;
  }
  usleep(300 * 1000);
  errno = 0;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("child: socket %d errno %d\n", s, s < 0 ? errno : 0);
  return 0;
}

/* sysgate removes the run's private $TMP when the run ends: a child that
 * outlives the command waits for the removal to start (inotify on $TMP/d),
 * then swaps $TMP/d for a symlink to target, whose files bear the names
 * made in $TMP/d: were names resolved again from the top, they would be
 * removed there. It gives up after 2 s (when the removal waits for it). */
static int swap_tmp_during_removal(const char* target, int names) {
  const char* tmp = getenv("TMPDIR");
  char d[4096], old[4096], path[4200];
  if (tmp == NULL) return 2;
  snprintf(d, sizeof d, "%s/d", tmp);
  snprintf(old, sizeof old, "%s/old", tmp);
  if (mkdir(d, 0755) != 0) return 3;
  for (int i = 0; i < names; ++i) {
    snprintf(path, sizeof path, "%s/v%04d", d, i);
    close(open(path, O_CREAT | O_WRONLY, 0644));
  }
  int in = inotify_init1(IN_NONBLOCK);
  if (in < 0 || inotify_add_watch(in, d, IN_DELETE | IN_OPEN) < 0) return 4;
  char buf[4096];
  while (read(in, buf, sizeof buf) > 0) {
  }
  printf("names made\n");
  if (fork() != 0) return 0;
  struct pollfd p = {in, POLLIN, 0};
  if (poll(&p, 1, 2000) != 1) return 0;
  rename(d, old);
  symlink(target, d);
  return 0;
}

/* sysgate's stderr is the program's too: make it non-blocking, fill it,
 * then make refused calls, whose reports meet a full pipe. */
static int refused_calls_on_a_full_stderr(void) {
  const int flags = fcntl(2, F_GETFL);
  fcntl(2, F_SETFL, flags | O_NONBLOCK);
  char junk[4096];
  memset(junk, '.', sizeof junk);
  junk[sizeof junk - 1] = '\n';
  for (long total = 0; total < (16L << 20);) {
    ssize_t w = write(2, junk, sizeof junk);
    if (w <= 0) break;
    total += w;
  }
  socket(AF_INET, SOCK_STREAM, 0);
  fcntl(2, F_SETFL, flags);
  usleep(200 * 1000);
  socket(AF_INET6, SOCK_DGRAM, 0);
  socket(AF_INET6, SOCK_STREAM, 0);
  printf("made 3 refused calls\n");
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2) return 64;
  const char* what = argv[1];
  if (!strcmp(what, "x32")) {
    long r = syscall(0x40000000 | SYS_getpid);
    printf("x32 getpid returned %ld\n", r);
    return 0;
  }
  if (!strcmp(what, "int80")) {
    long r;
    /* i386 getpid is 20. */
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("int80 returned %ld\n", r);
    return 0;
  }
  if (!strcmp(what, "open") && argc == 3) return print_file(argv[2]);
  if (!strcmp(what, "toctou") && argc == 5) return toctou(argv[2], argv[3], atoi(argv[4]));
  if (!strcmp(what, "loosen") && argc == 3) return loosen(argv[2]);
  if (!strcmp(what, "ptrace")) return attack_parent();
  if (!strcmp(what, "second-listener") && argc == 3) return second_listener(argv[2]);
  if (!strcmp(what, "gate-gadget")) return gate_gadget();
  if (!strcmp(what, "exe-path-into-code")) return exe_path_into_code();
  if (!strcmp(what, "unmap-loader")) return unmap_loader();
  if (!strcmp(what, "sud-off")) return sud_off();
  if (!strcmp(what, "fds") && argc == 3) return attack_fds(argv[2]);
  if (!strcmp(what, "exec-abs") && argc == 3) return exec_absolute(argv[2]);
  if (!strcmp(what, "reach") && argc == 3) return reach_outside(strcmp(argv[2], "parent") ? (pid_t)atoi(argv[2]) : getppid());
  if (!strcmp(what, "unarmed") && argc == 3) return exec_unarmed(argv[0], argv[2]);
  if (!strcmp(what, "unarmed-image") && argc == 4) {
    printf("unarmed image\n");
    return exec_absolute_in(argv[2], atoi(argv[3]));
  }
  if (!strcmp(what, "fd_range") && argc == 3) return attack_fd_range(argv[2]);
  if (!strcmp(what, "own-sigsys")) return own_sigsys_handler();
  if (!strcmp(what, "opath") && argc == 5) return open_o_path(argv[2], argv[3], argv[4]);
  if (!strcmp(what, "full-table") && argc == 3) return full_table(argv[2]);
  if (!strcmp(what, "open-write") && argc == 3) {
    int fd = open(argv[2], O_WRONLY | O_TRUNC);
    printf("open for writing: %s errno %d\n", fd < 0 ? "-1" : "ok", fd < 0 ? errno : 0);
    if (fd >= 0) printf("wrote %zd\n", write(fd, "overwritten\n", 12));
    return 0;
  }
  if (!strcmp(what, "dgram") && argc == 3) return send_to_path(argv[2]);
  if (!strcmp(what, "meta") && argc == 3) return change_metadata_by_path(argv[2]);
  if (!strcmp(what, "swap-open") && argc >= 5) return swap_open(argc, argv);
  if (!strcmp(what, "meta-fd") && argc == 3) return change_metadata_by_descriptor(argv[2]);
  if (!strcmp(what, "as-nobody") && (argc == 3 || argc == 4)) return as_nobody(argv[2], argc == 4 ? argv[3] : NULL);
  if (!strcmp(what, "deep-fchmod") && argc == 5) return deep_fchmod(argv[2], atoi(argv[3]), argv[4]);
  if (!strcmp(what, "fchmod-after-unlink") && argc == 3) return fchmod_after_unlink(argv[2]);
  if (!strcmp(what, "forged-sigreturn")) return forged_sigreturn();
  if (!strcmp(what, "resize-region")) return resize_trace_region();
  if (!strcmp(what, "outlive")) return outlive_the_command();
  if (!strcmp(what, "thread-refusal")) return refusal_from_a_thread();
  if (!strcmp(what, "full-stderr")) return refused_calls_on_a_full_stderr();
  if (!strcmp(what, "swap-tmp") && argc == 4) return swap_tmp_during_removal(argv[2], atoi(argv[3]));
  if (!strcmp(what, "plant-trace-files") && argc == 4) return plant_trace_files(argv[2], argv[3]);
  if (!strcmp(what, "forge-sigsys")) {
    /* A SIGSYS sent to itself as Syscall User Dispatch would send it, naming
     * an address that holds no code: the gate may take it for a call, but
     * must not read that address blindly (it crashed). */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGSYS;
    si.si_code = 2; /* SYS_USER_DISPATCH */
    si.si_syscall = SYS_getppid;
    si.si_arch = 0xc000003e; /* AUDIT_ARCH_X86_64 */
    si.si_call_addr = (void*)0x1234;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGSYS, &si);
    printf("alive\n");
    return 0;
  }
  if (!strcmp(what, "ioctl-high")) {
    char c = 'x';
    long r = syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c);
    printf("ioctl: %ld errno %d\n", r, r < 0 ? errno : 0);
    return 0;
  }
  return 64;
}
