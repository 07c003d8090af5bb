// The shared conformance tests. Every row runs every test: where a row's broker lacks a
// feature, the test asserts what the broker really does instead (a channel does not keep a
// message nobody listens to; a list gives each entry to one consumer). Counting tests assert
// counts: accepted publishes = distinct messages consumed; duplicates are counted and reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "conformance.hpp"
#include "support/models.hpp"

using namespace std::chrono_literals;
using conformance::Fixture;
using conformance::Item;
using conformance::Row;
using fs_test::eventually;

namespace {}  // namespace

namespace conformance {
namespace {
std::vector<std::function<std::vector<Row>()>>& row_makers() {
  static std::vector<std::function<std::vector<Row>()>> makers;
  return makers;
}
}  // namespace

bool register_rows(std::function<std::vector<Row>()> rows) {
  row_makers().push_back(std::move(rows));
  return true;
}

std::vector<Row> registered_rows() {
  std::vector<Row> rows;
  for (const auto& make : row_makers())
    for (auto& r : make()) rows.push_back(std::move(r));
  // Registration order follows link order: sort, so test names and order are stable.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
  return rows;
}
}  // namespace conformance

namespace {

// What one subscriber saw.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> ids;  // in arrival order
  std::size_t count() {
    std::lock_guard lock(mutex);
    return ids.size();
  }
  void add(const std::string& id) {
    std::lock_guard lock(mutex);
    ids.push_back(id);
  }
};

struct Tally {
  std::size_t distinct = 0;
  std::size_t duplicates = 0;
};
Tally tally(const std::vector<std::string>& ids) {
  std::set<std::string> unique(ids.begin(), ids.end());
  return {unique.size(), ids.size() - unique.size()};
}

class Conformance : public ::testing::TestWithParam<Row> {
 protected:
  const conformance::Features& features() const { return GetParam().features; }
  std::unique_ptr<Fixture> make() const { return GetParam().make(); }
};

}  // namespace

TEST_P(Conformance, NoLossAndOrderWithinAConsumer) {
  constexpr int kMessages = 1000;
  auto broker = make();
  auto dest = broker->fresh_destination();
  Seen seen;
  broker->subscribe(dest, "", faststream::AckPolicy::ack,
                    [&](const Item& i, faststream::Message&) { seen.add(i.id); });
  broker->start();
  std::size_t accepted = 0;
  for (int i = 0; i < kMessages; ++i) {
    broker->publish({std::to_string(i), i}, dest);
    ++accepted;
  }
  bool complete = eventually([&] { return seen.count() >= accepted; }, 20s);
  std::this_thread::sleep_for(100ms);  // late duplicates would show up here
  broker->stop();
  auto t = tally(seen.ids);
  RecordProperty("duplicates", static_cast<int>(t.duplicates));
  EXPECT_TRUE(complete);
  EXPECT_EQ(t.distinct, accepted) << "lost " << accepted - t.distinct << " of " << accepted;
  EXPECT_EQ(t.duplicates, 0u) << t.duplicates << " duplicate deliveries";
  if (features().ordering) {
    for (std::size_t i = 0; i < seen.ids.size(); ++i)
      ASSERT_EQ(seen.ids[i], std::to_string(i)) << "out of order at " << i;
  }
}

TEST_P(Conformance, FanOutWithoutGroups) {
  constexpr int kMessages = 50;
  auto broker = make();
  auto dest = broker->fresh_destination();
  Seen a, b;
  broker->subscribe(dest, "", faststream::AckPolicy::ack,
                    [&](const Item& i, faststream::Message&) { a.add(i.id); });
  broker->subscribe(dest, "", faststream::AckPolicy::ack,
                    [&](const Item& i, faststream::Message&) { b.add(i.id); });
  broker->start();
  for (int i = 0; i < kMessages; ++i) broker->publish({std::to_string(i), i}, dest);
  if (features().fan_out) {
    ASSERT_TRUE(eventually([&] { return a.count() >= kMessages && b.count() >= kMessages; }, 10s));
    std::this_thread::sleep_for(100ms);  // late duplicates would show up here
    broker->stop();
    EXPECT_EQ(tally(a.ids).distinct, static_cast<std::size_t>(kMessages));
    EXPECT_EQ(tally(b.ids).distinct, static_cast<std::size_t>(kMessages));
    EXPECT_EQ(a.ids.size(), static_cast<std::size_t>(kMessages)) << "duplicates";
    EXPECT_EQ(b.ids.size(), static_cast<std::size_t>(kMessages)) << "duplicates";
  } else {
    // A work queue: the two subscribers compete; each message is handled once in all.
    ASSERT_TRUE(eventually([&] { return a.count() + b.count() >= kMessages; }, 10s));
    std::this_thread::sleep_for(200ms);
    broker->stop();
    std::vector<std::string> all = a.ids;
    all.insert(all.end(), b.ids.begin(), b.ids.end());
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kMessages));
    EXPECT_EQ(tally(all).distinct, static_cast<std::size_t>(kMessages));
  }
}

