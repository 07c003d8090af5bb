#pragma once
// Everything a backend (src/<backend>/) may use of the core, in one header: the public
// Transport interface and subscriber hooks (faststream/core.hpp), the broker's event loop,
// inline delivery for TestBroker transports, background tasks, the reply registry, the
// client-side subject matcher and URL text helpers. A backend includes this and its own
// headers; nothing else from src/core.
#include "core/background.hpp"
#include "core/replies.hpp"
#include "core/subject_match.hpp"
#include "core/url_text.hpp"
#include "faststream/core.hpp"
#include "faststream/exceptions.hpp"

namespace boost::asio {
class io_context;  // <boost/asio/io_context.hpp> where a backend drives sockets
}  // namespace boost::asio

namespace faststream::core {

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
