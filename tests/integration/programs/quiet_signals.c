/* A child exits while its parent waits in each call that a signal handler
 * would end with EINTR even under SA_RESTART (signal(7)), and in a read the
 * kernel restarts; SIGCHLD stays at SIG_DFL, whose default ignores it, so
 * natively no call is interrupted. Prints each call's result. Used by
 * tests/integration/trace_test.cc: under `sysgate trace` the output must be
 * native's (the gate shows these deliveries through a handler of its own,
 * which must change nothing), and the trace must show the children's
 * "--- SIGCHLD {...} ---" lines as strace shows them. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int kTimeoutMs = 100;

/* A child that exits 10 ms from now. */
static pid_t child_exiting_soon(void) {
  pid_t pid = fork();
  if (pid == 0) {
    usleep(10000);
    _exit(0);
  }
  return pid;
}

static void show(const char* call, long r) {
  if (r < 0) {
    printf("%s = -1 %s\n", call, strerrorname_np(errno));
  } else {
    printf("%s = %ld\n", call, r);
  }
  fflush(stdout);
}

static struct timespec timeout_ts(void) {
  struct timespec ts = {0, kTimeoutMs * 1000000L};
  return ts;
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  struct pollfd pfd = {fds[0], POLLIN, 0};
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {EPOLLIN, {0}};
  epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
  struct epoll_event out;
  sigset_t empty, usr1;
  sigemptyset(&empty);
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  uint32_t word = 0;

  for (int step = 0;; ++step) {
    pid_t child = child_exiting_soon();
    struct timespec ts = timeout_ts();
    struct timeval tv = {0, kTimeoutMs * 1000};
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    switch (step) {
      case 0:
        show("poll", poll(&pfd, 1, kTimeoutMs));
        break;
      case 1:
        show("select", select(fds[0] + 1, &readable, NULL, NULL, &tv));
        break;
      case 2:
        show("epoll_wait", epoll_wait(ep, &out, 1, kTimeoutMs));
        break;
      case 3:
        show("nanosleep", nanosleep(&ts, NULL));
        break;
      case 4:
        show("clock_nanosleep", -clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL));
        break;
      case 5:
        show("sigtimedwait", sigtimedwait(&usr1, NULL, &ts));
        break;
      case 6:
        show("futex", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0));
        break;
      case 7:
        show("ppoll", ppoll(&pfd, 1, &ts, NULL));
        break;
      case 8:
        show("ppoll with a mask", ppoll(&pfd, 1, &ts, &empty));
        break;
      case 9:
        show("pselect6 with a mask", pselect(fds[0] + 1, &readable, NULL, NULL, &ts, &empty));
        break;
      case 10:
        show("epoll_pwait with a mask", epoll_pwait(ep, &out, 1, kTimeoutMs, &empty));
        break;
      case 11: {
        /* A read the kernel restarts: a second child writes after the first exits. */
        pid_t writer = fork();
        if (writer == 0) {
          usleep(50000);
          _exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
        }
        char c;
        show("read", read(fds[0], &c, 1));
        waitpid(writer, NULL, 0);
        break;
      }
      default:
        waitpid(child, NULL, 0);
        return 0;
    }
    waitpid(child, NULL, 0);
  }
}
