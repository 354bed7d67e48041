/* Where a signal handler runs when its signal interrupts a blocking call:
 * natively on the interrupted thread's own stack (the handler has no
 * SA_ONSTACK), which a conservative garbage collector counts on (Boehm GC's
 * suspend handler takes its own stack pointer for the top of the thread's
 * stack).
 *
 *   handler_stack thread   a thread blocked in read() gets SIGUSR1
 *   handler_stack main     the main thread, blocked in read(), gets SIGUSR1
 *   handler_stack big      the same, with a handler using 512 KiB of stack
 *   handler_stack nested   the handler itself sleeps, and a SIGALRM
 *                          interrupts that sleep
 *   handler_stack onstack  an SA_ONSTACK handler (no alternate stack of the
 *                          program's: natively on the thread's stack) sleeps,
 *                          and a SIGALRM without SA_ONSTACK interrupts it
 *   handler_stack jumpback a SIGALRM handler interrupting the first handler's
 *                          read siglongjmps back into it, which then makes
 *                          calls and returns; three rounds
 *   handler_stack lowstack the thread blocked in read() runs on a stack mapped
 *                          low in memory; its handler sleeps, an SA_ONSTACK
 *                          handler interrupts the sleep and makes a call
 *   handler_stack suspend  a thread blocked in sigsuspend() gets SIGUSR1, six
 *                          times, each time waiting deeper in its stack (as
 *                          Boehm GC's stopped threads wait for the restart
 *                          signal)
 *   handler_stack bigsuspend  the same, with the 512 KiB handler
 *   handler_stack timedwait   a thread blocked in sigtimedwait() for SIGUSR2
 *                          gets SIGUSR1
 *   handler_stack fullmask ppoll(), pselect() and epoll_pwait() wait with a
 *                          mask that blocks every signal but SIGUSR1 (SIGSYS
 *                          too); SIGUSR1's handler makes a call the gate traps
 *                          (`run` does not trap those three calls); then a
 *                          ppoll takes SIGUSR1 and SIGUSR2 at once
 *   handler_stack pair     a thread blocked in sigsuspend() gets SIGUSR1, then
 *                          0-5 µs later SIGALRM, 1000 times: the second
 *                          arrives while the first's frame is being moved
 *   handler_stack coroutine a thread blocked in sigsuspend() gets SIGUSR1,
 *                          whose handler swapcontext()s to a coroutine that
 *                          makes calls and swaps back: its stack lies right
 *                          above the thread's, then right below it (review
 *                          D's `coro`: the coroutine's calls looked like a
 *                          siglongjmp out of the handler)
 *   handler_stack handlermask  handlers interrupting sigsuspend(), nanosleep(),
 *                          poll() and read() print the mask they run with
 *                          (the gate blocks default-ignored signals for some
 *                          of those calls under `trace`), one with SIGCHLD
 *                          in its sa_mask
 *   handler_stack editframe handlers interrupting read() change the frame:
 *                          its result (42 for EINTR), the call the kernel
 *                          restarts (getpid for read), the restart skipped
 *                          (rip past the syscall, EINTR), and where the
 *                          program goes on (a function of its own); they
 *                          also name the function the frame's rip is in
 *                          (review E: the gate's own registers came back);
 *                          and one that changes rbx (review F: lost)
 *   handler_stack abandon  handlers leave a read() and a nanosleep() by
 *                          siglongjmp and by sending the program elsewhere;
 *                          the program then makes calls under a 20 µs timer,
 *                          blocks SIGWINCH and SIGCHLD and takes a signal
 *                          (review F: the abandoned calls' state, left
 *                          behind, crashed it and unblocked those signals)
 * (the last three crashed a first version of the gate's moving of handlers)
 *
 * Prints "on its stack" for each handler that ran within its thread's stack
 * bounds (pthread_getattr_np), "elsewhere" otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <setjmp.h>
#include <ucontext.h>
#include <dlfcn.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int pipe_fds[2];
static uintptr_t stack_lo, stack_hi;
static volatile sig_atomic_t where_ok = -1, where_inner = -1;
static volatile int big_handler;
static volatile int nested;
static volatile int handler_runs;

static void stack_bounds(void) {
  pthread_attr_t attr;
  void* addr;
  size_t size;
  if (pthread_getattr_np(pthread_self(), &attr) != 0 || pthread_attr_getstack(&attr, &addr, &size) != 0) abort();
  stack_lo = (uintptr_t)addr;
  stack_hi = stack_lo + size;
  pthread_attr_destroy(&attr);
}

static int on_own_stack(const void* p) { return (uintptr_t)p >= stack_lo && (uintptr_t)p < stack_hi; }

static void inner_handler(int sig) {
  char here;
  (void)sig;
  where_inner = on_own_stack(&here);
}

static void handler(int sig) {
  char here;
  (void)sig;
  where_ok = where_ok != 0 && on_own_stack(&here);  /* every time it runs */
  handler_runs++;
  if (big_handler) {
    volatile char block[512 * 1024];
    for (size_t i = 0; i < sizeof block; i += 4096) block[i] = (char)i;
    where_ok = where_ok && on_own_stack((const void*)&block[0]);
  }
  if (nested) {
    /* A call of the handler's own that blocks, interrupted by a second signal. */
    struct itimerval soon = {{0, 0}, {0, 50 * 1000}};
    struct timespec ts = {0, 300 * 1000 * 1000};
    nested = 0;
    setitimer(ITIMER_REAL, &soon, NULL);
    nanosleep(&ts, NULL);
  }
}

