#pragma once
// Everything a backend (src/<backend>/) may use of the core, in one header: the public
// Transport interface and subscriber hooks (faststream/core.hpp), the broker's event loop,
// inline delivery for TestBroker transports, background tasks, the reply registry, the
// client-side subject matcher, URL text helpers, and the sans-I/O delivery bookkeeping
// (publisher confirms, channel generations, prefetch, committable offsets). A backend includes this
// and its own headers; nothing else from src/core.
#include <memory>
#include <string>
#include <string_view>

#include "core/background.hpp"
#include "core/confirms.hpp"
#include "core/inline_delivery.hpp"
#include "core/offsets.hpp"
#include "core/replies.hpp"
#include "core/subject_match.hpp"
#include "core/url_text.hpp"
#include "faststream/core.hpp"
#include "faststream/exceptions.hpp"

namespace boost::asio {
class io_context;  // <boost/asio/io_context.hpp> where a backend drives sockets
}  // namespace boost::asio

namespace faststream::core {

// A backend's options (a plain struct of its public header) as BackendOptions, named by the
// backend's Tag (`struct Tag { static constexpr std::string_view name = "redis"; }`).
template <class Tag, class Options>
class TaggedOptions final : public BackendOptions {
 public:
  explicit TaggedOptions(Options o) : options(std::move(o)) {}
  std::string_view backend() const noexcept override { return Tag::name; }
  Options options;
};

template <class Tag, class Options>
BackendOptionsPtr tag_options(Options options) {
  return std::make_shared<const TaggedOptions<Tag, Options>>(std::move(options));
}

// The Options a pointer carries; nullptr when none. Another backend's options (or another
// type of this backend's) are a ConfigError naming both, never a wrong cast.
template <class Tag, class Options>
const Options* options_of(const BackendOptionsPtr& native, std::string_view what) {
  if (!native) return nullptr;
  if (auto* tagged = dynamic_cast<const TaggedOptions<Tag, Options>*>(native.get()))
    return &tagged->options;
  throw ConfigError(std::string(what) + ": options of the " + std::string(native->backend()) +
                    " backend given to a " + std::string(Tag::name) + " broker");
}

// Checks that `native` (if any) belongs to `backend` (Transport::protocol()); otherwise a
// ConfigError naming both backends, `what` and `destination`. For the broker-neutral paths
// (BrokerCore::publish, request, start).
void check_backend(const BackendOptionsPtr& native, std::string_view backend, std::string_view what,
                   std::string_view destination);

// The broker's event loop as an Asio context, for a backend's sockets (valid while the broker
// runs: from Transport::start to the end of Transport::close).
boost::asio::io_context& event_loop_io(BrokerCore& broker);

// Fires every pending timer of the broker now (their coroutines see Cancelled), so that
// background loops sleeping on one end at once (Transport::close).
void cancel_timers(BrokerCore& broker);

// Runs one message through a subscriber right now on the calling coroutine (TestBroker's
// inline delivery): the pipeline settles it and then rethrows the handler's error.
Task<void> process_now(SubscriberCore& subscriber, MessagePtr message);

}  // namespace faststream::core
