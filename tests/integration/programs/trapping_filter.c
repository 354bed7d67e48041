// A program whose own seccomp filter answers getppid with SECCOMP_RET_TRAP
// (data 7) for its SIGSYS handler to emulate (it returns 4242), as a
// browser's sandbox does; then a thread, a forked child and an exec'd image
// of it make the call. HOW, if given (each from a review of the gate):
//   spawn      posix_spawn /bin/true first (its child resets every handler)
//   gate-data  the filter's data is 0x5347, the gate's own (gate_trap.h)
//   ignored    SIGSYS ignored before the first call: the kernel forces the
//              trap's SIGSYS, so the process dies by it (status 159)
//   blocked    SIGSYS blocked instead: the same
//   escape-hatch  the filter lets getppid through from one syscall
//              instruction of the program's, which the handler re-issues it
//              from (Chromium's way): the handler's call returns the parent
//
//   trapping_filter [HOW]     -> a line per step on stdout
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static void say(const char* what) {
  if (write(1, what, strlen(what)) < 0) _exit(3);
}

// escape-hatch: the one syscall instruction the filter lets getppid through from.
long hatch(long nr);
extern char hatch_resume[];
__asm__(".text\n.globl hatch\nhatch:\n  mov %rdi, %rax\n  syscall\n.globl hatch_resume\nhatch_resume:\n  ret\n");
static int use_hatch;

static void emulate(int sig, siginfo_t* info, void* context) {
  (void)sig;
  char line[96];
  snprintf(line, sizeof line, "SIGSYS si_code=%d si_errno=%d nr=%d\n", info->si_code, info->si_errno, info->si_syscall);
  say(line);
  ((ucontext_t*)context)->uc_mcontext.gregs[REG_RAX] = use_hatch ? hatch(info->si_syscall) > 1 ? 4343 : -1 : 4242;
}

static void call(const char* who) {
  char line[64];
  snprintf(line, sizeof line, "%s: getppid %ld\n", who, syscall(SYS_getppid));
  say(line);
}

static void* in_a_thread(void* arg) {
  call("thread");
  return arg;
}

int main(int argc, char** argv) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = emulate;
  action.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &action, NULL) != 0) return 2;
  const char* how = argc >= 2 ? argv[1] : "";
  if (strcmp(how, "image") == 0) {
    call("image");  // the filter survived the exec
    return 0;
  }
  const unsigned long resume = (unsigned long)hatch_resume;  // seccomp's instruction_pointer: after the syscall
  use_hatch = strcmp(how, "escape-hatch") == 0;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 6),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, use_hatch ? (unsigned)resume : 0, 0, 2),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, use_hatch ? (unsigned)(resume >> 32) : 0, 2, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | (strcmp(how, "gate-data") == 0 ? 0x5347 : 7)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    perror("seccomp");
    return 1;
  }
  if (strcmp(how, "spawn") == 0) {
    extern char** environ;
    char* const args[] = {"true", NULL};
    pid_t pid;
    int status = 0;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0 || waitpid(pid, &status, 0) != pid) return 7;
  }
  if (strcmp(how, "ignored") == 0) signal(SIGSYS, SIG_IGN);
  if (strcmp(how, "blocked") == 0) {
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    sigprocmask(SIG_BLOCK, &sys, NULL);
  }
  call("main");
  pthread_t t;
  if (pthread_create(&t, NULL, in_a_thread, NULL) != 0) return 4;
  pthread_join(t, NULL);
  const pid_t child = fork();
  if (child == 0) {
    call("child");
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || status != 0) return 5;
  execl("/proc/self/exe", argv[0], "image", (char*)NULL);
  perror("exec");
  return 6;
}