TEST_P(Conformance, ConsumersInAGroupSplitTheMessages) {
  constexpr int kMessages = 200;
  auto broker = make();
  auto dest = broker->fresh_destination();
  Seen a, b;
  broker->subscribe(dest, "workers", faststream::AckPolicy::ack,
                    [&](const Item& i, faststream::Message&) { a.add(i.id); });
  broker->subscribe(dest, "workers", faststream::AckPolicy::ack,
                    [&](const Item& i, faststream::Message&) { b.add(i.id); });
  broker->start();
  for (int i = 0; i < kMessages; ++i) broker->publish({std::to_string(i), i}, dest);
  if (!features().consumer_groups) {
    // No groups (pub/sub): a group name changes nothing, both subscribers get everything.
    ASSERT_TRUE(eventually([&] { return a.count() >= kMessages && b.count() >= kMessages; }, 10s));
    std::this_thread::sleep_for(100ms);  // late duplicates would show up here
    broker->stop();
    EXPECT_EQ(tally(a.ids).distinct, static_cast<std::size_t>(kMessages));
    EXPECT_EQ(tally(b.ids).distinct, static_cast<std::size_t>(kMessages));
    EXPECT_EQ(a.ids.size(), static_cast<std::size_t>(kMessages)) << "duplicates";
    EXPECT_EQ(b.ids.size(), static_cast<std::size_t>(kMessages)) << "duplicates";
    return;
  }
  bool complete = eventually([&] { return a.count() + b.count() >= kMessages; }, 10s);
  std::this_thread::sleep_for(100ms);
  broker->stop();
  std::vector<std::string> all = a.ids;
  all.insert(all.end(), b.ids.begin(), b.ids.end());
  auto t = tally(all);
  EXPECT_TRUE(complete);
  EXPECT_EQ(t.distinct, static_cast<std::size_t>(kMessages));
  EXPECT_EQ(t.duplicates, 0u);
}

TEST_P(Conformance, MessagesPublishedBeforeTheSubscriberStartsArrive) {
  constexpr int kMessages = 30;
  auto producer = make();
  auto dest = producer->fresh_destination();
  producer->start();
  for (int i = 0; i < kMessages; ++i) producer->publish({std::to_string(i), i}, dest);
  producer->stop();
  auto consumer = make();
  Seen seen;
  consumer->subscribe(dest, features().consumer_groups ? "late" : "", faststream::AckPolicy::ack,
                      [&](const Item& i, faststream::Message&) { seen.add(i.id); });
  consumer->start();
  if (!features().persistence) {
    // Nobody listened when they were published: they are gone, as the broker does.
    std::this_thread::sleep_for(300ms);
    consumer->stop();
    EXPECT_EQ(seen.count(), 0u);
    return;
  }
  ASSERT_TRUE(eventually([&] { return seen.count() >= kMessages; }, 10s));
  consumer->stop();
  EXPECT_EQ(tally(seen.ids).distinct, static_cast<std::size_t>(kMessages));
}

TEST_P(Conformance, NackedMessagesAreDeliveredAgain) {
  auto broker = make();
  auto dest = broker->fresh_destination();
  std::mutex mutex;
  std::map<std::string, std::vector<std::uint32_t>> deliveries;
  broker->subscribe(dest, "g", faststream::AckPolicy::nack_on_error,
                    [&](const Item& i, faststream::Message& m) {
                      {
                        std::lock_guard lock(mutex);
                        deliveries[i.id].push_back(m.delivery_count());
                      }
                      if (m.delivery_count() == 1) throw std::runtime_error("first try fails");
                    });
  broker->start();
  for (int i = 0; i < 5; ++i) broker->publish({std::to_string(i), i}, dest);
  if (!features().redelivery) {
    // At most once: the failed message is not delivered again.
    ASSERT_TRUE(eventually(
        [&] {
          std::lock_guard lock(mutex);
          return deliveries.size() == 5;
        },
        10s));
    std::this_thread::sleep_for(500ms);
    broker->stop();
    for (auto& [id, d] : deliveries) EXPECT_EQ(d, std::vector<std::uint32_t>{1}) << id;
    return;
  }
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        if (deliveries.size() < 5) return false;
        for (auto& [_, d] : deliveries)
          if (d.size() < 2) return false;
        return true;
      },
      10s));
  broker->stop();
  for (auto& [id, d] : deliveries) {
    EXPECT_EQ(d.front(), 1u) << id;
    EXPECT_GE(d.back(), 2u) << id;
  }
}

TEST_P(Conformance, RequestReply) {
  ASSERT_TRUE(features().rpc) << "every row so far answers requests";
  auto broker = make();
  auto dest = broker->fresh_destination();
  broker->subscribe_replier(dest);
  broker->start();
  for (int i = 0; i < 5; ++i) {
    Item reply = broker->request({"q" + std::to_string(i), i}, dest);
    EXPECT_EQ(reply.id, "q" + std::to_string(i) + "-reply");
    EXPECT_EQ(reply.seq, i + 1);
  }
  broker->stop();
}

INSTANTIATE_TEST_SUITE_P(Rows, Conformance, ::testing::ValuesIn(conformance::registered_rows()),
                         [](const auto& info) { return info.param.name; });