static volatile int onstack_runs, alarm_runs, jumps;
static sigjmp_buf back_into_handler;

static void alarm_then_call(int sig) {
  (void)sig;
  alarm_runs++;
  syscall(SYS_getpid);
}

static void sleep_interrupted(int sig) {
  struct itimerval soon = {{0, 0}, {0, 20 * 1000}};
  struct timespec ts = {0, 200 * 1000 * 1000};
  (void)sig;
  setitimer(ITIMER_REAL, &soon, NULL);
  nanosleep(&ts, NULL);
  syscall(SYS_getppid);
  onstack_runs++;
}

static void jump_back(int sig) {
  (void)sig;
  siglongjmp(back_into_handler, 1);
}

static void read_then_jumped_into(int sig) {
  (void)sig;
  if (sigsetjmp(back_into_handler, 1) == 0) {
    struct itimerval soon = {{0, 0}, {0, 20 * 1000}};
    char byte;
    setitimer(ITIMER_REAL, &soon, NULL);
    if (read(pipe_fds[0], &byte, 1) >= 0) abort();  /* nothing comes: the SIGALRM jumps back */
  }
  jumps++;
  syscall(SYS_getppid);
  syscall(SYS_getppid);
}

static void install(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigaction(sig, &sa, NULL);
}

/* SIGUSR2 (moved) sleeps; SIGUSR1 (SA_ONSTACK) interrupts that sleep. */
static void low_sleeper(int sig) {
  struct timespec ts = {0, 200 * 1000 * 1000};
  (void)sig;
  nanosleep(&ts, NULL);
  syscall(SYS_getppid);
  syscall(SYS_getppid);
  onstack_runs++;
}

static void low_onstack(int sig) {
  (void)sig;
  alarm_runs++;
  syscall(SYS_getpid);
}

static void* low_reader(void* arg) {
  char byte;
  (void)arg;
  for (int round = 0; round < 3; ++round) {
    if (read(pipe_fds[0], &byte, 1) != -1 || errno != EINTR) abort();
  }
  return NULL;
}

/* A timer that sends this process SIGUSR1 once, ms milliseconds from now. */
static int usr1_timer(long ms, timer_t* timer) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  if (timer_create(CLOCK_MONOTONIC, &ev, timer) != 0) return 0;
  struct itimerspec when = {{0, 0}, {ms / 1000, (ms % 1000) * 1000 * 1000}};
  return timer_settime(*timer, 0, &when, NULL) == 0;
}

