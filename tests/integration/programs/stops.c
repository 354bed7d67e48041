/* A child whose stop signal (argv[1]: TSTP, TTIN or TTOU) is at SIG_DFL is
 * stopped by its parent and continued, as a shell's job control does: the
 * parent sends the signal, waits for the stop (WUNTRACED), sends SIGCONT,
 * waits for the continue (WCONTINUED), then lets the child exit. The child
 * prints the action it reads back before and after. Used by
 * tests/integration/trace_test.cc: under `sysgate trace` the output must be
 * native's (the gate observes the delivery through a handler of its own,
 * which the program must not see), and the trace must show the child's
 * "--- SIGTSTP {...} ---" and "--- stopped by SIGTSTP ---" as strace does. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The action the program reads back: SIG_DFL, as it was left. */
static void show_action(const char* when, int sig) {
  struct sigaction old;
  sigaction(sig, NULL, &old);
  printf("child %s: %s is %s\n", when, sigabbrev_np(sig),
         old.sa_handler == SIG_DFL ? "SIG_DFL" : old.sa_handler == SIG_IGN ? "SIG_IGN" : "a handler");
  fflush(stdout);
}

static void show_status(const char* call, int status) {
  if (WIFSTOPPED(status)) {
    printf("%s: stopped by SIG%s\n", call, sigabbrev_np(WSTOPSIG(status)));
  } else if (WIFCONTINUED(status)) {
    printf("%s: continued\n", call);
  } else if (WIFEXITED(status)) {
    printf("%s: exited %d\n", call, WEXITSTATUS(status));
  } else {
    printf("%s: status %#x\n", call, status);
  }
  fflush(stdout);
}

int main(int argc, char** argv) {
  const int sig = argc > 1 && strcmp(argv[1], "TTIN") == 0   ? SIGTTIN
                  : argc > 1 && strcmp(argv[1], "TTOU") == 0 ? SIGTTOU
                                                             : SIGTSTP;
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    /* A process group of its own, whose parent is in another group of the
     * session: not orphaned, so the kernel stops it (an orphaned group's
     * members ignore these signals at SIG_DFL). */
    setpgid(0, 0);
    close(ready[0]);
    close(go[1]);
    show_action("before", sig);
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    /* Stopped and continued while it waits here: the poll goes on (the
     * kernel restarts it, where a handler's delivery would end it with
     * EINTR), and ends when the parent closes the pipe. */
    struct pollfd hangup = {.fd = go[0], .events = POLLIN};
    const int polled = poll(&hangup, 1, -1);
    printf("child poll: %d%s\n", polled, polled < 0 ? strerrorname_np(errno) : "");
    const ssize_t n = read(go[0], &c, 1);
    printf("child read: %zd\n", n);
    show_action("after", sig);
    _exit(7);
  }
  close(ready[1]);
  close(go[0]);
  char c;
  if (read(ready[0], &c, 1) != 1) return 1;
  int status;
  kill(child, sig);
  waitpid(child, &status, WUNTRACED);
  show_status("waitpid", status);
  kill(child, SIGCONT);
  waitpid(child, &status, WCONTINUED);
  show_status("waitpid", status);
  close(go[1]);
  waitpid(child, &status, 0);
  show_status("waitpid", status);
  return 0;
}
