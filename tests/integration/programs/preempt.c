/* Signal handlers that take the interrupted context for the program's own: a
 * timer interrupts a thread that makes calls back to back, so many signals
 * arrive while the gate is at work for one of those calls.
 *
 *   preempt frames N   a SIGALRM timer (100 µs) interrupts N getppid() calls;
 *                      each handler checks that the frame it got is the
 *                      program's -- rsp on the thread's own stack, rip in no
 *                      mapping but the program's code or its libraries' -- and
 *                      that its own stack pointer is there too (Boehm GC's
 *                      suspend handler takes it for the top of the stack it
 *                      scans). Prints how many frames were elsewhere: 0.
 *   preempt onstack N  the same with an alternate stack of the program's and
 *                      an SA_ONSTACK handler, which must run there; and
 *                      reads of an empty pipe interrupted by SIGUSR1 from
 *                      another thread, whose frames must show the program
 *                      too (the gate moves no SA_ONSTACK handler: one that
 *                      came at the gate's syscall ran on top of the gate's
 *                      frames, seeing its registers)
 *   preempt rtorder    another thread sigqueues SIGRTMIN with the values 0 to
 *                      19999, in bursts of 8, while this one makes calls
 *                      back to back: they must arrive in order (review G: a
 *                      deferred one, queued again behind others of its
 *                      number, arrived after ~1000 later ones)
 *   preempt nested     SIGUSR1, then SIGUSR2 again and again until SIGUSR1's
 *                      handler, which SIGUSR2 may interrupt, has seen one:
 *                      50 rounds while the thread makes calls (review G's
 *                      nestblk: a SIGUSR2 that came while the gate moved
 *                      SIGUSR1's handler was deferred, and stayed blocked
 *                      for the whole handler)
 *   preempt nestedonstack  the same with SA_ONSTACK handlers on an alternate
 *                      stack of the program's (a SIGUSR2 that came while the
 *                      wrapper entered SIGUSR1's handler there was deferred,
 *                      and stayed blocked for the whole handler)
 *   preempt inject N   N getppid calls while another thread sends SIGUSR2
 *                      now and then; prints how many SIGUSR1 came, which
 *                      `sysgate trace -e inject=getppid:signal=SIGUSR1` sends
 *                      one per call (review G: a call a deferred signal
 *                      stopped was counted, and signalled, twice)
 *   preempt ult KIND   user-level threads: a SIGALRM handler (200 µs) saves
 *                      the interrupted registers and puts another thread's in
 *                      the frame -- rip, rsp and all -- round robin over three
 *                      threads that each make 100000 calls (KIND: getpid or
 *                      read of /dev/zero) and check results and locals. A
 *                      frame that was the gate's is resumed later, after the
 *                      other threads' calls reused the gate stack (review F's
 *                      `ultsw`: SIGSEGV under trace, or a hang with
 *                      -e trace=write).
 *   preempt flags      a 20 ms timer interrupts a read of an empty pipe made
 *                      with the carry flag set (`stc; mov $0,%eax; syscall`,
 *                      the site shape the gate rewrites), three times; the
 *                      handler reports the carry flag its frame shows: set,
 *                      as at the program's syscall (under trace the gate's
 *                      own flags showed, on the trap path and the C++ path).
 *
 * Under `sysgate trace` a signal that comes in a trampoline's code is
 * delivered as the trampoline gets back to the program (deferred_signal.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <sched.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- frames ---- */

static uintptr_t stack_low, stack_high;   /* the main thread's stack */
static uintptr_t code_ranges[64][2];      /* executable mappings of files */
static int code_count;
static volatile long frames_seen, frames_elsewhere, handler_elsewhere;

static void read_maps(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) continue;
    if (strstr(line, "[stack]") != NULL) {
      stack_low = lo;
      stack_high = hi;
    }
    /* Code of the program and its libraries: a file's executable mapping
     * (under trace a patched page is a copy, "/memfd:sysgate-code"), the vdso
     * too. The gate's own, the loader's image, is a file's too: left out by
     * its name. */
    if (perms[2] == 'x' && strchr(line, '/') != NULL && strstr(line, "/sysgate-exec") == NULL && code_count < 64) {
      code_ranges[code_count][0] = lo;
      code_ranges[code_count][1] = hi;
      ++code_count;
    }
    if (perms[2] == 'x' && strstr(line, "[vdso]") != NULL && code_count < 64) {
      code_ranges[code_count][0] = lo;
      code_ranges[code_count][1] = hi;
      ++code_count;
    }
  }
  if (maps != NULL) fclose(maps);
}

static int in_program_code(uintptr_t ip) {
  for (int i = 0; i < code_count; ++i) {
    if (ip >= code_ranges[i][0] && ip < code_ranges[i][1]) return 1;
  }
  return 0;
}

static uintptr_t handler_low, handler_high;  /* where handlers must run */