static int run_lowstack(void) {
  const size_t size = 1 << 20;
  void* stack = mmap((void*)0x200000000ul, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                     -1, 0);
  if (stack == MAP_FAILED) return 1;
  install(SIGUSR2, low_sleeper, 0);
  install(SIGUSR1, low_onstack, SA_ONSTACK);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, size);
  pthread_t t;
  if (pthread_create(&t, &attr, low_reader, NULL) != 0) return 1;
  for (int round = 0; round < 3; ++round) {
    struct timespec settle = {0, 30 * 1000 * 1000};
    nanosleep(&settle, NULL);
    pthread_kill(t, SIGUSR2);  /* interrupts the read; its handler sleeps */
    nanosleep(&settle, NULL);
    pthread_kill(t, SIGUSR1);  /* interrupts that sleep */
    struct timespec rest = {0, 250 * 1000 * 1000};
    nanosleep(&rest, NULL);
  }
  pthread_join(t, NULL);
  printf("sleeper %d, on-stack handler %d\n", onstack_runs, alarm_runs);
  return 0;
}

static void* waiter(void* arg) {
  char byte;
  (void)arg;
  stack_bounds();
  while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

/* Waits in sigsuspend, or sigtimedwait for SIGUSR2, once, depth frames of
 * 1 KiB further down the stack. */
static volatile int use_timedwait;
static __attribute__((noinline)) void wait_once(int depth) {
  volatile char frame[1024];
  frame[0] = (char)depth;
  if (depth > 0) {
    wait_once(depth - 1);
    if (frame[0] != (char)depth) abort();  /* (no tail call: the frame stays) */
    return;
  }
  if (use_timedwait) {
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGUSR2);
    struct timespec limit = {5, 0};
    if (sigtimedwait(&wanted, NULL, &limit) != -1 || errno != EINTR) abort();
    return;
  }
  sigset_t wait_mask;
  pthread_sigmask(SIG_SETMASK, NULL, &wait_mask);
  sigdelset(&wait_mask, SIGUSR1);
  if (sigsuspend(&wait_mask) != -1 || errno != EINTR) abort();
}

/* Until the handler ran six times (more than the gate's four levels of
 * moved handlers): each wait deeper than the one before (where its stack
 * pointer says nothing of the handler before having returned). */
enum { kSuspendRounds = 6 };
static void* suspender(void* arg) {
  (void)arg;
  stack_bounds();
  while (handler_runs < kSuspendRounds) wait_once(handler_runs);
  return NULL;
}

/* fullmask: the handler asks for its mask (a trapped call under `run`). */
static volatile int masked_runs;
static void masked_handler(int sig) {
  sigset_t now;
  (void)sig;
  sigprocmask(SIG_BLOCK, NULL, &now);
  masked_runs++;
}
static int run_fullmask(void) {
  install(SIGUSR1, masked_handler, 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);  /* taken only inside the waits */
  sigset_t all_but_usr1;
  sigfillset(&all_but_usr1);
  sigdelset(&all_but_usr1, SIGUSR1);
  const int ep = epoll_create1(0);
  for (int how = 0; how < 3; ++how) {
    timer_t timer;
    if (!usr1_timer(30, &timer)) return 1;
    struct timespec limit = {5, 0};
    struct epoll_event ev;
    const int r = how == 0   ? ppoll(NULL, 0, &limit, &all_but_usr1)
                  : how == 1 ? pselect(0, NULL, NULL, NULL, &limit, &all_but_usr1)
                             : epoll_pwait(ep, &ev, 1, 5000, &all_but_usr1);
    if (r != -1 || errno != EINTR) return 1;
    timer_delete(timer);
  }
  /* Two signals pending as the wait opens the mask: the kernel delivers the
   * second on top of the first, before either handler ran. */
  install(SIGUSR2, masked_handler, 0);
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, NULL);
  raise(SIGUSR1);
  raise(SIGUSR2);
  sigdelset(&all_but_usr1, SIGUSR2);
  struct timespec limit = {5, 0};
  if (ppoll(NULL, 0, &limit, &all_but_usr1) != -1 || errno != EINTR) return 1;
  printf("fullmask: the handlers ran %d times\n", masked_runs);
  return 0;
}

