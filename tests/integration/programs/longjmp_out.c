/* A timer's handler that leaves by siglongjmp, every USEC microseconds, out
 * of whatever the program was doing: here a loop of getppid, whose site the
 * gate rewrites, so most signals land inside a trampoline (on the gate's
 * stack, perhaps half way through a trace record).
 *
 *   longjmp_out USEC COUNT   -> "jumped enough" once COUNT handlers jumped
 *
 * The jump target is set before the timer starts: a signal before sigsetjmp
 * would jump through an empty sigjmp_buf (the fifth review's program did
 * that; the gate's first rewrite, ~0.2 ms, widened that race enough to hit). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile long jumps;

static void jump_back(int sig) {
  (void)sig;
  ++jumps;
  siglongjmp(back, 1);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const long usec = atol(argv[1]), want = atol(argv[2]);
  struct sigaction sa = {0};
  sa.sa_handler = jump_back;
  sigaction(SIGALRM, &sa, NULL);
  static volatile int armed = 0;
  sigsetjmp(back, 1);
  if (!armed) {
    armed = 1;
    struct itimerval every = {{0, usec}, {0, usec}};
    setitimer(ITIMER_REAL, &every, NULL);
  }
  while (jumps < want) getppid();
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("%s\n", jumps >= want ? "jumped enough" : "too few jumps");  /* (one more may come before the timer stops) */
  return 0;
}
