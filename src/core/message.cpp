#include <random>

#include "faststream/message.hpp"

namespace faststream {

void Headers::set(std::string_view name, std::string value) {
  erase(name);
  items_.emplace_back(std::string(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(items_, [&](const value_type& item) { return item.first == name; });
}

std::string_view to_string(Settlement s) noexcept {
  switch (s) {
    case Settlement::none:
      return "none";
    case Settlement::ack:
      return "ack";
    case Settlement::nack:
      return "nack";
    case Settlement::reject:
      return "reject";
  }
  return "unknown";
}

std::optional<std::string_view> Message::header(std::string_view name) const noexcept {
  if (auto v = headers_.get(name)) return v;
  // FastStream's standard headers live in dedicated fields when a backend parsed them out.
  if (name == headers::content_type && !content_type_.empty()) return content_type_;
  if (name == headers::correlation_id && !correlation_id_.empty()) return correlation_id_;
  if (name == headers::reply_to && !reply_to_.empty()) return reply_to_;
  return std::nullopt;
}

std::optional<std::string_view> Message::path_param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params_)
    if (k == name) return std::string_view{v};
  return std::nullopt;
}

bool Message::settle(Settlement s, const NackOptions& options) {
  if (settlement_ != Settlement::none) return false;
  settlement_ = s;
  on_settle(s, options);
  return true;
}
bool Message::ack() {
  return settle(Settlement::ack, {});
}
bool Message::nack(NackOptions options) {
  return settle(Settlement::nack, options);
}
bool Message::reject() {
  return settle(Settlement::reject, {});
}

void Message::adopt_standard_headers() {
  if (auto v = headers_.get(headers::correlation_id)) correlation_id_ = std::string(*v);
  if (auto v = headers_.get(headers::reply_to)) reply_to_ = std::string(*v);
  if (auto v = headers_.get(headers::content_type)) content_type_ = std::string(*v);
  if (auto v = headers_.get(headers::message_id)) message_id_ = std::string(*v);
  if (correlation_id_.empty()) correlation_id_ = generate_id();
}

Headers OutgoingMessage::wire_headers() const {
  // FastStream's order: correlation_id, content-type, reply_to, then the user's headers (the
  // Redis envelope is then byte for byte what FastStream writes).
  Headers out;
  out.reserve(headers.size() + 3);
  if (!correlation_id.empty()) out.add(std::string(headers::correlation_id), correlation_id);
  if (!content_type.empty()) out.add(std::string(headers::content_type), content_type);
  if (!reply_to.empty()) out.add(std::string(headers::reply_to), reply_to);
  for (const auto& [name, value] : headers) {
    if ((name == headers::correlation_id && !correlation_id.empty()) ||
        (name == headers::content_type && !content_type.empty()) ||
        (name == headers::reply_to && !reply_to.empty()))
      continue;  // the dedicated field wins
    out.add(name, value);
  }
  return out;
}

std::string generate_id() {
  // UUID version 4 (random), as Python's uuid4() that FastStream uses. Formatted by hand:
  // this runs for every published message.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t hi = rng();
  std::uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t bits, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) out[pos++] = kHex[(bits >> (i * 4)) & 0xF];
  };
  put(hi >> 32, 8);
  ++pos;
  put(hi >> 16, 4);
  ++pos;
  put(hi, 4);
  ++pos;
  put(lo >> 48, 4);
  ++pos;
  put(lo, 12);
  return out;
}

}  // namespace faststream
