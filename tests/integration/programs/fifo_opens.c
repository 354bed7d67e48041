/* Opens a FIFO that waits for its other end while another thread goes on:
 * under sysgate these opens are brokered, and the monitor must not wait with
 * them (tests/integration/fifo_open_test.cc). Usage: fifo_opens MODE DIR, where
 * DIR holds a FIFO "fifo", a regular file "plain" and, for MODE "signal", a
 * FIFO "ready". In every mode a second thread opens DIR/fifo for reading (and
 * prints "fifo: " and what it reads); the main thread, once that thread waits
 * in its open, then:
 *   exit    prints DIR/plain and exits, the other thread still waiting;
 *   signal  prints DIR/plain, writes "ready\n" to DIR/ready (the test's cue to
 *           open DIR/fifo for writing) and waits for the other thread;
 *   pair    opens DIR/fifo for writing itself, writes to it and waits for the
 *           other thread;
 *   kill    kills the process with SIGKILL;
 *   interrupt  interrupts that open with a signal (it fails with EINTR),
 *           waits a second and opens DIR/fifo for writing without blocking,
 *           which fails with ENXIO when no reader is left.
 * Mode "exec" only tries to exec DIR/fifo and prints the error. Mode "lease"
 * takes a write lease on DIR/leased; its second thread opens DIR/leased for
 * reading instead of the FIFO, which waits for the lease to be given up; the
 * main thread prints DIR/plain, then gives the lease up, and waits for the
 * other thread (which prints "leased: " and the file). */
#define _GNU_SOURCE  /* F_SETLEASE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char fifo[4096], plain[4096], ready[4096], leased[4096];

/* Writes prefix and the whole of fd's contents to stdout. */
static int print_from(int fd, const char* prefix) {
  char buf[256];
  ssize_t n;
  if (write(1, prefix, strlen(prefix)) < 0) return -1;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (write(1, buf, (size_t)n) != n) return -1;
  }
  return n < 0 ? -1 : 0;
}

/* What the second thread reads: DIR/fifo, or DIR/leased in mode "lease". */
struct Reading {
  const char* path;
  const char* prefix;
};

/* Opens the file, then prints prefix and its contents (or the open's error). */
static void* reads(void* arg) {
  const struct Reading* r = arg;
  int fd = open(r->path, O_RDONLY);
  if (fd < 0) {
    printf("%s%s\n", r->prefix, strerror(errno));
    fflush(stdout);
    return arg;
  }
  print_from(fd, r->prefix);
  close(fd);
  return arg;
}

static void do_nothing(int sig) { (void)sig; }

static int write_to(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const char* mode = argv[1];
  snprintf(fifo, sizeof fifo, "%s/fifo", argv[2]);
  snprintf(plain, sizeof plain, "%s/plain", argv[2]);
  snprintf(ready, sizeof ready, "%s/ready", argv[2]);
  snprintf(leased, sizeof leased, "%s/leased", argv[2]);
  if (strcmp(mode, "exec") == 0) {
    execl(fifo, "fifo", (char*)0);
    printf("exec: %s\n", strerror(errno));
    return 0;
  }

  int lease = -1;
  if (strcmp(mode, "lease") == 0) {
    signal(SIGIO, do_nothing);  /* the kernel's news that an open waits for the lease */
    lease = open(leased, O_WRONLY);
    if (lease < 0 || fcntl(lease, F_SETLEASE, F_WRLCK) != 0) {
      perror("lease");
      return 1;
    }
  }
  if (strcmp(mode, "interrupt") == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = do_nothing;  /* no SA_RESTART: the open fails with EINTR */
    if (sigaction(SIGUSR1, &action, NULL) != 0) return 1;
  }
  pthread_t reader;
  static struct Reading reading;
  reading.path = lease >= 0 ? leased : fifo;
  reading.prefix = lease >= 0 ? "leased: " : "fifo: ";
  if (pthread_create(&reader, NULL, reads, &reading) != 0) return 1;
  /* Long enough for the reader to be waiting in its open (nothing tells us
   * when it is): the main thread's calls below come after it. */
  usleep(300 * 1000);
  if (strcmp(mode, "kill") == 0) raise(SIGKILL);
  if (strcmp(mode, "interrupt") == 0) {
    pthread_kill(reader, SIGUSR1);
    pthread_join(reader, NULL);
    sleep(1);
    int fd = open(fifo, O_WRONLY | O_NONBLOCK);
    printf("writer: %s\n", fd >= 0 ? "opened" : strerror(errno));
    return 0;
  }
  if (strcmp(mode, "pair") == 0) {
    if (write_to(fifo, "through the fifo\n") != 0) perror("write fifo");
    pthread_join(reader, NULL);
    return 0;
  }

  int fd = open(plain, O_RDONLY);
  if (fd < 0 || print_from(fd, "plain: ") != 0) {
    perror("plain");
    return 1;
  }
  close(fd);
  if (strcmp(mode, "exit") == 0) return 0;  /* exit_group ends the waiting thread */
  if (lease >= 0) {
    fcntl(lease, F_SETLEASE, F_UNLCK);
    close(lease);
    pthread_join(reader, NULL);
    return 0;
  }
  if (strcmp(mode, "signal") == 0) {
    if (write_to(ready, "ready\n") != 0) perror("write ready");
    pthread_join(reader, NULL);
    return 0;
  }
  return 2;
}
