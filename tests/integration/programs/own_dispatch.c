// A program that uses Syscall User Dispatch itself, as Wine does: it arms it
// with a selector byte, blocks, and catches its own getppid as a SIGSYS
// (si_code 2, SYS_USER_DISPATCH); a call from the region it exempted is made;
// a forked child has no dispatch (the kernel does not carry it over); then it
// turns dispatch off.
//
//   own_dispatch      -> one line per step on stdout; status 1 if arming fails
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SET_DISPATCH 59 /* PR_SET_SYSCALL_USER_DISPATCH */
#define DISPATCH_OFF 0
#define DISPATCH_ON 1
#define ALLOW 0 /* SYSCALL_DISPATCH_FILTER_ALLOW */
#define BLOCK 1

// getppid from a function of its own: the region the program exempts.
long exempt_getppid(void);
extern char exempt_getppid_end[];
__asm__(".text\n.globl exempt_getppid\nexempt_getppid:\n"
        "  mov $110, %eax\n  syscall\n  ret\n"
        ".globl exempt_getppid_end\nexempt_getppid_end:\n");

static volatile char selector = ALLOW;
static volatile int caught_code, caught_nr;

static void on_sigsys(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)context;
  selector = ALLOW;  // its own calls go through, as Wine's handler does
  caught_code = info->si_code;
  caught_nr = info->si_syscall;
}

int main(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigsys;
  action.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &action, NULL) != 0) return 2;
  const unsigned long begin = (unsigned long)exempt_getppid;
  const unsigned long length = (unsigned long)exempt_getppid_end - begin;
  if (prctl(SET_DISPATCH, DISPATCH_ON, begin, length, &selector) != 0) {
    printf("arm: %s\n", strerror(errno));
    return 1;
  }
  printf("armed\n");
  fflush(stdout);
  selector = BLOCK;
  const long ppid = syscall(SYS_getppid);  // dispatched: the handler's return value stays in rax
  printf("blocked getppid: si_code=%d nr=%d, returned %s\n", caught_code, caught_nr,
         ppid == SYS_getppid ? "its own number" : "something else");
  caught_code = caught_nr = 0;
  selector = BLOCK;
  const long exempt = exempt_getppid();
  selector = ALLOW;
  printf("exempt getppid: %s, si_code=%d\n", exempt == getppid() ? "the parent" : "something else", caught_code);
  fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    selector = BLOCK;  // the child's copy: its calls are not dispatched
    const long p = syscall(SYS_getppid);
    selector = ALLOW;
    printf("child getppid: %s, si_code=%d\n", p > 1 ? "a pid" : "something else", caught_code);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  // A vfork child turns its own dispatch off (it has none: the kernel did
  // not carry it over); the parent's, and its exempt region, stay.
  const pid_t borrower = vfork();
  if (borrower == 0) _exit(prctl(SET_DISPATCH, DISPATCH_OFF, 0, 0, 0) == 0 ? 0 : 1);
  waitpid(borrower, &status, 0);
  caught_code = 0;
  selector = BLOCK;
  const long still_exempt = exempt_getppid();
  selector = ALLOW;
  printf("after a vfork child's off, exempt getppid: %s, si_code=%d\n",
         still_exempt == getppid() ? "the parent" : "something else", caught_code);
  printf("off: %d\n", prctl(SET_DISPATCH, DISPATCH_OFF, 0, 0, 0));
  selector = BLOCK;  // nothing is dispatched any more
  printf("after off: %s\n", getppid() > 1 ? "a pid" : "something else");
  return 0;
}
