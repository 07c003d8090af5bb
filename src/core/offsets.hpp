#pragma once
// Sans-I/O: which offsets of an ordered log (a Kafka partition) may be committed.
#include <cstdint>
#include <map>
#include <optional>

namespace faststream::core {

// Per ordering key (a Kafka partition), the offset up to which everything delivered has been
// settled: what may be committed. A later offset settling first never moves it past an
// unsettled earlier one. Sans-I/O; one per subscriber, used from one thread at a time.
class ContiguousOffsets {
 public:
  // A message of `key` at `offset` was delivered (offsets of one key increase).
  void delivered(std::uint64_t key, std::int64_t offset);
  // It was handled one way or another (acked, or failed and dead-lettered / let go under the
  // ack policy). A message to be delivered again (seek back) is not settled; it is delivered
  // again at its offset.
  void settled(std::uint64_t key, std::int64_t offset);
  // The next offset to consume for `key`: one past the highest offset below which every
  // delivered one settled. nullopt when nothing of `key` settled since the last commit.
  std::optional<std::int64_t> committable(std::uint64_t key) const;
  // Marks `committable(key)` as committed (the next committable() says nothing new until
  // more settles).
  void committed(std::uint64_t key, std::int64_t next_offset);
  // A revoked partition: forget it (its queued messages were discarded, not settled).
  void forget(std::uint64_t key);
  std::size_t outstanding(std::uint64_t key) const;

 private:
  struct KeyState {
    std::map<std::int64_t, bool> offsets;  // delivered and not below the floor: settled?
    std::optional<std::int64_t> floor;     // everything delivered below it settled
    std::optional<std::int64_t> base;      // the first delivered (or committed) offset
    std::optional<std::int64_t> committed;
  };
  std::map<std::uint64_t, KeyState> keys_;
};

}  // namespace faststream::core
