/* Ends, or survives, by signals whose action is SIG_DFL: the mode in argv[1]
 * picks how. Used by tests/integration/trace_test.cc against strace, whose
 * trace shows each delivery ("--- SIGTERM {...} ---") before the process is
 * killed, and after the line of the call that raised it.
 *
 *   term      kill(getpid(), SIGTERM)
 *   segv      a store to address 0x10
 *   abort     abort(): tgkill with SIGABRT
 *   pipe      a write to a pipe without readers: EPIPE, then SIGPIPE
 *   alarm     a timer's SIGALRM ends a read that waits on a pipe
 *   rt        sigqueue of SIGRTMIN+1 with a value: a real-time signal's default
 *   resethand a crash handler installed with SA_RESETHAND writes a line and
 *             returns; the store to 0x10 faults again, now under SIG_DFL
 *   readback  survives: prints the SIG_DFL actions it reads back (as exec left
 *             them, and as it set them), ignores a SIGTERM, then takes one
 *             with sigwaitinfo while blocking it; exits 0
 *   forkhandler  survives: a SIGALRM handler forks while a read waits on a
 *             pipe; in both processes the read then fails with EINTR; exits 0
 *             if the child did too */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_action(const char* name, int sig) {
  struct sigaction old;
  if (sigaction(sig, NULL, &old) != 0) {
    printf("%s: sigaction failed\n", name);
    exit(1);
  }
  unsigned long mask = 0;
  for (int s = 1; s < 64; ++s) {
    if (sigismember(&old.sa_mask, s) == 1) mask |= 1ul << (s - 1);
  }
  printf("%s: handler %s flags %#x mask %#lx\n", name,
         old.sa_handler == SIG_DFL ? "SIG_DFL" : old.sa_handler == SIG_IGN ? "SIG_IGN" : "a function",
         (unsigned)old.sa_flags, mask);
}

static int readback(void) {
  print_action("SIGTERM after exec", SIGTERM);
  print_action("SIGSEGV after exec", SIGSEGV);

  struct sigaction dfl = {0};
  dfl.sa_handler = SIG_DFL;
  dfl.sa_flags = SA_RESTART | SA_NODEFER;
  sigemptyset(&dfl.sa_mask);
  sigaddset(&dfl.sa_mask, SIGUSR1);
  sigaddset(&dfl.sa_mask, SIGSYS);
  sigaction(SIGINT, &dfl, NULL);
  print_action("SIGINT as set", SIGINT);

  signal(SIGTERM, SIG_IGN);
  print_action("SIGTERM ignored", SIGTERM);
  kill(getpid(), SIGTERM);  // ignored: nothing happens

  struct sigaction back;
  memset(&back, 0, sizeof back);
  back.sa_handler = SIG_DFL;
  sigaction(SIGTERM, &back, NULL);
  print_action("SIGTERM back to SIG_DFL", SIGTERM);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  kill(getpid(), SIGTERM);  // blocked: pending, taken below
  siginfo_t info;
  const int got = sigwaitinfo(&set, &info);
  printf("sigwaitinfo: %s, from pid %s\n", got == SIGTERM ? "SIGTERM" : "something else",
         info.si_pid == getpid() ? "self" : "another");
  return 0;
}

static void crash_handler(int sig) {
  (void)sig;
  (void)!write(1, "handled\n", 8);
}

static pid_t forked;

static void fork_on_alarm(int sig) {
  (void)sig;
  forked = fork();
}

// A handler that forks inside a call the gate marked as waiting (the child's
// gate state is reset while that call's frame is still on its stack).
static int fork_in_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fork_on_alarm;  // no SA_RESTART: the read fails with EINTR
  sigaction(SIGALRM, &sa, NULL);
  int p[2];
  if (pipe(p) != 0) return 1;
  const struct itimerval t = {.it_value = {.tv_usec = 20000}};
  setitimer(ITIMER_REAL, &t, NULL);
  char c;
  const ssize_t n = read(p[0], &c, 1);
  if (forked == 0) _exit(n == -1 ? 0 : 1);
  int status = 0;
  if (forked < 0 || waitpid(forked, &status, 0) != forked) return 1;
  return n == -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (strcmp(mode, "term") == 0) kill(getpid(), SIGTERM);
  if (strcmp(mode, "segv") == 0) *(volatile int*)0x10 = 1;
  if (strcmp(mode, "rt") == 0) {
    union sigval value = {.sival_int = 7};
    sigqueue(getpid(), SIGRTMIN + 1, value);
  }
  if (strcmp(mode, "resethand") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    *(volatile int*)0x10 = 1;
  }
  if (strcmp(mode, "abort") == 0) abort();
  if (strcmp(mode, "pipe") == 0) {
    int p[2];
    if (pipe(p) != 0) return 1;
    close(p[0]);
    (void)!write(p[1], "x", 1);
  }
  if (strcmp(mode, "alarm") == 0) {
    int p[2];
    if (pipe(p) != 0) return 1;
    const struct itimerval t = {.it_value = {.tv_usec = 20000}};
    setitimer(ITIMER_REAL, &t, NULL);
    char c;
    (void)!read(p[0], &c, 1);
  }
  if (strcmp(mode, "readback") == 0) return readback();
  if (strcmp(mode, "forkhandler") == 0) return fork_in_handler();
  return 3;  // not ended by a signal
}
