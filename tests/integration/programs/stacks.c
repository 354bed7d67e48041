/* Calls made a few named functions deep, for `sysgate trace -k` against
 * `strace -k` (tests/integration/trace_test.cc): an open and a close from
 * open_twice(), through read_config(); a vfork whose child exits at once
 * (glibc's vfork keeps its return address in a register across the call);
 * a signal raised from signal_self(), whose handler makes a call of its own
 * (the signal arrives inside the gate's tgkill: its stack goes on through the
 * handler's frame into the raising code); and exit_group from main. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) int open_twice(const char* path) {
  const int fd = open(path, O_RDONLY);
  if (fd >= 0) close(fd);
  return fd;
}

__attribute__((noinline)) int read_config(const char* path) {
  const int fd = open_twice(path);
  __asm__ volatile("" ::: "memory");  /* keeps the call a call, not a jump */
  return fd < 0;
}

__attribute__((noinline)) int spawn_and_wait(void) {
  const pid_t child = vfork();
  if (child == 0) _exit(3);
  int status = 0;
  waitpid(child, &status, 0);
  __asm__ volatile("" ::: "memory");
  return WEXITSTATUS(status);
}

static volatile int g_parent;

__attribute__((noinline)) void on_usr1(int sig) {
  (void)sig;
  g_parent = getppid();
}

__attribute__((noinline)) int signal_self(void) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  __asm__ volatile("" ::: "memory");
  return g_parent > 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const int failed = read_config(argc > 1 ? argv[1] : "/etc/hostname");
  const int status = spawn_and_wait();
  return failed + (status == 3 ? 0 : 1) + signal_self();
}
