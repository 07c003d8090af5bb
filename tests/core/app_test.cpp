// App lifespan, graceful drain and signals; Task basics.
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <thread>

#include "support/models.hpp"

using namespace std::chrono_literals;
using fs_test::eventually;
using fs_test::quiet;

TEST(CoreApp, LifespanHooksRunInOrderAroundTheBroker) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker, {.title = "t"}};
  std::vector<std::string> order;
  std::mutex mutex;
  auto note = [&](std::string s) {
    std::lock_guard lock(mutex);
    order.push_back(std::move(s));
  };
  std::atomic<int> handled{0};
  broker.subscriber("x").handle([&](const std::string&) { ++handled; });
  app.on_startup([&] { note(broker.running() ? "on_startup:running" : "on_startup"); });
  app.after_startup([&] {
    note(broker.running() ? "after_startup:running" : "after_startup");
    broker.publish(std::string("hello"), "x").get();
    app.stop();
  });
  app.on_shutdown([&] { note(broker.running() ? "on_shutdown:running" : "on_shutdown"); });
  app.after_shutdown([&] { note(broker.running() ? "after_shutdown:running" : "after_shutdown"); });
  EXPECT_EQ(app.run(), 0);
  EXPECT_EQ(handled, 1);  // the queued message was finished by the drain
  EXPECT_EQ(order, (std::vector<std::string>{"on_startup", "after_startup:running",
                                             "on_shutdown:running", "after_shutdown"}));
}

TEST(CoreApp, FailingStartupHookAbortsWithExitCode1) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker};
  bool after = false;
  broker.subscriber("x").handle([](const std::string&) {});
  app.on_startup([] { throw std::runtime_error("no database"); });
  app.after_startup([&] { after = true; });
  EXPECT_EQ(app.run(), 1);
  EXPECT_FALSE(after);
  EXPECT_FALSE(broker.running());
}

TEST(CoreApp, SigtermDrainsInFlightHandlers) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker};
  std::atomic<int> started{0}, finished{0};
  auto sub = broker.subscriber("slow").max_workers(4);
  sub.handle([&](const std::string&) {
    ++started;
    std::this_thread::sleep_for(100ms);
    ++finished;
  });
  app.after_startup([&] {
    for (int i = 0; i < 8; ++i) broker.publish(std::string("job"), "slow").get();
    std::thread([&] {
      eventually([&] { return started >= 4; });
      std::raise(SIGTERM);
    }).detach();
  });
  EXPECT_EQ(app.run(), 0);
  // Everything accepted was handled and acked before run() returned.
  EXPECT_EQ(finished, 8);
  EXPECT_EQ(sub.stats().acked, 8u);
  EXPECT_EQ(sub.stats().in_flight, 0u);
}

TEST(CoreApp, GracefulTimeoutBoundsTheDrain) {
  auto settings = quiet();
  settings.graceful_timeout = 200ms;
  faststream::memory::Broker broker("memory://", settings);
  std::atomic<int> started{0};
  broker.subscriber("stuck").handle([&](const std::string&) -> faststream::Task<void> {
    ++started;
    return faststream::Task<void>(
        []() -> faststream::Task<void> { co_await faststream::sleep(std::chrono::hours(1)); }());
  });
  broker.start();
  broker.publish(std::string("x"), "stuck").get();
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  broker.stop();  // cancels the sleep after the graceful timeout
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(broker.core().subscribers().front()->stats().failed, 1u);  // Cancelled
}

TEST(CoreApp, MainParsesOptionsAndRejectsUnknownOnes) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker, {.title = "svc"}};
  std::vector<std::string> args{"svc", "--bogus"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  EXPECT_EQ(app.main(static_cast<int>(argv.size()), argv.data()), 2);
  args = {"svc", "run", "--help"};
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStdout();
  EXPECT_EQ(app.main(static_cast<int>(argv.size()), argv.data()), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("--log-level"), std::string::npos);
}

// --- Task -----------------------------------------------------------------------------------

faststream::Task<int> add(int a, int b) {
  co_return a + b;
}
faststream::Task<int> nested(int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await add(i, 1);
  co_return total;
}
faststream::Task<void> fails() {
  co_await faststream::sleep(1ms);
  throw std::runtime_error("task failed");
}

TEST(CoreTask, AwaitsNestsAndPropagatesExceptions) {
  EXPECT_EQ(nested(1000).get(), 1000 * 1001 / 2);
  EXPECT_THROW(fails().get(), std::runtime_error);
}

TEST(CoreTask, SleepWaitsAtLeastTheDuration) {
  auto t0 = std::chrono::steady_clock::now();
  []() -> faststream::Task<void> { co_await faststream::sleep(30ms); }().get();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
}

// --- Access log -----------------------------------------------------------------------------

namespace {
std::string run_one_message(faststream::LogLevel log_level, faststream::LogLevel access_level) {
  auto settings = quiet();
  settings.log_level = log_level;
  settings.access_log_level = access_level;
  faststream::memory::Broker broker("memory://", settings);
  std::atomic<int> done{0};
  broker.subscriber("logged").handle([&](const std::string&) { ++done; });
  testing::internal::CaptureStderr();
  broker.start();
  broker.publish(std::string("x"), "logged").get();
  eventually([&] { return done == 1; });
  broker.stop();
  return testing::internal::GetCapturedStderr();
}
}  // namespace

TEST(CoreAccessLog, LinesFollowTheConfiguredLevels) {
  auto on = run_one_message(faststream::LogLevel::info, faststream::LogLevel::info);
  EXPECT_NE(on.find("logged | "), std::string::npos) << on;
  EXPECT_NE(on.find(" - Received"), std::string::npos) << on;
  EXPECT_NE(on.find(" - Processed in "), std::string::npos) << on;

  auto below = run_one_message(faststream::LogLevel::info, faststream::LogLevel::debug);
  EXPECT_EQ(below.find("Received"), std::string::npos) << below;
  EXPECT_EQ(below.find("Processed"), std::string::npos) << below;

  auto off = run_one_message(faststream::LogLevel::trace, faststream::LogLevel::off);
  EXPECT_EQ(off.find("Received"), std::string::npos) << off;
}