/* pair: each handler counts itself, and whether it ran on the thread's stack. */
static volatile int pair_runs, pair_elsewhere;
static void pair_handler(int sig) {
  char here;
  (void)sig;
  if (!on_own_stack(&here)) pair_elsewhere++;
  pair_runs++;
}
static volatile int pair_stop;
static void* pair_waiter(void* arg) {
  (void)arg;
  stack_bounds();
  sigset_t none;
  sigemptyset(&none);
  while (!pair_stop) sigsuspend(&none);
  return NULL;
}
static int run_pair(void) {
  enum { kRounds = 1000 };
  install(SIGUSR1, pair_handler, 0);
  install(SIGALRM, pair_handler, 0);
  sigset_t blocked;  /* this thread takes none of them */
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &blocked, NULL);
  pthread_t t;
  pthread_create(&t, NULL, pair_waiter, NULL);
  for (int round = 0; round < kRounds; ++round) {
    struct timespec settle = {0, 500 * 1000};
    const int before = pair_runs;
    nanosleep(&settle, NULL);
    pthread_kill(t, SIGUSR1);
    /* 0 to 5 µs later: while the first is being delivered and moved. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const long spin_ns = (round * 7919L) % 5000;
    do {
      clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < spin_ns);
    pthread_kill(t, SIGALRM);
    while (pair_runs < before + 2) sched_yield();
  }
  pair_stop = 1;
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  printf("pair: %d handlers, %s\n", pair_runs >= 2 * kRounds ? 2 * kRounds : pair_runs,
         pair_elsewhere == 0 ? "all on the thread's stack" : "some elsewhere");
  return 0;
}

/* coroutine: one mapping holds [coroutine stack | thread stack | coroutine
 * stack], so each coroutine stack touches the thread's. */
enum { kCoroutineBytes = 256 * 1024, kCoroutineThreadBytes = 2 << 20, kCoroutineRounds = 20 };
static ucontext_t coroutine_return, coroutine_context[2];
static volatile int coroutine_runs, coroutine_handlers, coroutine_stop;
static void coroutine_body(void) {
  for (;;) {
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    (void)getppid();
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
    coroutine_runs++;
    swapcontext(&coroutine_context[coroutine_handlers % 2], &coroutine_return);
  }
}
static void coroutine_handler(int sig) {
  (void)sig;
  swapcontext(&coroutine_return, &coroutine_context[coroutine_handlers % 2]);
  coroutine_handlers++;
}
static void* coroutine_waiter(void* arg) {
  (void)arg;
  sigset_t none;
  sigemptyset(&none);
  while (!coroutine_stop) sigsuspend(&none);
  return NULL;
}
static int run_coroutine(void) {
  char* m = mmap(NULL, 2 * kCoroutineBytes + kCoroutineThreadBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 1;
  for (int i = 0; i < 2; ++i) {
    getcontext(&coroutine_context[i]);
    coroutine_context[i].uc_stack.ss_sp = i == 0 ? m + kCoroutineBytes + kCoroutineThreadBytes : m;
    coroutine_context[i].uc_stack.ss_size = kCoroutineBytes;
    coroutine_context[i].uc_link = NULL;
    makecontext(&coroutine_context[i], coroutine_body, 0);
  }
  install(SIGUSR1, coroutine_handler, 0);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &blocked, NULL);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, m + kCoroutineBytes, kCoroutineThreadBytes);
  pthread_t t;
  pthread_create(&t, &attr, coroutine_waiter, NULL);
  for (int round = 0; round < kCoroutineRounds; ++round) {
    const int before = coroutine_handlers;
    pthread_kill(t, SIGUSR1);
    while (coroutine_handlers == before) sched_yield();
  }
  const int handlers = coroutine_handlers, runs = coroutine_runs;
  coroutine_stop = 1;  /* it may be past its check of coroutine_stop: one more */
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  printf("coroutine: %d handlers, %d coroutine runs\n", handlers, runs);
  return 0;
}

