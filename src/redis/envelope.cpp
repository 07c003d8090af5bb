#include "redis/envelope.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace faststream::redis::envelope {
namespace {

constexpr std::size_t max_u16 = std::numeric_limits<std::uint16_t>::max();

char* put16(char* p, std::size_t v) noexcept {
  p[0] = static_cast<char>((v >> 8) & 0xff);
  p[1] = static_cast<char>(v & 0xff);
  return p + 2;
}

char* put32(char* p, std::size_t v) noexcept {
  p[0] = static_cast<char>((v >> 24) & 0xff);
  p[1] = static_cast<char>((v >> 16) & 0xff);
  p[2] = static_cast<char>((v >> 8) & 0xff);
  p[3] = static_cast<char>(v & 0xff);
  return p + 4;
}

char* put_bytes(char* p, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

std::size_t get16(std::string_view d, std::size_t at) noexcept {
  auto b = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(d[i]));
  };
  return (b(at) << 8) | b(at + 1);
}

std::size_t get32(std::string_view d, std::size_t at) noexcept {
  auto b = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(d[i]));
  };
  return (b(at) << 24) | (b(at + 1) << 16) | (b(at + 2) << 8) | b(at + 3);
}

// The first bytes of an over-long key, for an error message that names the header.
std::string shown_key(std::string_view key) {
  constexpr std::size_t shown = 40;
  if (key.size() <= shown) return "'" + std::string(key) + "'";
  return "'" + std::string(key.substr(0, shown)) + "...' (" + std::to_string(key.size()) +
         " bytes)";
}

[[noreturn]] void corrupt(const std::string& what) {
  throw EnvelopeError("corrupt FastStream envelope: " + what);
}

// Reads one length-prefixed field of the header block [.., limit) starting at `pos`.
std::string_view read_field(std::string_view data, std::size_t& pos, std::size_t limit,
                            std::size_t header, const char* field) {
  auto where = [&] { return "header " + std::to_string(header) + " " + field; };
  if (pos + 2 > limit) {
    if (pos + 2 > data.size())
      corrupt(where() + " length runs past the end (offset " + std::to_string(pos) + ", size " +
              std::to_string(data.size()) + ")");
    corrupt(where() + " length runs into the body (offset " + std::to_string(pos) +
            ", data offset " + std::to_string(limit) + ")");
  }
  const std::size_t len = get16(data, pos);
  pos += 2;
  if (pos + len > limit) {
    if (pos + len > data.size())
      corrupt(where() + " runs past the end (offset " + std::to_string(pos) + ", length " +
              std::to_string(len) + ", size " + std::to_string(data.size()) + ")");
    corrupt(where() + " runs into the body (offset " + std::to_string(pos) + ", length " +
            std::to_string(len) + ", data offset " + std::to_string(limit) + ")");
  }
  std::string_view out = data.substr(pos, len);
  pos += len;
  return out;
}

// Reads `count` headers from [pos, limit) into `headers`. A repeated key keeps its first
// position and its last value, as FastStream's dict does. Bytes between the last header and
// the body are ignored, as FastStream does (its own encoder leaves such a gap after a
// non-ASCII header, see docs/redis.md).
void read_headers(std::string_view data, std::size_t pos, std::size_t limit, std::size_t count,
                  Headers& headers) {
  constexpr std::size_t few = 16;
  const std::size_t first = pos;
  if (count <= few) {  // the usual case: straight into the headers, looking for repeats
    headers.reserve(count);
    bool repeated = false;
    for (std::size_t i = 1; i <= count && !repeated; ++i) {  // numbered from 1 in messages
      std::string_view key = read_field(data, pos, limit, i, "key");
      std::string_view value = read_field(data, pos, limit, i, "value");
      for (const auto& item : headers) repeated = repeated || item.first == key;
      if (!repeated) headers.add(std::string(key), std::string(value));
    }
    if (!repeated) return;
    headers = Headers{};
    pos = first;
  }
  std::vector<std::pair<std::string_view, std::string_view>> items;
  items.reserve(count);
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 1; i <= count; ++i) {
    std::string_view key = read_field(data, pos, limit, i, "key");
    std::string_view value = read_field(data, pos, limit, i, "value");
    auto [it, inserted] = index.emplace(key, items.size());
    if (inserted)
      items.emplace_back(key, value);
    else
      items[it->second].second = value;
  }
  headers.reserve(items.size());
  for (const auto& [key, value] : items) headers.add(std::string(key), std::string(value));
}

