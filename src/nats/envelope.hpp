#pragma once
// Sans-I/O: what FastStream 0.7 puts in a NATS message's headers (reading them back is
// Message::adopt_standard_headers), and how subscriber subjects and JetStream streams are
// planned. No nats.c here.
//
// On the wire (faststream/nats/publisher/producer.py, parser.py):
//   core publish: headers content-type, correlation_id and the user's; the reply subject is
//                 the NATS reply (not a header).
//   JetStream:    the same plus a `reply_to` header (the NATS reply carries the PubAck), and
//                 Nats-Msg-Id for deduplication (ours; FastStream sets none by default).
//                 It is the message id, never the correlation id: a handler's results carry
//                 the request's correlation id, and deduplication would drop all but one.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/message.hpp"
#include "faststream/nats.hpp"

namespace faststream::nats {

inline constexpr std::string_view kMsgIdHeader = "Nats-Msg-Id";
// Headers of ours on a dead-lettered message (the Redis backend uses the same prefix).
inline constexpr std::string_view kDeadLetterReason = "x-dead-letter-reason";
inline constexpr std::string_view kDeadLetterSource = "x-dead-letter-source";  // the subject
inline constexpr std::string_view kDeadLetterStream = "x-dead-letter-stream";
inline constexpr std::string_view kDeadLetterSequence = "x-dead-letter-sequence";
inline constexpr std::string_view kDeadLetterDeliveries = "x-dead-letter-deliveries";

// The headers of an outgoing message, in order: content-type, correlation_id, (JetStream)
// reply_to, message_id when it differs from the correlation id, Nats-Msg-Id (JetStream: the
// message id, or a fresh UUID when none was given), then the user's (which win over ours when
// they repeat a name).
Headers outgoing_headers(const OutgoingMessage& message, bool jetstream);

// A subscriber's subject: `{name}` placeholders become `*` (each captures one token).
struct SubjectPlan {
  std::string subject;              // what nats.c subscribes to
  std::vector<std::string> params;  // placeholder names, in order
};
// Throws ConfigError naming the subject for empty tokens, whitespace, `>` not last, `{`
// inside a token or an empty name.
SubjectPlan plan_subject(std::string_view destination);

// Whether a concrete subject matches a NATS subject pattern (`*` one token, `>` the rest).
bool subject_matches(std::string_view pattern, std::string_view subject);

// `subjects` without those another one covers (`orders.created` under `orders.>`), in their
// order, each once: the server refuses overlapping subjects in one stream.
std::vector<std::string> without_covered(const std::vector<std::string>& subjects);

// The streams to declare: subscribers naming the same stream share one declaration whose
// subjects are the union of the declared ones, or of the subscribers' subjects when the
// stream lists none. Throws ConfigError when two declarations of one name disagree on
// anything but subjects.
struct StreamUse {
  Stream stream;
  std::string subject;  // the subscriber's NATS subject
};
std::vector<Stream> plan_streams(const std::vector<StreamUse>& uses);

// A consumer that starts at a time. nats.c 3.4 writes a start time's fraction without its
// leading zeros (12:00:00.05 goes out as 12:00:00.5, so the consumer skips what was stored
// in between); these consumers are created with our own JetStream API request instead and
// then bound.
struct StartTimeConsumer {
  std::string stream;
  std::string durable;  // empty: ephemeral (the server names it)
  std::string filter_subject;
  std::string deliver_subject;  // push consumers; empty for pull
  std::string deliver_group;    // push consumers with a queue group
  std::chrono::system_clock::time_point start_time;
  std::chrono::nanoseconds ack_wait{0};
  std::int64_t max_deliver = -1;
  std::int64_t max_ack_pending = 0;  // 0: the server's default
  // Ephemeral consumers: how long the server keeps one nobody reads from (a process that
  // died without deleting it); 0 = the server's default.
  std::chrono::nanoseconds inactive_threshold{0};
};
// `$JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable>`, or `$JS.API.CONSUMER.CREATE.<stream>`.
std::string consumer_create_subject(const StartTimeConsumer& consumer);
// The request's JSON body.
std::string consumer_create_body(const StartTimeConsumer& consumer);
// The created consumer's name from the server's answer; throws std::runtime_error with the
// server's description when it refused.
std::string created_consumer_name(std::string_view response);

// RFC 3339 in UTC with all nine fraction digits, as the server parses it
// (2026-11-28T12:00:00.050000000Z).
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace faststream::nats
