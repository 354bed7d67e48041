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
#include <sys/time.h>
#include <unistd.h>

static int pipe_fds[2];
static uintptr_t stack_lo, stack_hi;
static volatile sig_atomic_t where_ok = -1, where_inner = -1;
static volatile int big_handler;
static volatile int nested;

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
  where_ok = on_own_stack(&here);
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

static void* waiter(void* arg) {
  char byte;
  (void)arg;
  stack_bounds();
  while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

static void wait_a_little(void) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: handler_stack thread|main|big|nested\n");
    return 2;
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
  } else {
    big_handler = strcmp(mode, "big") == 0;
    nested = strcmp(mode, "nested") == 0;
    stack_bounds();
    /* A child writes to the pipe later; a timer's SIGUSR1 interrupts the read first. */
    timer_t timer;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return 1;
    struct itimerspec when = {{0, 0}, {0, 50 * 1000 * 1000}};
    timer_settime(timer, 0, &when, NULL);
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