Parsed parse_binary(std::string_view data) {
  const std::size_t size = data.size();
  if (size < preamble_size)
    corrupt("truncated preamble (size " + std::to_string(size) + ", the offsets end at " +
            std::to_string(preamble_size) + ")");
  const std::size_t headers_start = get32(data, 10);
  const std::size_t data_start = get32(data, 14);
  if (headers_start < preamble_size)
    corrupt("header offset " + std::to_string(headers_start) +
            " overlaps the preamble (which ends at " + std::to_string(preamble_size) + ")");
  if (headers_start + 2 > size)
    corrupt("header offset " + std::to_string(headers_start) + " runs past the end (size " +
            std::to_string(size) + ")");
  if (data_start > size)
    corrupt("data offset " + std::to_string(data_start) + " runs past the end (size " +
            std::to_string(size) + ")");
  if (data_start < headers_start + 2)
    corrupt("data offset " + std::to_string(data_start) + " overlaps the header count (at offset " +
            std::to_string(headers_start) + ")");

  const std::size_t count = get16(data, headers_start);
  std::size_t pos = headers_start + 2;
  // Each header takes at least its two length fields.
  if (count * 4 > data_start - pos)
    corrupt("header count " + std::to_string(count) + " too large (needs at least " +
            std::to_string(count * 4) + " bytes, the header block has " +
            std::to_string(data_start - pos) + ")");

  Parsed parsed;
  parsed.format = Parsed::Format::binary;
  parsed.body = data.substr(data_start);
  read_headers(data, headers_start + 2, data_start, count, parsed.headers);
  return parsed;
}

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A header value that is not a JSON string, as JSON text. Doubles are spelled as Python's
// json.dumps does for ordinary values ("2.5", "1.0"), not Boost.JSON's "2.5E0".
std::string json_text(const boost::json::value& v) {
  if (v.is_double()) {
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_double());
    std::string out(buf.data(), end);
    if (ec == std::errc{} && out.find_first_of(".eEn") == std::string::npos) out += ".0";
    return out;
  }
  return boost::json::serialize(v);
}

// FastStream's legacy JSON envelope, or nothing (then the payload is raw).
bool parse_json_envelope(std::string_view data, Parsed& parsed) {
  std::size_t first = 0;
  while (first < data.size() && is_json_space(data[first])) ++first;
  std::size_t last = data.size();
  while (last > first && is_json_space(data[last - 1])) --last;
  if (last - first < 2 || data[first] != '{' || data[last - 1] != '}') return false;
  // No "data" key without the text "data" (or a \u escape that could spell it): skip the
  // JSON parse for the raw JSON objects other producers send.
  if (data.find("\"data\"") == std::string_view::npos && data.find("\\u") == std::string_view::npos)
    return false;

  std::array<unsigned char, 1024> buffer;
  boost::json::monotonic_resource resource(buffer.data(), buffer.size());
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(data, ec, &resource);
  if (ec || !root.is_object()) return false;
  const auto& object = root.get_object();
  const auto* body = object.if_contains("data");
  if (body == nullptr || !body->is_string()) return false;
  const boost::json::object* headers = nullptr;
  if (const auto* h = object.if_contains("headers")) {
    if (!h->is_object()) return false;
    headers = &h->get_object();
  }

  parsed.format = Parsed::Format::json_envelope;
  parsed.storage.assign(body->get_string().data(), body->get_string().size());
  parsed.body = parsed.storage;
  if (headers != nullptr) {
    parsed.headers.reserve(headers->size());
    for (const auto& item : *headers) {
      std::string key(item.key());
      if (item.value().is_string())
        parsed.headers.add(std::move(key), std::string(item.value().get_string()));
      else
        parsed.headers.add(std::move(key), json_text(item.value()));
    }
  }
  return true;
}