static void on_frame(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  const greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
  const uintptr_t sp = (uintptr_t)g[REG_RSP], ip = (uintptr_t)g[REG_RIP];
  const uintptr_t own = (uintptr_t)__builtin_frame_address(0);
  ++frames_seen;
  if (sp < stack_low || sp >= stack_high || !in_program_code(ip)) ++frames_elsewhere;
  if (own < handler_low || own >= handler_high) ++handler_elsewhere;
}

static int read_pipe;
static volatile int reads_done;

/* Until the reader has its 200 interrupted reads (a signal that comes
 * between two reads interrupts none). */
static void* send_usr1(void* arg) {
  const pthread_t reader = *(pthread_t*)arg;
  while (!reads_done) {
    usleep(500);
    pthread_kill(reader, SIGUSR1);
  }
  return NULL;
}

static int run_frames(long n, int onstack) {
  read_maps();
  handler_low = stack_low;
  handler_high = stack_high;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_frame;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  if (onstack) {
    const size_t size = 1 << 16;
    stack_t ss = {.ss_sp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  .ss_flags = 0, .ss_size = size};
    sigaltstack(&ss, NULL);
    handler_low = (uintptr_t)ss.ss_sp;
    handler_high = handler_low + size;
    sa.sa_flags |= SA_ONSTACK;
    /* Reads interrupted by SIGUSR1 (no SA_RESTART: each ends with EINTR). */
    struct sigaction usr1 = sa;
    usr1.sa_flags &= ~SA_RESTART;
    sigaction(SIGUSR1, &usr1, NULL);
    int fds[2];
    if (pipe(fds) != 0) return 1;
    read_pipe = fds[0];
    pthread_t self = pthread_self(), sender;
    pthread_create(&sender, NULL, send_usr1, &self);
    long interrupted = 0;
    char c;
    while (interrupted < 200) {
      if (read(read_pipe, &c, 1) < 0) ++interrupted;
    }
    reads_done = 1;
    pthread_join(sender, NULL);
  }
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 100}, {0, 100}};
  setitimer(ITIMER_REAL, &it, NULL);
  long bad = 0;
  const pid_t parent = getppid();
  for (long i = 0; i < n; ++i) {
    if (getppid() != parent) ++bad;
  }
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);
  printf("frames: %s, elsewhere %ld, handlers off the stack %ld, bad results %ld\n",
         frames_seen > 10 ? "many" : "few", frames_elsewhere, handler_elsewhere, bad);
  return 0;
}

/* ---- ult ---- */

enum { kThreads = 3, kCalls = 100000 };
static gregset_t saved[kThreads];
static int current;
static volatile long switches;
static volatile long bad[kThreads];
static volatile int finished[kThreads];
static int kind_read, zero_fd;
static pid_t self_pid;

static void on_tick(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
  memcpy(saved[current], g, sizeof(gregset_t));
  current = (current + 1) % kThreads;
  const greg_t segments = g[REG_CSGSFS];
  memcpy(g, saved[current], sizeof(gregset_t));
  g[REG_CSGSFS] = segments;
  ++switches;
}

static long one_call(void) {
  if (kind_read) {
    char c = 1;
    return read(zero_fd, &c, 1) == 1 && c == 0 ? 0 : 1;
  }
  return syscall(SYS_getpid) == self_pid ? 0 : 1;
}

static void calls(int id) {
  volatile long local = id * 1000;
  for (long i = 0; i < kCalls; ++i) {
    const long expect = local + i;
    bad[id] += one_call();
    if (local + i != expect) ++bad[id];
  }
}

static void thread_main(int id) {
  calls(id);
  finished[id] = 1;
  for (;;) syscall(SYS_sched_yield);
}

static int run_ult(const char* kind) {
  kind_read = strcmp(kind, "read") == 0;
  self_pid = getpid();
  zero_fd = open("/dev/zero", O_RDONLY);
  for (int i = 1; i < kThreads; ++i) {
    ucontext_t u;
    memset(&u, 0, sizeof u);
    getcontext(&u);
    const size_t size = 1 << 20;
    u.uc_stack.ss_sp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    u.uc_stack.ss_size = size;
    u.uc_link = NULL;
    makecontext(&u, (void (*)(void))thread_main, 1, i);
    memcpy(saved[i], u.uc_mcontext.gregs, sizeof(gregset_t));
    saved[i][REG_EFL] = 0x202; /* IF and the reserved bit: getcontext saves none */
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_tick;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 200}, {0, 200}};
  setitimer(ITIMER_REAL, &it, NULL);
  calls(0);
  finished[0] = 1;
  while (!finished[1] || !finished[2]) syscall(SYS_sched_yield);
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);
  printf("ult %s: bad %ld %ld %ld, switches: %s\n", kind, bad[0], bad[1], bad[2], switches > 100 ? "many" : "few");
  return 0;
}

/* ---- flags ---- */

static volatile long frame_carry = -1;

static void on_alarm_flags(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  frame_carry = ((ucontext_t*)context)->uc_mcontext.gregs[REG_EFL] & 1;
}

