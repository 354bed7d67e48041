// caller_of and credentials_of on real threads of this test: one that keeps
// the process's credentials and ones that change theirs (raw per-thread
// setfsuid, setgroups, capset), as a program that drops its ids does.
#include "monitor/caller_credentials.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace sysgate::monitor {
namespace {

pid_t thread_id() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Runs change on a new thread, then judges that thread from this one while it waits.
Caller judged_after(const std::function<void()>& change) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread other([&] {
    change();
    tid = thread_id();
    while (!done) std::this_thread::yield();
  });
  while (tid == 0) std::this_thread::yield();
  Caller c = caller_of(tid);
  done = true;
  other.join();
  return c;
}

TEST(CallerCredentials, AThreadWithTheMonitorsCredentialsIsTheSame) {
  const std::optional<Credentials> own = credentials_of(thread_id());
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->fsuid, geteuid());
  EXPECT_EQ(own->fsgid, getegid());
  EXPECT_TRUE(caller_of(thread_id()).same_as_monitor);
  const Caller other = judged_after([] {});
  EXPECT_TRUE(other.same_as_monitor);
  EXPECT_EQ(other.tgid, getpid());  // a thread of this process
  ASSERT_TRUE(other.credentials.has_value());
  EXPECT_EQ(*other.credentials, *own);
}

TEST(CallerCredentials, EachChangeTheKernelChecksMakesAThreadAnother) {
  if (geteuid() != 0) GTEST_SKIP() << "changing a thread's ids needs root";
  const Caller fsuid = judged_after([] { syscall(SYS_setfsuid, 65534); });
  EXPECT_FALSE(fsuid.same_as_monitor);
  ASSERT_TRUE(fsuid.credentials.has_value());
  EXPECT_EQ(fsuid.credentials->fsuid, 65534u);

  const Caller fsgid = judged_after([] { syscall(SYS_setfsgid, 65534); });
  EXPECT_FALSE(fsgid.same_as_monitor);
  ASSERT_TRUE(fsgid.credentials.has_value());
  EXPECT_EQ(fsgid.credentials->fsgid, 65534u);

  const Caller groups = judged_after([] {
    const gid_t list[] = {4, 27, 65534};
    syscall(SYS_setgroups, 3, list);
  });
  EXPECT_FALSE(groups.same_as_monitor);
  ASSERT_TRUE(groups.credentials.has_value());
  EXPECT_EQ(groups.credentials->groups, (std::vector<gid_t>{4, 27, 65534}));

  const Caller caps = judged_after([] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    syscall(SYS_capget, &header, data);
    data[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
    syscall(SYS_capset, &header, data);
  });
  EXPECT_FALSE(caps.same_as_monitor);
  ASSERT_TRUE(caps.credentials.has_value());
  EXPECT_EQ(caps.credentials->effective_capabilities & (1ull << CAP_DAC_OVERRIDE), 0u);
}

TEST(CallerCredentials, AThreadThatIsGoneIsNotTheSame) {
  pid_t gone = 0;
  std::thread t([&] { gone = thread_id(); });
  t.join();
  // join returns once the kernel cleared the thread's tid word, a little
  // before it unhashes the task: wait for /proc to stop showing it.
  const std::string task = "/proc/self/task/" + std::to_string(gone);
  for (int i = 0; i < 10000 && access(task.c_str(), F_OK) == 0; ++i) std::this_thread::yield();
  ASSERT_NE(access(task.c_str(), F_OK), 0) << "the thread never went";
  const Caller c = caller_of(gone);
  EXPECT_FALSE(c.same_as_monitor);
  EXPECT_FALSE(c.credentials.has_value());
}

TEST(CallerCredentials, AsCallerRunsWithTheCallersIds) {
  if (geteuid() != 0) GTEST_SKIP() << "taking other ids needs root";
  Credentials nobody;
  nobody.fsuid = 65534;
  nobody.fsgid = 65534;
  nobody.groups = {65534};
  Caller inside;
  ASSERT_TRUE(as_caller(nobody, [&] { inside = caller_of(thread_id()); }));
  ASSERT_TRUE(inside.credentials.has_value());
  EXPECT_EQ(inside.credentials->fsuid, 65534u);
  EXPECT_EQ(inside.credentials->fsgid, 65534u);
  EXPECT_EQ(inside.credentials->groups, std::vector<gid_t>{65534});
  EXPECT_TRUE(caller_of(thread_id()).same_as_monitor);  // this thread kept its own
}

}  // namespace
}  // namespace sysgate::monitor
