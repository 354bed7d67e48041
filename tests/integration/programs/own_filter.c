// A program that sandboxes itself with a seccomp filter of its own, as
// minijail or bwrap --seccomp does, and then starts a thread, forks and execs
// itself. Its filter answers PR_SET_SYSCALL_USER_DISPATCH, which it never
// makes, as MODE says: "eperm" refuses it, "fake" answers 0 without doing it,
// "kill" kills the process; "eperm-unseen" refuses it, from a filter
// installed through the gate's own `syscall; ret` (the loader's code at its
// fixed address), which the gate never sees. HOW, if given, is how the filter
// goes on (each from a review of the gate's guard, program_filters.h):
//   tsync          with SECCOMP_FILTER_FLAG_TSYNC while a second thread
//                  already runs, which then starts a thread of its own
//   high-bits      seccomp's operation with bit 32 set (the kernel reads 32)
//   vfork-tsync    first, a vfork child installs an allow-all filter with
//                  TSYNC (its threads are not its parent's)
//   tsync-refused  first, another thread installs an allow-all filter and a
//                  third tries TSYNC, which the kernel refuses (with a tid)
//   tsync-race     with TSYNC while two threads keep starting threads
//
//   own_filter MODE [HOW]     -> "thread", "child", "image" lines on stdout
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

static struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
static struct sock_fprog allow_all_program = {1, allow_all};

// vfork-tsync: the child shares this memory, and its TSYNC reaches only its own threads.
static int vfork_child_installs_with_tsync(void) {
  const pid_t child = vfork();
  if (child == 0) _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &allow_all_program) == 0 ? 0 : 1);
  int status = 0;
  return child > 0 && waitpid(child, &status, 0) == child && status == 0 ? 0 : 1;
}

// tsync-refused: a thread with a filter of its own makes another's TSYNC fail.
static int other_installed[2], other_may_end[2];
static void* installs_and_waits(void* arg) {
  (void)arg;
  char c;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &allow_all_program) != 0) _exit(20);
  if (write(other_installed[1], "i", 1) != 1 || read(other_may_end[0], &c, 1) != 1) _exit(21);
  return NULL;
}
static void* tries_tsync(void* refused) {
  *(long*)refused = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &allow_all_program);
  return NULL;
}
static int tsync_refused(void) {
  pthread_t other, trier;
  long result = 0;
  char c;
  if (pipe(other_installed) != 0 || pipe(other_may_end) != 0) return 1;
  if (pthread_create(&other, NULL, installs_and_waits, NULL) != 0 || read(other_installed[0], &c, 1) != 1) return 1;
  if (pthread_create(&trier, NULL, tries_tsync, &result) != 0) return 1;
  pthread_join(trier, NULL);
  if (write(other_may_end[1], "e", 1) != 1) return 1;
  pthread_join(other, NULL);
  return result > 0 ? 0 : 1;  // the id of the thread in the way
}

// tsync-race: threads start (and end) while the filter goes on.
static volatile int filter_on;
static void* nothing(void* arg) { return arg; }
static void* starts_threads(void* arg) {
  for (int n = 0; !filter_on || n < 50; ++n) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) == 0) pthread_join(t, NULL);
  }
  return arg;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "image") == 0) {
    say("image\n");
    return 0;
  }
  if (argc < 2) return 2;
  const char* how = argc >= 3 ? argv[2] : "";
  const unsigned answer = strcmp(argv[1], "fake") == 0   ? SECCOMP_RET_ERRNO | 0
                          : strcmp(argv[1], "kill") == 0 ? SECCOMP_RET_KILL_PROCESS
                                                         : SECCOMP_RET_ERRNO | 1 /* EPERM */;
  const int tsync = strcmp(how, "tsync") == 0 || strcmp(how, "tsync-race") == 0;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, answer),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 7;
  if (strcmp(how, "vfork-tsync") == 0 && vfork_child_installs_with_tsync() != 0) return 14;
  if (strcmp(how, "tsync-refused") == 0 && tsync_refused() != 0) return 15;
  pthread_t early, starters[2];
  if (strcmp(how, "tsync") == 0 &&
      (pipe(filter_installed) != 0 || pthread_create(&early, NULL, early_thread, NULL) != 0)) {
    return 6;
  }
  if (strcmp(how, "tsync-race") == 0) {
    for (int i = 0; i < 2; ++i) {
      if (pthread_create(&starters[i], NULL, starts_threads, NULL) != 0) return 16;
    }
    usleep(2000);
  }
  const unsigned long flags = tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0;
  const unsigned long op = SECCOMP_SET_MODE_FILTER | (strcmp(how, "high-bits") == 0 ? 1ul << 32 : 0);
  long installed = -ENOSYS;
  if (strcmp(argv[1], "eperm-unseen") == 0) installed = seccomp_unseen(SECCOMP_SET_MODE_FILTER, flags, &program);
  if (installed == -ENOSYS) installed = syscall(SYS_seccomp, op, flags, &program);
  if (installed != 0) {
    perror("seccomp");
    return 8;
  }
  if (strcmp(how, "tsync") == 0) {
    if (write(filter_installed[1], "x", 1) != 1) return 9;
    pthread_join(early, NULL);
  }
  if (strcmp(how, "tsync-race") == 0) {
    filter_on = 1;
    for (int i = 0; i < 2; ++i) pthread_join(starters[i], NULL);
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
