#include "core/inline_delivery.hpp"

#include <fmt/format.h>

#include "core/backend.hpp"

namespace faststream::core {

Task<void> InlineDelivery::publish(OutgoingMessage message, Route route, MakeReply make_reply) {
  if (!running_) throw BrokerNotRunning(name_ + " is not running");
  if (message.destination.starts_with(reply_prefix_)) {
    std::string key = message.destination;
    replies_.complete(key, make_reply(std::move(message)));
    co_return;
  }
  auto deliveries = route(message);
  std::exception_ptr first_error;
  for (auto& d : deliveries) {
    try {
      co_await process_now(*d.subscriber, std::move(d.message));
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

Task<MessagePtr> InlineDelivery::request(Transport& transport, OutgoingMessage message,
                                         std::chrono::milliseconds timeout, bool answerable) {
  if (!answerable)
    throw NoResponders(
        fmt::format("no subscriber consumes '{}': nobody can reply", message.destination));
  co_return co_await request_via_publish(transport, replies_, *broker_, std::move(message), timeout,
                                         reply_prefix_);
}

}  // namespace faststream::core