/* handlermask: the mask each handler ran with, as signal numbers. */
static char handler_mask_seen[128];
static void mask_reporter(int sig) {
  (void)sig;
  sigset_t mask;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  int n = 0;
  for (int s = 1; s < 65 && n < (int)sizeof handler_mask_seen - 4; ++s) {
    if (sigismember(&mask, s)) n += snprintf(handler_mask_seen + n, sizeof handler_mask_seen - n, " %d", s);
  }
}
static int run_handlermask(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = mask_reporter;
  sigaction(SIGUSR1, &sa, NULL);
  sigaddset(&sa.sa_mask, SIGCHLD);
  sigaction(SIGALRM, &sa, NULL);
  if (pipe(pipe_fds) != 0) return 1;
  const char* calls[] = {"sigsuspend", "nanosleep", "poll", "read"};
  for (int with_chld = 0; with_chld < 2; ++with_chld) {
    for (int i = 0; i < 4; ++i) {
      timer_t timer;
      struct sigevent ev;
      memset(&ev, 0, sizeof ev);
      ev.sigev_notify = SIGEV_SIGNAL;
      ev.sigev_signo = with_chld ? SIGALRM : SIGUSR1;
      struct itimerspec when = {{0, 0}, {0, 20 * 1000 * 1000}};
      if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0 || timer_settime(timer, 0, &when, NULL) != 0) return 1;
      handler_mask_seen[0] = 0;
      if (i == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
      } else if (i == 1) {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
      } else if (i == 2) {
        struct pollfd p = {pipe_fds[0], POLLIN, 0};
        poll(&p, 1, 2000);
      } else {
        char byte;
        if (read(pipe_fds[0], &byte, 1) != -1) return 1;
      }
      timer_delete(timer);
      printf("%s, %s: handler's mask:%s\n", calls[i], with_chld ? "SIGALRM (sa_mask SIGCHLD)" : "SIGUSR1",
             handler_mask_seen);
    }
  }
  return 0;
}

/* editframe: what each handler does to the frame of the read it interrupted. */
enum { kEditResult, kEditRestartedCall, kEditSkipRestart, kEditRedirect };
static volatile int edit_how;
static volatile sig_atomic_t landed;
static char edit_rip_function[64];
static jmp_buf after_landing;
static __attribute__((noinline)) void landing(void) {
  /* The program's own code, run where the frame sent it: calls and memory. */
  char* p = malloc(4096);
  memset(p, 1, 4096);
  landed = p[100] + (getpid() > 0);
  free(p);
  longjmp(after_landing, 1);
}
static void frame_editor(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
  Dl_info where;
  memset(&where, 0, sizeof where);
  snprintf(edit_rip_function, sizeof edit_rip_function, "%s",
           dladdr((void*)g[REG_RIP], &where) && where.dli_sname ? where.dli_sname : "?");
  const int at_restart = *(const uint16_t*)g[REG_RIP] == 0x050f; /* rip back at the syscall */
  switch (edit_how) {
    case kEditResult:
      if (g[REG_RAX] == -EINTR) g[REG_RAX] = 42;
      break;
    case kEditRestartedCall:
      if (at_restart) g[REG_RAX] = SYS_getpid;
      break;
    case kEditSkipRestart:
      if (at_restart) {
        g[REG_RIP] += 2;
        g[REG_RAX] = -EINTR;
      }
      break;
    case kEditRedirect:
      g[REG_RSP] = (g[REG_RSP] - 256) & ~15L;
      g[REG_RSP] -= 8; /* as after a call */
      g[REG_RIP] = (greg_t)landing;
      break;
  }
}
/* A read whose rbx holds a marker across its syscall (the handler changes it). */
static volatile int rbx_edit;
static void rbx_editor(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
  if (g[REG_RBX] == 0x1111) {
    g[REG_RBX] = 0x2222;
    rbx_edit = 1;
  }
}
static long read_keeping_rbx(int fd, void* buf, long n, long* rbx_after) {
  long ret;
  long rbx = 0x1111;
  __asm__ volatile("xchg %[rbx], %%rbx\n\tsyscall\n\txchg %[rbx], %%rbx"
                   : "=a"(ret), [rbx] "+r"(rbx)
                   : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n)
                   : "rcx", "r11", "memory");
  *rbx_after = rbx;
  return ret;
}

