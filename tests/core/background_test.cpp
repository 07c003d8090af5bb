// core::BackgroundTasks: the count close() waits on, and how a failed task is reported.
#include <gtest/gtest.h>

#include <future>
#include <stdexcept>

#include "core/background.hpp"
#include "core/runtime.hpp"

namespace {

using namespace std::chrono_literals;
using faststream::Task;

Task<void> sleeps(std::chrono::milliseconds d) {
  co_await faststream::sleep(d);
}
Task<void> fails() {
  co_await faststream::sleep(1ms);
  throw std::runtime_error("socket gone");
}
Task<void> cancelled() {
  co_await faststream::sleep(1ms);
  throw faststream::Cancelled();
}

TEST(CoreBackgroundTasks, CountsTasksUntilTheyEndAndLogsOnlyRealFailures) {
  faststream::core::Runtime runtime("background-test");
  runtime.start(1);
  faststream::Logger log(faststream::detail::make_log_sink("bg", faststream::LogLevel::info));
  faststream::core::BackgroundTasks tasks;
  testing::internal::CaptureStderr();
  std::promise<void> spawned;
  runtime.loop().post([&] {
    tasks.spawn(sleeps(200ms), "slow loop", log);
    tasks.spawn(fails(), "read loop", log);
    tasks.spawn(cancelled(), "lease loop", log);
    spawned.set_value();
  });
  spawned.get_future().wait();
  EXPECT_GE(tasks.running(), 1);
  EXPECT_FALSE(tasks.wait(20ms));  // the slow one still sleeps
  EXPECT_TRUE(tasks.wait(5s));
  EXPECT_EQ(tasks.running(), 0);
  runtime.stop();
  const std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find("read loop stopped: socket gone"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("lease loop"), std::string::npos) << logs;  // Cancelled is no failure
  EXPECT_EQ(logs.find("slow loop"), std::string::npos) << logs;
}

TEST(CoreBackgroundTasks, WaitCallsBetweenUntilTheTasksEnd) {
  faststream::core::Runtime runtime("background-test");
  runtime.start(1);
  faststream::Logger log(faststream::detail::make_log_sink("bg", faststream::LogLevel::off));
  faststream::core::BackgroundTasks tasks;
  std::promise<void> spawned;
  runtime.loop().post([&] {
    tasks.spawn(sleeps(10min), "sleeper", log);
    spawned.set_value();
  });
  spawned.get_future().wait();
  int calls = 0;
  // Cancelling the runtime's timers ends the sleeper (Cancelled), as the Redis close does.
  EXPECT_TRUE(tasks.wait(5s, [&] {
    ++calls;
    runtime.cancel_timers();
  }));
  EXPECT_GE(calls, 1);
  EXPECT_EQ(tasks.running(), 0);
  runtime.stop();
}

}  // namespace
