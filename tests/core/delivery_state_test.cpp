// The sans-I/O delivery bookkeeping backends share (src/core/confirms.hpp, offsets.hpp):
// publisher confirms with multiple acks, nacks, returns and channel loss; channel generations
// for settles that arrive after a reconnect; the prefetch rule; committable offsets.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/confirms.hpp"
#include "core/offsets.hpp"
#include "faststream/exceptions.hpp"

namespace {

using faststream::core::ChannelGeneration;
using faststream::core::ContiguousOffsets;
using faststream::core::PendingConfirms;
using Outcome = PendingConfirms::Outcome;

struct Recorder {
  std::map<std::string, Outcome> outcomes;
  std::map<std::string, std::string> details;
  PendingConfirms::Done on(const std::string& id) {
    return [this, id](Outcome o, const std::string& detail) {
      EXPECT_FALSE(outcomes.count(id)) << id << " settled twice";
      outcomes[id] = o;
      details[id] = detail;
    };
  }
};

TEST(PendingConfirms, SequenceNumbersAndSingleAcks) {
  PendingConfirms confirms;
  Recorder r;
  EXPECT_EQ(confirms.add("a", r.on("a")), 1u);
  EXPECT_EQ(confirms.add("b", r.on("b")), 2u);
  EXPECT_EQ(confirms.add("c", r.on("c")), 3u);
  EXPECT_EQ(confirms.ack(2, false), 1u);
  EXPECT_EQ(r.outcomes, (std::map<std::string, Outcome>{{"b", Outcome::confirmed}}));
  EXPECT_EQ(confirms.pending(), 2u);
  EXPECT_EQ(confirms.ack(2, false), 0u);  // again: nothing waits for it
  EXPECT_EQ(confirms.stale(), 1u);
}

TEST(PendingConfirms, MultipleAcksSettleEveryEarlierTag) {
  PendingConfirms confirms;
  Recorder r;
  for (const char* id : {"a", "b", "c", "d"}) confirms.add(id, r.on(id));
  confirms.nack(2, false);               // b refused on its own
  EXPECT_EQ(confirms.ack(3, true), 2u);  // a and c: everything pending up to 3
  EXPECT_EQ(r.outcomes.at("a"), Outcome::confirmed);
  EXPECT_EQ(r.outcomes.at("b"), Outcome::nacked);
  EXPECT_EQ(r.outcomes.at("c"), Outcome::confirmed);
  EXPECT_FALSE(r.outcomes.count("d"));
  EXPECT_EQ(confirms.nack(4, true), 1u);
  EXPECT_EQ(r.outcomes.at("d"), Outcome::nacked);
  EXPECT_EQ(confirms.pending(), 0u);
}

TEST(PendingConfirms, AReturnBeforeTheAckSettlesAsReturned) {
  PendingConfirms confirms;
  Recorder r;
  confirms.add("routed", r.on("routed"));
  confirms.add("unroutable", r.on("unroutable"));
  EXPECT_TRUE(confirms.mark_returned("unroutable", "NO_ROUTE"));
  EXPECT_FALSE(confirms.mark_returned("unknown", "NO_ROUTE"));
  confirms.ack(2, true);
  EXPECT_EQ(r.outcomes.at("routed"), Outcome::confirmed);
  EXPECT_EQ(r.outcomes.at("unroutable"), Outcome::returned);
  EXPECT_EQ(r.details.at("unroutable"), "NO_ROUTE");
}

TEST(PendingConfirms, ALostChannelFailsEveryPendingPublishAndRestartsTheSequence) {
  PendingConfirms confirms;
  Recorder r;
  confirms.add("a", r.on("a"));
  confirms.add("b", r.on("b"));
  confirms.ack(1, false);
  EXPECT_EQ(confirms.fail_all("connection reset"), 1u);
  EXPECT_EQ(r.outcomes.at("b"), Outcome::lost);
  EXPECT_EQ(r.details.at("b"), "connection reset");
  confirms.reset_channel();
  EXPECT_EQ(confirms.add("c", r.on("c")), 1u);  // a new channel counts from 1
  EXPECT_EQ(confirms.ack(1, false), 1u);
  EXPECT_EQ(r.outcomes.at("c"), Outcome::confirmed);
}

TEST(PendingConfirms, ADoneMayPublishAgain) {
  PendingConfirms confirms;
  std::vector<std::uint64_t> retried;
  confirms.add("a", [&](Outcome o, const std::string&) {
    if (o == Outcome::nacked) retried.push_back(confirms.add("a-again", nullptr));
  });
  confirms.nack(1, true);
  EXPECT_EQ(retried, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(confirms.pending(), 1u);
}

TEST(ChannelGeneration, SettlesOfALostChannelAreCountedNoOps) {
  ChannelGeneration generation;
  const auto first = generation.current();
  EXPECT_TRUE(generation.may_settle(first));
  const auto second = generation.advance();
  EXPECT_NE(first, second);
  EXPECT_FALSE(generation.may_settle(first));
  EXPECT_FALSE(generation.may_settle(first));
  EXPECT_TRUE(generation.may_settle(second));
  EXPECT_EQ(generation.stale_settles(), 2u);
}

TEST(Prefetch, DefaultsToTheQueueAndRefusesWhatCouldNeverBeTaken) {
  faststream::SubscriberConfig config;
  config.destination = "jobs";
  config.queue_capacity = 100;
  config.max_workers = 4;
  EXPECT_EQ(faststream::core::prefetch_for(config, 0), 100u);
  EXPECT_EQ(faststream::core::prefetch_for(config, 10), 10u);
  EXPECT_EQ(faststream::core::prefetch_for(config, 104), 104u);
  try {
    (void)faststream::core::prefetch_for(config, 105);
    ADD_FAILURE() << "no ConfigError";
  } catch (const faststream::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("subscriber 'jobs': prefetch 105"), std::string::npos)
        << e.what();
  }
}

TEST(ContiguousOffsets, ALaterOffsetNeverCommitsPastAnUnsettledOne) {
  ContiguousOffsets offsets;
  for (std::int64_t o = 10; o <= 14; ++o) offsets.delivered(3, o);
  EXPECT_EQ(offsets.committable(3), std::nullopt);
  offsets.settled(3, 12);
  offsets.settled(3, 13);
  EXPECT_EQ(offsets.committable(3), std::nullopt);  // 10 and 11 still run
  offsets.settled(3, 10);
  EXPECT_EQ(offsets.committable(3), 11);  // next to consume: 11
  offsets.settled(3, 11);
  EXPECT_EQ(offsets.committable(3), 14);
  offsets.committed(3, 14);
  EXPECT_EQ(offsets.committable(3), std::nullopt);  // nothing new
  offsets.settled(3, 14);
  EXPECT_EQ(offsets.committable(3), 15);
  EXPECT_EQ(offsets.outstanding(3), 0u);
}

TEST(ContiguousOffsets, KeysAreIndependentGapsAreSkippedAndRevokedKeysForgotten) {
  ContiguousOffsets offsets;
  offsets.delivered(0, 5);
  offsets.delivered(0, 9);  // 6-8 compacted away
  offsets.delivered(1, 100);
  offsets.settled(1, 100);
  EXPECT_EQ(offsets.committable(1), 101);
  EXPECT_EQ(offsets.committable(0), std::nullopt);
  offsets.settled(0, 9);
  EXPECT_EQ(offsets.committable(0), std::nullopt);
  offsets.settled(0, 5);
  EXPECT_EQ(offsets.committable(0), 10);
  offsets.forget(0);
  EXPECT_EQ(offsets.committable(0), std::nullopt);
  EXPECT_EQ(offsets.committable(1), 101);
}

TEST(ContiguousOffsets, ASeekBackDeliversAgainFromTheFailedOffset) {
  ContiguousOffsets offsets;
  for (std::int64_t o = 0; o < 4; ++o) offsets.delivered(0, o);
  offsets.settled(0, 0);
  // Offset 1 failed under nack_on_error: the partition is sought back to 1; 2 and 3 were
  // queued and are delivered again with it.
  for (std::int64_t o = 1; o < 4; ++o) offsets.delivered(0, o);
  EXPECT_EQ(offsets.committable(0), 1);
  for (std::int64_t o = 1; o < 4; ++o) offsets.settled(0, o);
  EXPECT_EQ(offsets.committable(0), 4);
}

}  // namespace