static int run_editframe(void) {
  if (pipe(pipe_fds) != 0) return 1;
  static const char* const kHow[] = {"result", "restarted call", "skipped restart", "redirect"};
  for (int how = kEditResult; how <= kEditRedirect; ++how) {
    edit_how = how;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = frame_editor;
    sa.sa_flags = SA_SIGINFO | (how == kEditRestartedCall || how == kEditSkipRestart ? SA_RESTART : 0);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval soon = {{0, 0}, {0, 20 * 1000}};
    setitimer(ITIMER_REAL, &soon, NULL);
    char byte;
    if (how == kEditRedirect && setjmp(after_landing) != 0) {
      printf("editframe %s: landed %d, rip in %s\n", kHow[how], (int)landed, edit_rip_function);
      continue;
    }
    errno = 0;
    const long r = read(pipe_fds[0], &byte, 1);
    const int error = errno;
    if (how == kEditRestartedCall) {
      printf("editframe %s: %s, rip in %s\n", kHow[how], r == getpid() ? "the pid" : "not the pid", edit_rip_function);
    } else {
      printf("editframe %s: %ld %s, rip in %s\n", kHow[how], r, r < 0 ? strerror(error) : "", edit_rip_function);
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = rbx_editor;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval soon = {{0, 0}, {0, 20 * 1000}};
  setitimer(ITIMER_REAL, &soon, NULL);
  char byte;
  long rbx_after = 0;
  const long r = read_keeping_rbx(pipe_fds[0], &byte, 1, &rbx_after);
  printf("editframe rbx: %ld, rbx %#lx, edited %d\n", r, rbx_after, rbx_edit);
  return 0;
}

/* abandon: handlers that leave the call their signal interrupted. */
static sigjmp_buf abandon_jump;
static volatile int abandon_how, abandon_first;
static volatile long abandon_ticks;
static void abandon_landing(void);
static void abandoner(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  if (!abandon_first) {
    abandon_ticks++;
    return;
  }
  abandon_first = 0;
  if (abandon_how == 0) siglongjmp(abandon_jump, 1);
  greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
  g[REG_RSP] = ((g[REG_RSP] - 4096) & ~15L) - 8;
  g[REG_RIP] = (greg_t)abandon_landing;
}
static volatile int mask_in_handler = -1;
static void mask_taker(int sig) {
  (void)sig;
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  mask_in_handler = sigismember(&now, SIGWINCH) && sigismember(&now, SIGCHLD);
}
static void abandon_landing(void) {
  /* Calls, many of them interrupted, after the abandoned one. */
  struct itimerval often = {{0, 20}, {0, 20}};
  setitimer(ITIMER_REAL, &often, NULL);
  const pid_t me = getpid();
  long wrong = 0;
  for (long i = 0; i < 50000; ++i) wrong += syscall(SYS_getpid) != me;
  struct itimerval stop = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &stop, NULL);
  /* The program's own mask holds, in a handler and after it. */
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGWINCH);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  signal(SIGUSR1, mask_taker);
  raise(SIGUSR1);
  sigset_t after, pending;
  sigprocmask(SIG_BLOCK, NULL, &after);
  raise(SIGWINCH);
  sigpending(&pending);
  printf("abandon: %ld wrong, ticks %s, mask in handler %d, after %d, SIGWINCH pending %d\n", wrong,
         abandon_ticks > 0 ? "yes" : "no", (int)mask_in_handler,
         sigismember(&after, SIGWINCH) && sigismember(&after, SIGCHLD), sigismember(&pending, SIGWINCH));
  fflush(stdout);
  if (abandon_how == 1) _exit(0);  /* entered by the handler, not called: nowhere to return to */
  sigprocmask(SIG_UNBLOCK, &blocked, NULL);
}
static int run_abandon(void) {
  if (pipe(pipe_fds) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = abandoner;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);
  for (int how = 0; how < 2; ++how) {
    for (int call = 0; call < 2; ++call) {
      abandon_how = how;
      abandon_first = 1;
      abandon_ticks = 0;
      if (how == 1) {
        /* The redirected program lands in abandon_landing, then exits this child. */
        fflush(stdout);
        const pid_t child = fork();
        if (child != 0) {
          int status;
          waitpid(child, &status, 0);
          if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("abandon: the child ended with %#x\n", status);
          continue;
        }
      } else if (sigsetjmp(abandon_jump, 1) != 0) {
        abandon_landing();
        continue;
      }
      struct itimerval soon = {{0, 0}, {0, 20 * 1000}};
      setitimer(ITIMER_REAL, &soon, NULL);
      if (call == 0) {
        char byte;
        if (read(pipe_fds[0], &byte, 1) < 0) return 1;
      } else {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
      }
      return 1; /* not reached: the handler leaves the call */
    }
  }
  return 0;
}

