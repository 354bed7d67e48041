// pthread_cancel of a thread blocked in a call: glibc's cancellation signal
// handler unwinds the thread from inside the call, running its cleanup
// handlers and its C++ destructors on the way out. Under the gate the call
// is made by the gate (a trampoline's, or the SIGSYS handler's), and an
// unwinder that met the gate's code stopped there: none of them ran.
//
//   cancel_program read|nanosleep|pause|suspend|timedwait
//
// Prints how many of its 10 threads were cancelled, and how many cleanup
// handlers and destructors ran.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<int> cleaned{0}, destroyed{0}, started{0};
int pipe_fds[2];
const char* mode;

struct Destroyed {
  ~Destroyed() { destroyed++; }
};

void cleanup(void*) { cleaned++; }

// A frame of its own between the thread's start and the call, with a
// destructor to run.
__attribute__((noinline)) void wait_in_call() {
  Destroyed inner;
  started++;
  for (;;) {
    if (strcmp(mode, "read") == 0) {
      char byte;
      if (read(pipe_fds[0], &byte, 1) < 0) continue;
    } else if (strcmp(mode, "nanosleep") == 0) {
      timespec ts{5, 0};
      nanosleep(&ts, nullptr);
    } else if (strcmp(mode, "pause") == 0) {
      pause();
    } else if (strcmp(mode, "suspend") == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigsuspend(&none);
    } else {
      sigset_t usr2;
      sigemptyset(&usr2);
      sigaddset(&usr2, SIGUSR2);
      timespec ts{5, 0};
      sigtimedwait(&usr2, nullptr, &ts);
    }
  }
}

void* thread_main(void*) {
  Destroyed outer;
  pthread_cleanup_push(cleanup, nullptr);
  wait_in_call();
  pthread_cleanup_pop(0);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: cancel_program read|nanosleep|pause|suspend|timedwait\n");
    return 2;
  }
  mode = argv[1];
  if (pipe(pipe_fds) != 0) return 1;
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, nullptr);
  constexpr int kThreads = 10;
  int cancelled = 0;
  for (int i = 0; i < kThreads; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, thread_main, nullptr) != 0) return 1;
    while (started.load() <= i) usleep(100);
    usleep(2000);  // in the call by now
    pthread_cancel(t);
    void* result;
    pthread_join(t, &result);
    if (result == PTHREAD_CANCELED) cancelled++;
  }
  printf("%s: %d of %d cancelled, %d cleanup handlers, %d destructors\n", mode, cancelled, kThreads, cleaned.load(),
         destroyed.load());
  return 0;
}
