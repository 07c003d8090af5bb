#pragma once
// Sans-I/O bookkeeping of publisher confirms (RabbitMQ's confirm mode; the shape fits any
// broker that acknowledges publishes by a per-channel sequence): each publish gets the next
// sequence number; the broker's acks and nacks settle one tag or, with `multiple`, every
// pending tag up to it; a message the broker returned as unroutable (mandatory) is marked
// before its ack arrives, and its ack then settles it as returned. When the channel is lost,
// every pending publish fails with an unknown outcome. Shaped like core::ReplyRegistry: the
// transport keeps one per channel and hands each outcome to whoever waits for it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/core.hpp"

namespace faststream::core {

class PendingConfirms {
 public:
  enum class Outcome : std::uint8_t {
    confirmed,  // the broker took responsibility (basic.ack)
    nacked,     // the broker refused it (basic.nack: an internal error, a full queue...)
    returned,   // unroutable: no queue was bound for it (mandatory publish, basic.return)
    lost,       // the channel closed first: it may or may not have been stored
  };
  using Done = std::function<void(Outcome, const std::string& detail)>;

  // A new confirm-mode channel: sequence numbers start at 1 again.
  void reset_channel();
  // Registers the next publish before it is sent; returns its sequence number (delivery tag).
  std::uint64_t add(std::string message_id, Done done);
  // The broker's basic.ack / basic.nack for `tag` (and every earlier pending one if
  // `multiple`). Returns how many publishes it settled; a tag nothing waits for settles
  // none (counted in stale()).
  std::size_t ack(std::uint64_t tag, bool multiple);
  std::size_t nack(std::uint64_t tag, bool multiple);
  // A basic.return (which carries no tag) for the pending publish with this message id:
  // its ack, when it comes, settles it as returned with `reason` (the reply text).
  bool mark_returned(const std::string& message_id, std::string reason);
  // The channel is gone: every pending publish fails as lost with `reason`.
  std::size_t fail_all(const std::string& reason);

  std::size_t pending() const noexcept { return pending_.size(); }
  std::uint64_t stale() const noexcept { return stale_; }
  std::uint64_t next_tag() const noexcept { return next_; }

 private:
  struct Entry {
    std::string message_id;
    Done done;
    bool returned = false;
    std::string return_reason;
  };
  std::size_t settle(std::uint64_t tag, bool multiple, Outcome outcome);

  std::map<std::uint64_t, Entry> pending_;
  std::uint64_t next_ = 1;
  std::uint64_t stale_ = 0;
};

std::string_view to_string(PendingConfirms::Outcome outcome) noexcept;

// A delivery's settle handle (an AMQP delivery tag) means something only on the channel that
// delivered it: after a reconnect the same number names another message. Messages keep the
// generation of the channel they came on; settling one of an older generation is a counted
// no-op (its broker redelivers it), never a settle on the new channel. Thread-safe.
class ChannelGeneration {
 public:
  std::uint64_t current() const noexcept { return current_.load(std::memory_order_acquire); }
  // A new channel (after a reconnect): returns its generation.
  std::uint64_t advance() noexcept { return current_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  // Whether a message of `generation` may be settled now; counts the ones that may not.
  bool may_settle(std::uint64_t generation) noexcept {
    if (generation == current()) return true;
    stale_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::uint64_t stale_settles() const noexcept { return stale_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> current_{1};
  std::atomic<std::uint64_t> stale_{0};
};

// How many unacknowledged messages a backend lets its broker push (AMQP basic.qos prefetch,
// a pull batch): deliveries wait in the subscriber's queue (queue_capacity) or run in its
// handlers (max_workers), so more than queue_capacity + max_workers could never be taken and
// would stall the connection. `requested` 0 means the default, queue_capacity; a larger
// request is a ConfigError naming the subscriber.
std::size_t prefetch_for(const SubscriberConfig& config, std::size_t requested);

}  // namespace faststream::core
