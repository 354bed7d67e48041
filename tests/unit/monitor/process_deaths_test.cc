// monitor::ProcessDeaths with real processes: a child of this test stands for
// a traced process whose parent is not the monitor.
#include "monitor/process_deaths.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sysgate::monitor {
namespace {

pid_t sleeping_child() {
  const pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  return pid;
}

TEST(ProcessDeaths, ReportsAProcessKilledBySignalOnceItsParentReapedIt) {
  ProcessDeaths deaths;
  const pid_t victim = sleeping_child();
  deaths.saw(victim, 100);
  EXPECT_TRUE(deaths.collect(200).empty());  // alive
  kill(victim, SIGPIPE);
  int status = 0;
  waitpid(victim, &status, 0);
  const std::vector<ProcessDeaths::Killed> killed = deaths.collect(300);
  ASSERT_EQ(killed.size(), 1u) << "needs PIDFD_INFO_EXIT (Linux 6.15)";
  EXPECT_EQ(killed[0].pid, victim);
  EXPECT_EQ(killed[0].signal, SIGPIPE);
  EXPECT_FALSE(killed[0].core_dumped);
  EXPECT_EQ(killed[0].tsc, 300u);  // no earlier than the poll that saw it end
  EXPECT_TRUE(deaths.collect(400).empty());  // reported once
}

TEST(ProcessDeaths, IgnoresExitsTheFirstProcessAndTheDead) {
  ProcessDeaths deaths;
  const pid_t exits = fork();
  if (exits == 0) _exit(3);
  const pid_t first = sleeping_child();
  const pid_t announced = sleeping_child();
  deaths.ignore(first);
  deaths.saw(exits, 1);
  deaths.saw(first, 2);
  deaths.saw(announced, 3);
  deaths.exited(announced);  // its exit_group record was read
  for (const pid_t pid : {first, announced}) kill(pid, SIGKILL);
  for (const pid_t pid : {exits, first, announced}) waitpid(pid, nullptr, 0);
  EXPECT_TRUE(deaths.collect(10).empty());
  deaths.saw(999999999, 4);  // no such process: nothing watched
  EXPECT_TRUE(deaths.collect(20).empty());
}

}  // namespace
}  // namespace sysgate::monitor
