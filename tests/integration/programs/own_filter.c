// A program that sandboxes itself with a seccomp filter of its own, as
// minijail, bwrap --seccomp or a browser does, and then starts a thread, forks
// and execs itself. Its filter answers PR_SET_SYSCALL_USER_DISPATCH, which it
// never makes, as MODE says: "eperm" refuses it, "fake" answers 0 without
// doing it, "kill" kills the process; "eperm-unseen" refuses it, from a
// filter installed through the gate's own `syscall; ret` (the loader's code
// at its fixed address), which the gate never sees. With "tsync" as the
// second argument the filter is installed with SECCOMP_FILTER_FLAG_TSYNC while
// a second thread already runs, which then starts a thread of its own.
//
//   own_filter MODE [tsync]     -> "thread", "child", "image" lines on stdout
//
// Under `sysgate trace -f` each of those writes must be in the trace.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char* what) {
  if (write(1, what, strlen(what)) < 0) _exit(3);
}

static void* thread_says(void* what) {
  say(what);
  return NULL;
}

// seccomp(op, flags, prog) through the first `syscall; ret` in the loader's
// code (docs/loader.md: 0x100000000000 up); -ENOSYS if there is none (native).
static long seccomp_unseen(unsigned long op, unsigned long flags, void* prog) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return -ENOSYS;
  char line[512];
  unsigned long gadget = 0;
  while (gadget == 0 && fgets(line, sizeof line, maps) != NULL) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x') continue;
    if (lo < 0x100000000000ul || lo >= 0x100001000000ul) continue;
    for (unsigned long p = lo; p + 3 <= hi && gadget == 0; ++p) {
      const unsigned char* b = (const unsigned char*)p;
      if (b[0] == 0x0f && b[1] == 0x05 && b[2] == 0xc3) gadget = p;
    }
  }
  fclose(maps);
  if (gadget == 0) return -ENOSYS;
  long ret;
  __asm__ volatile("call *%[gadget]"
                   : "=a"(ret)
                   : "a"((long)SYS_seccomp), "D"(op), "S"(flags), "d"(prog), [gadget] "r"(gadget)
                   : "rcx", "r11", "memory");
  return ret;
}

static int filter_installed[2];  // a pipe: the early thread waits on it

// Started before the filter: with tsync, it gets the filter from the main
// thread and then starts a thread of its own.
static void* early_thread(void* arg) {
  (void)arg;
  char c;
  if (read(filter_installed[0], &c, 1) != 1) _exit(4);
  pthread_t t;
  if (pthread_create(&t, NULL, thread_says, "grandthread\n") != 0) _exit(5);
  pthread_join(t, NULL);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "image") == 0) {
    say("image\n");
    return 0;
  }
  if (argc < 2) return 2;
  const unsigned answer = strcmp(argv[1], "fake") == 0   ? SECCOMP_RET_ERRNO | 0
                          : strcmp(argv[1], "kill") == 0 ? SECCOMP_RET_KILL_PROCESS
                                                         : SECCOMP_RET_ERRNO | 1 /* EPERM */;
  const int tsync = argc >= 3 && strcmp(argv[2], "tsync") == 0;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, answer),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof f / sizeof f[0], f};
  pthread_t early;
  if (tsync && (pipe(filter_installed) != 0 || pthread_create(&early, NULL, early_thread, NULL) != 0)) return 6;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 7;
  const unsigned long flags = tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0;
  long installed = -ENOSYS;
  if (strcmp(argv[1], "eperm-unseen") == 0) installed = seccomp_unseen(SECCOMP_SET_MODE_FILTER, flags, &program);
  if (installed == -ENOSYS) installed = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
  if (installed != 0) {
    perror("seccomp");
    return 8;
  }
  if (tsync) {
    if (write(filter_installed[1], "x", 1) != 1) return 9;
    pthread_join(early, NULL);
  }
  pthread_t t;
  if (pthread_create(&t, NULL, thread_says, "thread\n") != 0) return 10;
  pthread_join(t, NULL);
  const pid_t child = fork();
  if (child < 0) return 11;
  if (child == 0) {
    say("child\n");
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || status != 0) return 12;
  execl("/proc/self/exe", argv[0], "image", (char*)NULL);
  perror("exec");
  return 13;
}
