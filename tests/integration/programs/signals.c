/* Takes one signal of each kind strace decodes differently -- kill (SI_USER),
 * tgkill (SI_TKILL), sigqueue (SI_QUEUE), a child's exit (SIGCHLD, CLD_EXITED),
 * alarm (SI_KERNEL), a POSIX timer (SI_TIMER) -- in handlers installed with and
 * without SA_SIGINFO, and checks that sigaction reads back the program's own
 * handlers and flags, also after an SA_RESETHAND handler ran. Prints how many it handled; exits 1 on a wrong readback.
 * Used by tests/integration/trace_test.cc against strace. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void plain_handler(int sig) {
  (void)sig;
  handled++;
}

static void info_handler(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)info;
  (void)context;
  handled++;
}

static void wait_for(int n) {
  while (handled < n) usleep(1000);
}

int main(void) {
  struct sigaction plain = {0};
  plain.sa_handler = plain_handler;
  sigaction(SIGUSR1, &plain, NULL);
  sigaction(SIGALRM, &plain, NULL);
  struct sigaction with_info = {0};
  with_info.sa_sigaction = info_handler;
  with_info.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &with_info, NULL);
  sigaction(SIGUSR2, &with_info, NULL);
  sigaction(SIGRTMIN + 1, &with_info, NULL);

  struct sigaction old;
  sigaction(SIGUSR1, NULL, &old);
  if (old.sa_handler != plain_handler || (old.sa_flags & SA_SIGINFO) != 0) {
    printf("SIGUSR1: wrong handler read back\n");
    return 1;
  }
  sigaction(SIGCHLD, &with_info, &old);
  if (old.sa_sigaction != info_handler || (old.sa_flags & SA_SIGINFO) == 0) {
    printf("SIGCHLD: wrong handler read back\n");
    return 1;
  }

  kill(getpid(), SIGUSR1);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
  union sigval value = {.sival_int = 42};
  sigqueue(getpid(), SIGRTMIN + 1, value);
  wait_for(3);

  pid_t child = fork();
  if (child == 0) _exit(3);
  wait_for(4);
  waitpid(child, NULL, 0);

  alarm(1);
  wait_for(5);

  timer_t timer;
  struct sigevent event = {0};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGUSR2;
  event.sigev_value.sival_int = 7;
  timer_create(CLOCK_MONOTONIC, &event, &timer);
  struct itimerspec in_1ms = {{0, 0}, {0, 1000000}};
  timer_settime(timer, 0, &in_1ms, NULL);
  wait_for(6);

  /* A one-shot handler: once it ran, the action is SIG_DFL with the flags
   * the program gave (no SA_SIGINFO it did not ask for). */
  struct sigaction once = {0};
  once.sa_handler = plain_handler;
  once.sa_flags = SA_RESETHAND;
  sigaction(SIGPROF, &once, NULL);
  raise(SIGPROF);
  wait_for(7);
  sigaction(SIGPROF, NULL, &old);
  if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO) != 0 || (old.sa_flags & SA_RESETHAND) == 0) {
    printf("SIGPROF: wrong action read back after its reset: flags %#x\n", (unsigned)old.sa_flags);
    return 1;
  }

  printf("handled %d signals\n", (int)handled);
  return 0;
}
