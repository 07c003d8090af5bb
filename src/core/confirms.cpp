#include "core/confirms.hpp"

#include <fmt/format.h>

#include <utility>

#include "faststream/exceptions.hpp"

namespace faststream::core {

std::string_view to_string(PendingConfirms::Outcome outcome) noexcept {
  switch (outcome) {
    case PendingConfirms::Outcome::confirmed:
      return "confirmed";
    case PendingConfirms::Outcome::nacked:
      return "nacked";
    case PendingConfirms::Outcome::returned:
      return "returned";
    case PendingConfirms::Outcome::lost:
      return "lost";
  }
  return "lost";
}

void PendingConfirms::reset_channel() {
  fail_all("the channel was replaced");
  next_ = 1;
}

std::uint64_t PendingConfirms::add(std::string message_id, Done done) {
  const std::uint64_t tag = next_++;
  pending_.emplace(tag, Entry{std::move(message_id), std::move(done), false, {}});
  return tag;
}

std::size_t PendingConfirms::settle(std::uint64_t tag, bool multiple, Outcome outcome) {
  // Taken out first: a Done may add new publishes.
  std::vector<Entry> done;
  if (multiple) {
    auto end = pending_.upper_bound(tag);
    for (auto it = pending_.begin(); it != end; ++it) done.push_back(std::move(it->second));
    pending_.erase(pending_.begin(), end);
  } else if (auto it = pending_.find(tag); it != pending_.end()) {
    done.push_back(std::move(it->second));
    pending_.erase(it);
  }
  if (done.empty()) ++stale_;
  for (auto& e : done) {
    // An unroutable publish is acked by the broker after its return.
    const Outcome actual =
        e.returned && outcome == Outcome::confirmed ? Outcome::returned : outcome;
    if (e.done) e.done(actual, e.returned ? e.return_reason : std::string());
  }
  return done.size();
}

std::size_t PendingConfirms::ack(std::uint64_t tag, bool multiple) {
  return settle(tag, multiple, Outcome::confirmed);
}

std::size_t PendingConfirms::nack(std::uint64_t tag, bool multiple) {
  return settle(tag, multiple, Outcome::nacked);
}

bool PendingConfirms::mark_returned(const std::string& message_id, std::string reason) {
  // Returns come before the ack of the same publish: the oldest unreturned match is it.
  for (auto& [tag, entry] : pending_) {
    if (entry.message_id == message_id && !entry.returned) {
      entry.returned = true;
      entry.return_reason = std::move(reason);
      return true;
    }
  }
  return false;
}

std::size_t PendingConfirms::fail_all(const std::string& reason) {
  std::map<std::uint64_t, Entry> failing;
  failing.swap(pending_);
  for (auto& [tag, e] : failing)
    if (e.done) e.done(Outcome::lost, reason);
  return failing.size();
}

std::size_t prefetch_for(const SubscriberConfig& config, std::size_t requested) {
  const std::size_t most = config.queue_capacity + config.max_workers;
  if (requested == 0) return config.queue_capacity;
  if (requested > most)
    throw ConfigError(fmt::format(
        "subscriber '{}': prefetch {} is more than its queue ({}) and handlers ({}) can hold; "
        "raise queue_capacity or lower the prefetch",
        config.destination, requested, config.queue_capacity, config.max_workers));
  return requested;
}

}  // namespace faststream::core