static void wait_a_little(void) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: handler_stack thread|main|big|nested|onstack|jumpback|lowstack|suspend|bigsuspend|timedwait|pair|fullmask|coroutine|handlermask|editframe|abandon\n");
    return 2;
  }
  if (strcmp(argv[1], "pair") == 0) return run_pair();
  if (strcmp(argv[1], "fullmask") == 0) return run_fullmask();
  if (strcmp(argv[1], "coroutine") == 0) return run_coroutine();
  if (strcmp(argv[1], "handlermask") == 0) return run_handlermask();
  if (strcmp(argv[1], "editframe") == 0) return run_editframe();
  if (strcmp(argv[1], "abandon") == 0) return run_abandon();
  if (strcmp(argv[1], "onstack") == 0) {
    install(SIGUSR1, sleep_interrupted, SA_ONSTACK);
    install(SIGALRM, alarm_then_call, 0);
    for (int i = 0; i < 3; i++) raise(SIGUSR1);
    printf("on-stack handler %d, alarm %d\n", onstack_runs, alarm_runs);
    return 0;
  }
  if (strcmp(argv[1], "jumpback") == 0 || strcmp(argv[1], "lowstack") == 0) {
    if (pipe(pipe_fds) != 0) return 1;
    if (strcmp(argv[1], "lowstack") == 0) return run_lowstack();
    install(SIGUSR1, read_then_jumped_into, 0);
    install(SIGALRM, jump_back, 0);
    for (int round = 0; round < 3; ++round) {
      timer_t timer;
      if (!usr1_timer(20, &timer)) return 1;
      char byte;
      if (read(pipe_fds[0], &byte, 1) != -1 || errno != EINTR) return 1;
      timer_delete(timer);
    }
    printf("jumped back %d times\n", jumps);
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = inner_handler;
  sigaction(SIGALRM, &sa, NULL);
  if (pipe(pipe_fds) != 0) return 1;
  const char* mode = argv[1];
  if (strcmp(mode, "thread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    wait_a_little();
    pthread_kill(t, SIGUSR1);
    wait_a_little();
    if (write(pipe_fds[1], "x", 1) != 1) return 1;
    pthread_join(t, NULL);
  } else if (strcmp(mode, "suspend") == 0 || strcmp(mode, "bigsuspend") == 0 || strcmp(mode, "timedwait") == 0) {
    big_handler = strcmp(mode, "bigsuspend") == 0;
    use_timedwait = strcmp(mode, "timedwait") == 0;
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 2 << 20);  /* room for the big handler */
    pthread_create(&t, &attr, suspender, NULL);
    for (int round = 0; round < kSuspendRounds; ++round) {
      struct timespec settle = {0, 30 * 1000 * 1000};
      nanosleep(&settle, NULL);
      /* One at a time: a SIGUSR1 sent while one is pending is lost. */
      const int before = handler_runs;
      pthread_kill(t, SIGUSR1);
      while (handler_runs == before) sched_yield();
    }
    pthread_join(t, NULL);
  } else {
    big_handler = strcmp(mode, "big") == 0;
    nested = strcmp(mode, "nested") == 0;
    stack_bounds();
    /* A child writes to the pipe later; a timer's SIGUSR1 interrupts the read first. */
    timer_t timer;
    if (!usr1_timer(50, &timer)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      struct timespec ts = {0, 300 * 1000 * 1000};
      nanosleep(&ts, NULL);
      if (write(pipe_fds[1], "x", 1) != 1) _exit(1);
      _exit(0);
    }
    char byte;
    while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
  }
  printf("handler: %s\n", where_ok == 1 ? "on its stack" : where_ok == 0 ? "elsewhere" : "did not run");
  if (strcmp(mode, "nested") == 0) {
    printf("inner handler: %s\n", where_inner == 1 ? "on its stack" : where_inner == 0 ? "elsewhere" : "did not run");
  }
  return 0;
}
