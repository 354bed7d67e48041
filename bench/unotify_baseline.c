/* unotify_baseline N: the peer baseline "a seccomp user-notification supervisor".
 *
 * The child installs a filter that sends getppid to a listener and allows
 * everything else; the parent is the supervisor and answers each notification
 * with SECCOMP_USER_NOTIF_FLAG_CONTINUE (run the call as if allowed). The
 * child times N getppid calls and prints ns per call: one full round trip
 * child -> kernel -> supervisor -> kernel -> child per call.
 *
 * The supervisor polls the listener before each RECV, as sysgate's monitor
 * does, because that is how it learns the child has gone: a blocked RECV is
 * not woken when the last task using the filter exits, poll reports POLLHUP.
 *
 * Raw <linux/seccomp.h> and <linux/filter.h> on purpose: this is the floor
 * any user-notification design pays, with nothing of sysgate in it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_clock.h"

static void die(const char* what) {
  fprintf(stderr, "unotify_baseline: %s: %s\n", what, strerror(errno));
  _exit(1);
}

/* getppid -> USER_NOTIF, any other x86-64 call -> ALLOW, other arches -> kill. */
static int install_listener(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS)");
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) die("seccomp(SET_MODE_FILTER, NEW_LISTENER)");
  return (int)fd;
}

static void send_fd(int sock, int fd) {
  char data = 0;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(sock, &msg, 0) != 1) die("sendmsg(listener)");
}

static int recv_fd(int sock) {
  char data = 0;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  if (recvmsg(sock, &msg, 0) != 1) die("recvmsg(listener)");
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "unotify_baseline: child sent no descriptor\n");
    _exit(1);
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

static void child(int sock, long n) {
  int listener = install_listener();
  send_fd(sock, listener);
  close(listener);
  close(sock);
  for (long i = 0; i < bench_warmup(n); i++) syscall(SYS_getppid);
  uint64_t start = bench_now_ns();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  uint64_t elapsed = bench_now_ns() - start;
  printf("%.1f\n", (double)elapsed / (double)n);
  fflush(stdout);
  _exit(0);
}

/* Answers notifications until the child's filter has no task left (POLLHUP). */
static void supervise(int listener) {
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    struct pollfd p = {.fd = listener, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll(listener)");
    }
    if (!(p.revents & POLLIN)) return;  /* POLLHUP: the child is gone */
    memset(&req, 0, sizeof(req));        /* RECV refuses a non-zeroed buffer */
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  /* the caller died meanwhile */
      die("ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT) {
      die("ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  long n = bench_parse_count(argv[0], argv[1]);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(sv[0]);
    child(sv[1], n);
  }
  close(sv[1]);
  int listener = recv_fd(sv[0]);
  close(sv[0]);
  supervise(listener);
  close(listener);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
