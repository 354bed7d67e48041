// Patterns real programs use that stress the gate: cancellation of a thread
// blocked in a trapped call, siglongjmp out of a handler, a stack-overflow
// handler on an alternate stack (Rust, Go), malloc'd stacks, many signals.
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gate_test_support.h"

namespace sysgate::gate::test {
namespace {

volatile sig_atomic_t g_cleanup_ran = 0;
sigjmp_buf g_jump;
int g_pipe[2];

void cleanup(void*) { g_cleanup_ran = 1; }

volatile sig_atomic_t g_destructor_ran = 0;
struct SetsFlagWhenDestroyed {
  ~SetsFlagWhenDestroyed() { g_destructor_ran = 1; }
};

void* blocked_reader(void*) {
  SetsFlagWhenDestroyed guard;
  pthread_cleanup_push(cleanup, nullptr);
  char c;
  while (read(g_pipe[0], &c, 1) != 0) {
  }
  pthread_cleanup_pop(0);
  return nullptr;
}

TEST(GateCompat, CancellingAThreadBlockedInATrappedRead) {
  TracedRun run = run_traced([] {
    CHILD_CHECK(pipe(g_pipe) == 0);
    pthread_t t;
    CHILD_CHECK(pthread_create(&t, nullptr, blocked_reader, nullptr) == 0);
    usleep(50000);
    CHILD_CHECK(pthread_cancel(t) == 0);
    void* result = nullptr;
    CHILD_CHECK(pthread_join(t, &result) == 0);
    CHILD_CHECK(result == PTHREAD_CANCELED);
    // The forced unwind walked from the cancellation handler through the gate
    // into the thread's frames: cleanup handlers and destructors ran.
    CHILD_CHECK(g_cleanup_ran == 1);
    CHILD_CHECK(g_destructor_ran == 1);
    CHILD_CHECK(syscall(SYS_getppid) > 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

void jump_handler(int) { siglongjmp(g_jump, 1); }

TEST(GateCompat, SiglongjmpOutOfAHandlerThatInterruptedABlockingCall) {
  TracedRun run = run_traced([] {
    CHILD_CHECK(pipe(g_pipe) == 0);
    struct sigaction sa = {};
    sa.sa_handler = jump_handler;
    sigemptyset(&sa.sa_mask);
    CHILD_CHECK(sigaction(SIGALRM, &sa, nullptr) == 0);
    for (int i = 0; i < 20; ++i) {
      if (sigsetjmp(g_jump, 1) == 0) {
        itimerval t = {};
        t.it_value.tv_usec = 5000;
        setitimer(ITIMER_REAL, &t, nullptr);
        char c;
        read(g_pipe[0], &c, 1);  // blocks until the handler jumps out of it
        return 2;
      }
      sigset_t cur;
      CHILD_CHECK(sigprocmask(SIG_SETMASK, nullptr, &cur) == 0);
      CHILD_CHECK(sigismember(&cur, SIGALRM) == 0);  // siglongjmp restored the mask
    }
    CHILD_CHECK(syscall(SYS_getppid) > 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 1u);
}

void overflow_handler(int) {
  const char msg[] = "overflow\n";
  if (write(2, msg, sizeof msg - 1) < 0) _exit(4);
  _exit(3);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int recurse(volatile char* p, int depth) {
  volatile char buf[1024];
  buf[0] = static_cast<char>(depth);
  return recurse(buf, depth + 1) + p[0];
}

TEST(GateCompat, StackOverflowHandlerRunsOnAnAlternateStack) {
  TracedRun run = run_traced([] {
    static char altstack[64 * 1024];
    stack_t ss = {};
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    CHILD_CHECK(sigaltstack(&ss, nullptr) == 0);
    struct sigaction sa = {};
    sa.sa_handler = overflow_handler;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    CHILD_CHECK(sigaction(SIGSEGV, &sa, nullptr) == 0);
    volatile char c = 0;
    return recurse(&c, 0);
  });
  EXPECT_EQ(exit_code(run.status), 3);
  EXPECT_NE(find_with_payload(run.records, SYS_write, 1, "overflow\n"), nullptr);
}

std::atomic<int> g_signals{0};
void count_handler(int) {
  g_signals.fetch_add(1);
  syscall(SYS_getppid);
}

TEST(GateCompat, ManySignalsWhileThreadsTrap) {
  TracedRun run = run_traced([] {
    struct sigaction sa = {};
    sa.sa_handler = count_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    CHILD_CHECK(sigaction(SIGUSR1, &sa, nullptr) == 0);
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    pthread_t workers[4];
    struct Arg {
      std::atomic<bool>* stop;
      std::atomic<int>* failures;
    } arg = {&stop, &failures};
    for (pthread_t& w : workers) {
      CHILD_CHECK(pthread_create(
                      &w, nullptr,
                      [](void* p) -> void* {
                        Arg* a = static_cast<Arg*>(p);
                        const int fd = open("/dev/null", O_RDWR);
                        while (!a->stop->load()) {
                          char buf[8];
                          if (read(fd, buf, sizeof buf) != 0 || write(fd, "x", 1) != 1) a->failures->fetch_add(1);
                        }
                        close(fd);
                        return nullptr;
                      },
                      &arg) == 0);
    }
    for (int i = 0; i < 2000; ++i) {
      pthread_kill(workers[i % 4], SIGUSR1);
      if (i % 100 == 0) usleep(1000);
    }
    stop = true;
    for (pthread_t& w : workers) CHILD_CHECK(pthread_join(w, nullptr) == 0);
    CHILD_CHECK(failures.load() == 0);
    CHILD_CHECK(g_signals.load() > 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
}

struct TreeSummary {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
  bool operator==(const TreeSummary&) const = default;
};

// Walks a tree and reads every regular file: getdents64, openat, newfstatat, read...
TreeSummary summarise(const std::filesystem::path& root) {
  TreeSummary s;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    char buf[4096];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      for (std::streamsize i = 0; i < in.gcount(); ++i) s.checksum = s.checksum * 131 + static_cast<uint8_t>(buf[i]);
      s.bytes += static_cast<uint64_t>(in.gcount());
    }
    ++s.files;
  }
  return s;
}

TEST(GateCompat, DirectoryWalkMatchesANativeRun) {
  const std::filesystem::path root = "/usr/include/linux";
  const TreeSummary native = summarise(root);
  ASSERT_GT(native.files, 100u);
  TracedRun run = run_traced([&] {
    CHILD_CHECK(summarise(root) == native);
    // The same from four threads at once.
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        if (!(summarise(root) == native)) ++mismatches;
      });
    }
    for (std::thread& th : threads) th.join();
    CHILD_CHECK(mismatches.load() == 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_GE(count(run.records, SYS_openat), 5 * native.files);
}

}  // namespace
}  // namespace sysgate::gate::test