bool points_into(std::string_view view, const std::string& s) noexcept {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  return std::greater_equal<const char*>{}(view.data(), b) &&
         std::less_equal<const char*>{}(view.data() + view.size(), e);
}

}  // namespace

void encode(std::string& out, std::string_view body, const Headers& headers) {
  if (headers.size() > max_u16)
    throw std::invalid_argument("Redis envelope: " + std::to_string(headers.size()) +
                                " headers, at most 65535 fit");
  std::size_t header_bytes = 0;
  for (const auto& [key, value] : headers) {
    if (key.size() > max_u16)
      throw std::invalid_argument("Redis envelope: header key " + shown_key(key) +
                                  " is longer than 65535 bytes");
    if (value.size() > max_u16)
      throw std::invalid_argument("Redis envelope: the value of header " + shown_key(key) + " is " +
                                  std::to_string(value.size()) + " bytes, at most 65535 fit");
    header_bytes += 4 + key.size() + value.size();
  }
  const std::size_t data_start = preamble_size + 2 + header_bytes;
  if (data_start > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("Redis envelope: the headers take " + std::to_string(header_bytes) +
                                " bytes, more than the u32 body offset can address");

  out.resize(data_start + body.size());
  char* p = out.data();
  p = put_bytes(p, magic);
  p = put16(p, version);
  p = put32(p, preamble_size);
  p = put32(p, data_start);
  p = put16(p, headers.size());
  for (const auto& [key, value] : headers) {
    p = put16(p, key.size());
    p = put_bytes(p, key);
    p = put16(p, value.size());
    p = put_bytes(p, value);
  }
  put_bytes(p, body);
}

std::string encode(std::string_view body, const Headers& headers) {
  std::string out;
  encode(out, body, headers);
  return out;
}

void encode(std::string& out, const OutgoingMessage& message) {
  Headers headers = message.wire_headers();
  if (!message.message_id.empty()) headers.set(faststream::headers::message_id, message.message_id);
  encode(out, message.body, headers);
}

Parsed parse(std::string_view data) {
  if (data.size() >= 10 && data.substr(0, magic.size()) == magic && get16(data, 8) == version)
    return parse_binary(data);
  Parsed parsed;
  if (parse_json_envelope(data, parsed)) return parsed;
  parsed.format = Parsed::Format::raw;
  parsed.body = data;
  return parsed;
}

std::string_view to_string(Parsed::Format format) noexcept {
  switch (format) {
    case Parsed::Format::binary:
      return "binary";
    case Parsed::Format::json_envelope:
      return "json_envelope";
    case Parsed::Format::raw:
      return "raw";
  }
  return "unknown";
}

Parsed::Parsed(const Parsed& other)
    : body(other.body), headers(other.headers), format(other.format), storage(other.storage) {
  if (points_into(other.body, other.storage))
    body = std::string_view(storage).substr(other.body.data() - other.storage.data(),
                                            other.body.size());
}

Parsed::Parsed(Parsed&& other) noexcept
    : body(other.body), headers(std::move(other.headers)), format(other.format) {
  const bool owned = points_into(other.body, other.storage);
  const std::size_t offset =
      owned ? static_cast<std::size_t>(other.body.data() - other.storage.data()) : 0;
  storage = std::move(other.storage);  // short strings are copied: re-point below
  if (owned) body = std::string_view(storage).substr(offset, body.size());
  other.body = {};
}

Parsed& Parsed::operator=(const Parsed& other) {
  if (this != &other) *this = Parsed(other);
  return *this;
}

Parsed& Parsed::operator=(Parsed&& other) noexcept {
  if (this == &other) return *this;
  const bool owned = points_into(other.body, other.storage);
  const std::size_t offset =
      owned ? static_cast<std::size_t>(other.body.data() - other.storage.data()) : 0;
  body = other.body;
  headers = std::move(other.headers);
  format = other.format;
  storage = std::move(other.storage);
  if (owned) body = std::string_view(storage).substr(offset, body.size());
  other.body = {};
  return *this;
}

}  // namespace faststream::redis::envelope
