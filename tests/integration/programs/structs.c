/* Makes the calls whose struct arguments `sysgate trace` decodes as strace does
 * (stat, statx, sigaction, signal sets, rlimits, pipes, timespecs, socket addresses,
 * uname, wait statuses, prctl's options, capabilities, seccomp's operations and filters),
 * successful and failing. Used by
 * tests/integration/trace_test.cc against strace. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void handler(int sig) { (void)sig; }

int main(void) {
  struct stat st;
  stat("/dev/null", &st);
  stat("/etc/hostname", &st);
  lstat("/bin", &st);
  stat("/nonexistent", &st);
  struct statx stx;
  statx(AT_FDCWD, "/etc/hostname", AT_SYMLINK_NOFOLLOW, STATX_MODE | STATX_SIZE, &stx);
  statx(AT_FDCWD, "/dev/null", AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_BTIME, &stx);
  syscall(SYS_newfstatat, AT_FDCWD, "/etc/hostname", (struct stat*)8, 0); /* EFAULT: the address */

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART | SA_NODEFER | SA_ONSTACK;
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGRTMIN + 2);
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigfillset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  struct sigaction old;
  sigaction(SIGUSR2, NULL, &old);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, &old);

  sigset_t set, was;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, &was);
  sigfillset(&set);
  sigprocmask(SIG_SETMASK, &set, &was);
  sigemptyset(&set);
  sigprocmask(SIG_SETMASK, &set, NULL);

  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_STACK, &rl);
  prlimit(0, RLIMIT_CORE, NULL, &rl);

  int fds[2];
  pipe(fds);
  pipe2(fds, O_CLOEXEC);

  struct timespec ts = {0, 1000};
  nanosleep(&ts, NULL);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

  int unix_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path, "/nonexistent/sock");
  connect(unix_fd, (struct sockaddr*)&un, sizeof un);
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  memcpy(un.sun_path, "\0sysgate-test-abstract", 22);
  connect(unix_fd, (struct sockaddr*)&un, offsetof(struct sockaddr_un, sun_path) + 22);
  int inet_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in in;
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_port = htons(9);
  in.sin_addr.s_addr = inet_addr("127.0.0.1");
  connect(inet_fd, (struct sockaddr*)&in, sizeof in);
  int inet6_fd = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 in6;
  memset(&in6, 0, sizeof in6);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(9);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  connect(inet6_fd, (struct sockaddr*)&in6, sizeof in6);

  struct utsname u;
  uname(&u);

  int status;
  pid_t child = fork();
  if (child == 0) _exit(3);
  wait4(child, &status, 0, NULL);
  child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  kill(child, SIGKILL);
  wait4(child, &status, 0, NULL);

  // futex: each command shows the arguments it takes (strace's futex.c).
  static uint32_t word = 0, word2 = 0;
  struct timespec short_wait = {0, 1000};
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
  syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
  syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &short_wait, 0, 0);
  syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0, FUTEX_BITSET_MATCH_ANY);
  syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0, 0x5);
  syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &word2, 0);
  syscall(SYS_futex, &word, FUTEX_REQUEUE_PRIVATE, 1, 2, &word2, 0);
  syscall(SYS_futex, &word, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word2, FUTEX_OP(FUTEX_OP_ADD, 7, FUTEX_OP_CMP_GT, 1));
  syscall(SYS_futex, &word, FUTEX_WAKE, 1, 0, 0, 0);
  syscall(SYS_futex, &word, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0);
  syscall(SYS_futex, &word, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0);

  // prctl: each option shows what it takes (strace's prctl.c). Not
  // PR_GET_SECCOMP, whose answer differs under sysgate (a filter is installed).
  char name[16];
  int value;
  void* tid_address;
  prctl(PR_GET_NAME, name);
  prctl(PR_SET_NAME, "exactly15bytes!");        // strace: 15 bytes shown, then "..."
  prctl(PR_SET_NAME, "a-name-of-21-bytes...");
  prctl(PR_GET_NAME, name);
  prctl(PR_SET_NAME, "worker-1");
  prctl(PR_SET_NAME, NULL);
  prctl(PR_GET_DUMPABLE);
  prctl(PR_SET_DUMPABLE, 1);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_GET_PDEATHSIG, &value);
  prctl(PR_SET_PDEATHSIG, 0);
  prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN);
  prctl(PR_SET_KEEPCAPS, 0);
  prctl(PR_GET_KEEPCAPS);
  prctl(PR_SET_TIMERSLACK, 50000);
  prctl(PR_GET_TIMERSLACK);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  prctl(PR_GET_CHILD_SUBREAPER, &value);
  prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
  prctl(PR_GET_TID_ADDRESS, &tid_address);
  prctl(0x12345678, 1, 2, 3, 4);

  // capget/capset: the header, and one or two data structs by its version;
  // a version capget refuses shows as passed (the kernel writes its own back).
  struct __user_cap_header_struct cap_header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  syscall(SYS_capget, &cap_header, caps);
  syscall(SYS_capget, &cap_header, NULL);
  syscall(SYS_capset, &cap_header, caps);  // what it has: nothing changes
  struct __user_cap_header_struct cap_header1 = {_LINUX_CAPABILITY_VERSION_1, 0};
  syscall(SYS_capget, &cap_header1, caps);
  struct __user_cap_header_struct cap_refused = {0x12345678, 0};
  syscall(SYS_capget, &cap_refused, caps);

  // socketpair: the two descriptors it made (with -y, what they name). The
  // pipes' and sockets' descriptors closed first, so that it gets 3 and 4
  // under strace too (whose child inherits the test's 10 and up).
  for (int fd = 3; fd < 10; ++fd) close(fd);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  close(pair[0]);
  close(pair[1]);

  // seccomp and prctl(PR_SET_SECCOMP): operations, a filter's flags and its
  // struct sock_fprog, the action GET_ACTION_AVAIL asks about (read even
  // when the call fails), GET_NOTIF_SIZES's answer, and unknown values. Last
  // in the program: a filter stays for its lifetime, so the ones that go on
  // allow everything, after PR_SET_NO_NEW_PRIVS (sysgate has set it: without
  // it here the filters would fail only natively). Strict mode only once a
  // filter is on, which makes the kernel refuse it (it would kill the program
  // at its next call; under sysgate its own filter is on from the start); no
  // NEW_LISTENER, which sysgate's policy refuses in every mode.
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow};
  uint32_t kill_thread = SECCOMP_RET_KILL_THREAD, log = SECCOMP_RET_LOG, unknown = 0x12340000;
  struct seccomp_notif_sizes sizes;
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kill_thread);
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &log);
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &unknown);     /* EOPNOTSUPP */
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 5, &kill_thread); /* EINVAL, the action shown */
  syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, NULL);         /* EFAULT */
  syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
  syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 1, &sizes);        /* EINVAL: the address */
  syscall(SYS_seccomp, 7, 3, (void*)1);                            /* EINVAL */
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0x80000000u | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_TSYNC,
          &prog);                                                  /* EINVAL */
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0x100, &prog);     /* EINVAL */
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void*)8);      /* EFAULT: the address */
  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0);          /* EFAULT */
  prctl(PR_SET_SECCOMP, 5, &prog, 0, 0);                           /* EINVAL */
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG, &prog);
  syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);          /* EINVAL: a filter is on */
  prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);             /* EINVAL */
  prctl(PR_GET_SECCOMP);  // 2 here under both (sysgate's own filter makes it 2 from the start)
  return 0;
}