static int run_flags(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alarm_flags;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);
  for (int i = 0; i < 3; ++i) {
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[8];
    long r;
    __asm__ volatile("stc\n\tmov $0, %%eax\n\tsyscall"
                     : "=a"(r)
                     : "D"(fds[0]), "S"(buf), "d"(sizeof buf)
                     : "rcx", "r11", "memory", "cc");
    printf("read %ld, carry in the frame %ld\n", r, frame_carry);
  }
  return 0;
}

/* ---- rtorder ---- */

enum { kQueued = 20000 };
static volatile int rt_got, rt_inversions, rt_last = -1;
static pthread_t main_thread;

static void on_rt(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)context;
  const int v = info->si_value.sival_int;
  if (v < rt_last || info->si_code != SI_QUEUE) ++rt_inversions;
  rt_last = v;
  ++rt_got;
}

static void* send_queued(void* arg) {
  (void)arg;
  for (int i = 0; i < kQueued;) {
    for (int j = 0; j < 8 && i < kQueued; ++j, ++i) {
      union sigval v = {.sival_int = i};
      while (pthread_sigqueue(main_thread, SIGRTMIN, v) != 0) sched_yield();
    }
    usleep(20);
  }
  return NULL;
}

static int run_rtorder(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGRTMIN, &sa, NULL);
  main_thread = pthread_self();
  pthread_t sender;
  pthread_create(&sender, NULL, send_queued, NULL);
  while (rt_got < kQueued) getppid();
  pthread_join(sender, NULL);
  printf("rtorder: %d arrived, %d out of order\n", rt_got, rt_inversions);
  return 0;
}

/* ---- nested ---- */

static volatile int usr2_seen, usr1_done, nested_stop, nested_timeouts;
static pid_t nested_tid;

static void on_usr2(int sig) {
  (void)sig;
  ++usr2_seen;
}

static void on_usr1(int sig) {
  (void)sig;
  const int before = usr2_seen;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    clock_gettime(CLOCK_MONOTONIC, &t1);  /* the vdso's: no syscall */
    if ((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec > 200000000L) {
      ++nested_timeouts;
      break;
    }
  } while (usr2_seen == before);
  usr1_done = 1;
}

static void* send_nested(void* arg) {
  (void)arg;
  for (int r = 0; r < 50; ++r) {
    usr1_done = 0;
    syscall(SYS_tgkill, getpid(), nested_tid, SIGUSR1);
    while (!usr1_done) {
      syscall(SYS_tgkill, getpid(), nested_tid, SIGUSR2);
      for (volatile int i = 0; i < 50; ++i) {
      }
    }
  }
  nested_stop = 1;
  return NULL;
}

static int run_nested(int onstack) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_flags = SA_RESTART;
  if (onstack) {
    const size_t size = 1 << 16;
    stack_t ss = {.ss_sp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  .ss_flags = 0, .ss_size = size};
    sigaltstack(&ss, NULL);
    sa.sa_flags |= SA_ONSTACK;
  }
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_usr2;
  sigaddset(&sa.sa_mask, SIGUSR1);
  sigaction(SIGUSR2, &sa, NULL);
  nested_tid = (pid_t)syscall(SYS_gettid);
  pthread_t sender;
  pthread_create(&sender, NULL, send_nested, NULL);
  while (!nested_stop) getppid();
  pthread_join(sender, NULL);
  printf("nested: SIGUSR1's handler waited for SIGUSR2 in vain %d times\n", nested_timeouts);
  return 0;
}

/* ---- inject ---- */

static volatile int usr1_count, inject_stop;

static void count_usr1(int sig) {
  (void)sig;
  ++usr1_count;
}

static void* send_usr2(void* arg) {
  (void)arg;
  while (!inject_stop) {
    syscall(SYS_tgkill, getpid(), nested_tid, SIGUSR2);
    for (volatile int i = 0; i < 2000; ++i) {
    }
  }
  return NULL;
}

static int run_inject(long n) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = count_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  nested_tid = (pid_t)syscall(SYS_gettid);
  pthread_t sender;
  pthread_create(&sender, NULL, send_usr2, NULL);
  for (long i = 0; i < n; ++i) getppid();
  const int got = usr1_count;
  inject_stop = 1;
  pthread_join(sender, NULL);
  printf("inject: %ld calls, %d SIGUSR1\n", n, got);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "rtorder") == 0) return run_rtorder();
  if (argc == 2 && strcmp(argv[1], "nested") == 0) return run_nested(0);
  if (argc == 2 && strcmp(argv[1], "nestedonstack") == 0) return run_nested(1);
  if (argc == 3 && strcmp(argv[1], "inject") == 0) return run_inject(atol(argv[2]));
  if (argc == 2 && strcmp(argv[1], "flags") == 0) return run_flags();
  if (argc == 3 && strcmp(argv[1], "frames") == 0) return run_frames(atol(argv[2]), 0);
  if (argc == 3 && strcmp(argv[1], "onstack") == 0) return run_frames(atol(argv[2]), 1);
  if (argc == 3 && strcmp(argv[1], "ult") == 0) return run_ult(argv[2]);
  fprintf(stderr, "usage: preempt frames|onstack|inject N | preempt ult getpid|read | preempt flags|rtorder|nested|nestedonstack\n");
  return 2;
}
