/* A hostile program for the escape suite: each subcommand attacks one claim.
 * It prints what it achieved; the tests assert that nothing forbidden happened.
 *   victim x32                 an x32-ABI syscall (must be killed)
 *   victim int80               an i386 syscall via int 0x80 (must be killed)
 *   victim open PATH           open PATH read-only and print its contents or the errno
 *   victim toctou OK SECRET N  race a path between an allowed and a secret file N times
 *   victim loosen PATH         install an allow-all filter on top, then open PATH
 *   victim ptrace              attach to the parent (the monitor), write its memory
 *   victim ioctl-high          TIOCSTI with garbage in the upper half of the request
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int print_file(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open %s: errno %d\n", path, errno);
    return 1;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("read %s: %s", path, buf);
  close(fd);
  return 0;
}

static char race_path[4096];
static const char* race_a;
static const char* race_b;
static atomic_int stop;

static void* flipper(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    strcpy(race_path, race_b);
    strcpy(race_path, race_a);
  }
  return NULL;
}

static int toctou(const char* ok, const char* secret, int rounds) {
  race_a = ok;
  race_b = secret;
  strcpy(race_path, ok);
  pthread_t t;
  if (pthread_create(&t, NULL, flipper, NULL) != 0) {
    printf("no thread\n");
    return 2;
  }
  int leaked = 0, opened = 0;
  char secret_content[256] = {0};
  for (int i = 0; i < rounds; ++i) {
    int fd = open(race_path, O_RDONLY);
    if (fd < 0) continue;
    ++opened;
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "SECRET") != NULL) {
      ++leaked;
      memcpy(secret_content, buf, sizeof buf);
    }
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("opened %d leaked %d\n", opened, leaked);
  return leaked ? 1 : 0;
}

static int loosen(const char* path) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  printf("seccomp: %ld\n", r);
  return print_file(path);
}

/* A second supervisor: a stacked filter with its own listener receives the
 * notifications meant for sysgate's monitor (the kernel picks the newest
 * filter's listener) and could answer them "continue". */
static int own_listener_fd = -1;
static void* serve_own_listener(void* unused) {
  (void)unused;
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(own_listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return NULL;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(own_listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

static int second_listener(const char* path) {
  struct sock_filter notify_open[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, notify_open};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  printf("seccomp listener: %ld errno %d\n", r, r < 0 ? errno : 0);
  if (r >= 0) {
    own_listener_fd = (int)r;
    pthread_t t;
    pthread_create(&t, NULL, serve_own_listener, NULL);
  }
  return print_file(path);
}

static int attack_parent(void) {
  pid_t parent = getppid();
  long r = ptrace(PTRACE_ATTACH, parent, 0, 0);
  printf("ptrace: %ld errno %d\n", r, r < 0 ? errno : 0);
  char byte = 0;
  struct iovec local = {&byte, 1}, remote = {(void*)0x400000, 1};
  r = process_vm_writev(parent, &local, 1, &remote, 1, 0);
  printf("process_vm_writev: %ld errno %d\n", r, r < 0 ? errno : 0);
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2) return 64;
  const char* what = argv[1];
  if (!strcmp(what, "x32")) {
    long r = syscall(0x40000000 | SYS_getpid);
    printf("x32 getpid returned %ld\n", r);
    return 0;
  }
  if (!strcmp(what, "int80")) {
    long r;
    /* i386 getpid is 20. */
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("int80 returned %ld\n", r);
    return 0;
  }
  if (!strcmp(what, "open") && argc == 3) return print_file(argv[2]);
  if (!strcmp(what, "toctou") && argc == 5) return toctou(argv[2], argv[3], atoi(argv[4]));
  if (!strcmp(what, "loosen") && argc == 3) return loosen(argv[2]);
  if (!strcmp(what, "ptrace")) return attack_parent();
  if (!strcmp(what, "second-listener") && argc == 3) return second_listener(argv[2]);
  if (!strcmp(what, "ioctl-high")) {
    char c = 'x';
    long r = syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c);
    printf("ioctl: %ld errno %d\n", r, r < 0 ? errno : 0);
    return 0;
  }
  return 64;
}
