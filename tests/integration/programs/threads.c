/* A second thread that ends on its own (argv[1] "join": it returns, and the
 * main thread joins it) or is ended by the process's exit (argv[1] "exit": it
 * waits in pause() while the main thread calls exit(3)), by a signal
 * (argv[1] "kill": the main thread sends the process SIGTERM) or by an exec
 * (argv[1] "exec": the main thread execs /bin/true; "threadexec": the second
 * thread does, while the main thread waits in pause()); or it keeps running
 * while the main thread's execs fail (argv[1] "execfail"), or the main thread
 * calls getppid while another thread's execs fail ("threadexecfail"); or two
 * threads exec /bin/echo at once, printing "one" or "two" ("twoexec": the
 * kernel lets one exec win and ends the other's thread). Used by
 * tests/integration/trace_test.cc against strace -f: the "+++ exited" line of
 * each thread. */
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started = PTHREAD_COND_INITIALIZER;
static int running;

static void* returns(void* arg) { return arg; }

static volatile int stop;

static void* spins(void* arg) {
  while (!stop) getppid();
  return arg;
}

static void* fails(void* arg) {
  for (int i = 0; i < 5; ++i) execl("/nonexistent", "nonexistent", (char*)0);
  stop = 1;
  return arg;
}

static void* execs(void* arg) {
  usleep(20000);  // let the main thread reach pause()
  execl("/bin/true", "true", (char*)0);
  return arg;
}

static pthread_barrier_t together;

static void* echoes(void* word) {
  pthread_barrier_wait(&together);
  execl("/bin/echo", "echo", (const char*)word, (char*)0);
  return word;
}

static void* waits(void* arg) {
  pthread_mutex_lock(&lock);
  running = 1;
  pthread_cond_signal(&started);
  pthread_mutex_unlock(&lock);
  for (;;) pause();
  return arg;
}

static pthread_barrier_t all_here;

static void* waits_for_all(void* arg) {
  getppid();
  pthread_barrier_wait(&all_here);
  return arg;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  pthread_t thread;
  if (strcmp(argv[1], "barrier") == 0 && argc == 3) {
    /* N threads, each makes a call, then all wait for each other. */
    const int n = atoi(argv[2]);
    pthread_t* threads = calloc((size_t)n, sizeof *threads);
    if (threads == NULL || pthread_barrier_init(&all_here, NULL, (unsigned)n + 1) != 0) return 1;
    for (int i = 0; i < n; ++i) {
      if (pthread_create(&threads[i], NULL, waits_for_all, NULL) != 0) return 1;
    }
    pthread_barrier_wait(&all_here);
    for (int i = 0; i < n; ++i) pthread_join(threads[i], NULL);
    printf("all %d threads passed\n", n);
    return 0;
  }
  if (strcmp(argv[1], "join") == 0) {
    if (pthread_create(&thread, NULL, returns, NULL) != 0) return 1;
    pthread_join(thread, NULL);  // returns once the kernel cleared its tid: it has exited
    return 0;
  }
  if (strcmp(argv[1], "execfail") == 0) {
    if (pthread_create(&thread, NULL, spins, NULL) != 0) return 1;
    for (int i = 0; i < 5; ++i) execl("/nonexistent", "nonexistent", (char*)0);
    stop = 1;
    pthread_join(thread, NULL);
    return 0;
  }
  if (strcmp(argv[1], "threadexecfail") == 0) {
    if (pthread_create(&thread, NULL, fails, NULL) != 0) return 1;
    while (!stop) getppid();
    pthread_join(thread, NULL);
    return 0;
  }
  if (strcmp(argv[1], "twoexec") == 0) {
    pthread_t second;
    if (pthread_barrier_init(&together, NULL, 3) != 0) return 1;
    if (pthread_create(&thread, NULL, echoes, "one") != 0) return 1;
    if (pthread_create(&second, NULL, echoes, "two") != 0) return 1;
    pthread_barrier_wait(&together);
    for (;;) pause();
  }
  if (strcmp(argv[1], "threadexec") == 0) {
    if (pthread_create(&thread, NULL, execs, NULL) != 0) return 1;
    for (;;) pause();
  }
  if (pthread_create(&thread, NULL, waits, NULL) != 0) return 1;
  pthread_mutex_lock(&lock);
  while (!running) pthread_cond_wait(&started, &lock);
  pthread_mutex_unlock(&lock);
  usleep(20000);  // let it reach pause()
  if (strcmp(argv[1], "kill") == 0) kill(getpid(), SIGTERM);
  if (strcmp(argv[1], "exec") == 0) execl("/bin/true", "true", (char*)0);
  exit(3);
}
