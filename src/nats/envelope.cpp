#include "nats/envelope.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>
#include <stdexcept>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"

namespace faststream::nats {

Headers outgoing_headers(const OutgoingMessage& message, bool jetstream) {
  Headers out;
  out.reserve(message.headers.size() + 5);
  out.add(std::string(headers::content_type), message.content_type);
  if (!message.correlation_id.empty())
    out.add(std::string(headers::correlation_id), message.correlation_id);
  if (jetstream && !message.reply_to.empty())
    out.add(std::string(headers::reply_to), message.reply_to);
  if (!message.message_id.empty() && message.message_id != message.correlation_id)
    out.add(std::string(headers::message_id), message.message_id);
  if (jetstream) {
    // Not the correlation id: results of one request share it, and the stream would store
    // only the first of them. A publish without a message id gets a fresh one.
    out.add(std::string(kMsgIdHeader),
            message.message_id.empty() ? generate_id() : message.message_id);
  }
  for (const auto& [name, value] : message.headers) out.set(name, value);
  return out;
}

SubjectPlan plan_subject(std::string_view destination) {
  if (destination.empty()) throw ConfigError("a NATS subject must not be empty");
  if (destination.find_first_of(" \t\r\n") != std::string_view::npos)
    throw ConfigError(
        fmt::format("subject '{}': NATS subjects contain no whitespace", destination));
  // `>` last, whole-token placeholders (ConfigError otherwise).
  auto pattern = core::Pattern::compile(destination, core::Wildcards::nats);
  if (destination.front() == '.' || destination.back() == '.' ||
      destination.find("..") != std::string_view::npos)
    throw ConfigError(
        fmt::format("subject '{}' has an empty token (two dots in a row, or a "
                    "leading or trailing dot)",
                    destination));
  return {pattern.server_form(), pattern.placeholders()};
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
  if (pattern.empty() || subject.empty()) return false;
  return core::Pattern::compile(pattern, core::Wildcards::nats).match(subject, nullptr);
}

namespace {
bool same_settings(const Stream& a, const Stream& b) {
  return a.storage == b.storage && a.retention == b.retention && a.max_age == b.max_age &&
         a.max_msgs == b.max_msgs && a.max_bytes == b.max_bytes &&
         a.duplicate_window == b.duplicate_window && a.declare == b.declare;
}
}  // namespace

std::vector<Stream> plan_streams(const std::vector<StreamUse>& uses) {
  std::vector<Stream> out;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::set<std::string>> subjects;
  for (const auto& use : uses) {
    const Stream& s = use.stream;
    if (s.name.empty()) throw ConfigError("a JetStream stream needs a name (Stream::name)");
    if (s.name.find_first_of(" .*>\t\r\n") != std::string::npos)
      throw ConfigError(
          fmt::format("stream '{}': a stream name contains no spaces, dots, '*' or '>'", s.name));
    auto [it, inserted] = index.emplace(s.name, out.size());
    if (inserted) {
      out.push_back(s);
      out.back().subjects.clear();
    } else if (!same_settings(out[it->second], s)) {
      throw ConfigError(fmt::format(
          "stream '{}' is declared twice with different settings (storage, retention, limits)",
          s.name));
    }
    auto& set = subjects[s.name];
    if (s.subjects.empty()) {
      set.insert(use.subject);
    } else {
      set.insert(s.subjects.begin(), s.subjects.end());
    }
  }
  for (auto& s : out)
    s.subjects = without_covered({subjects[s.name].begin(), subjects[s.name].end()});
  return out;
}

namespace {
std::vector<std::string_view> tokens_of(std::string_view subject) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto dot = subject.find('.', start);
    out.push_back(subject.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// Whether every subject `specific` matches is also matched by `general` (both may hold
// wildcards): `>` covers one or more tokens of anything, `*` one token but not a `>`.
bool covers(std::string_view general, std::string_view specific) {
  auto g = tokens_of(general);
  auto s = tokens_of(specific);
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (g[i] == ">") return s.size() > i;
    if (i >= s.size()) return false;
    if (g[i] == "*") {
      if (s[i] == ">") return false;
    } else if (g[i] != s[i]) {
      return false;
    }
  }
  return g.size() == s.size();
}
}  // namespace

std::vector<std::string> without_covered(const std::vector<std::string>& subjects) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const auto& subject = subjects[i];
    bool drop = std::find(out.begin(), out.end(), subject) != out.end();
    for (std::size_t j = 0; j < subjects.size() && !drop; ++j)
      drop = subjects[j] != subject && covers(subjects[j], subject);
    if (!drop) out.push_back(subject);
  }
  return out;
}

std::string consumer_create_subject(const StartTimeConsumer& consumer) {
  if (consumer.durable.empty()) return "$JS.API.CONSUMER.CREATE." + consumer.stream;
  return fmt::format("$JS.API.CONSUMER.DURABLE.CREATE.{}.{}", consumer.stream, consumer.durable);
}

std::string consumer_create_body(const StartTimeConsumer& consumer) {
  boost::json::object config{
      {"deliver_policy", "by_start_time"},
      {"opt_start_time", rfc3339_utc(consumer.start_time)},
      {"ack_policy", "explicit"},
      {"ack_wait", consumer.ack_wait.count()},
      {"max_deliver", consumer.max_deliver},
      {"filter_subject", consumer.filter_subject},
      {"replay_policy", "instant"},
  };
  if (!consumer.durable.empty()) config["durable_name"] = consumer.durable;
  if (!consumer.deliver_subject.empty()) config["deliver_subject"] = consumer.deliver_subject;
  if (!consumer.deliver_group.empty()) config["deliver_group"] = consumer.deliver_group;
  if (consumer.max_ack_pending > 0) config["max_ack_pending"] = consumer.max_ack_pending;
  if (consumer.inactive_threshold.count() > 0)
    config["inactive_threshold"] = consumer.inactive_threshold.count();
  return boost::json::serialize(
      boost::json::object{{"stream_name", consumer.stream}, {"config", std::move(config)}});
}

std::string created_consumer_name(std::string_view response) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(response, ec);
  const auto* object = ec ? nullptr : parsed.if_object();
  if (!object) throw std::runtime_error(fmt::format("unreadable answer '{}'", response));
  if (const auto* error = object->if_contains("error")) {
    const auto* description =
        error->is_object() ? error->as_object().if_contains("description") : nullptr;
    throw std::runtime_error(description && description->is_string()
                                 ? std::string(description->as_string())
                                 : boost::json::serialize(*error));
  }
  const auto* name = object->if_contains("name");
  if (!name || !name->is_string())
    throw std::runtime_error(fmt::format("answer without a consumer name '{}'", response));
  return std::string(name->as_string());
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  const auto nanos = std::chrono::floor<std::chrono::nanoseconds>(time);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(nanos);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                     (nanos - seconds).count());
}

}  // namespace faststream::nats
