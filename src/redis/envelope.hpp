#pragma once
// Sans-I/O wire format of Redis payloads, compatible with Python FastStream 0.7:
//   - the binary envelope (FastStream's BinaryMessageFormatV1), what we publish;
//   - FastStream's legacy JSON envelope {"data": "<text>", "headers": {...}}, accepted;
//   - anything else: the raw bytes with no headers (e.g. JSON from other producers).
// Layout of the binary envelope (all integers big-endian):
//   8 bytes magic "\x89BIN\r\n\x1a\n" | u16 version = 1 | u32 headers_start | u32 data_start
//   at headers_start: u16 header count, then per header u16 key length + key bytes,
//   u16 value length + value bytes | at data_start: the body, to the end of the payload.
// docs/redis.md ("Wire format") explains what we accept and where we differ from FastStream.
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "faststream/message.hpp"

namespace faststream::redis::envelope {

inline constexpr std::string_view magic = "\x89\x42\x49\x4e\r\n\x1a\n";  // \x89 "BIN" CR LF ^Z LF
inline constexpr std::uint16_t version = 1;
// magic + version + headers_start + data_start: where FastStream puts the header block.
inline constexpr std::size_t preamble_size = 18;

// A payload that starts like a binary envelope (magic and version match) but whose offsets
// or lengths do not fit. FastStream silently treats such a payload as raw bytes; we report it,
// because a corrupt envelope is bad input that must be logged and rejected.
class EnvelopeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Replaces `out` with the binary envelope of `body` and `headers` (in their order; duplicates
// are written as given, a FastStream reader keeps the last). Lengths are BYTE lengths (see
// docs/redis.md: FastStream writes Python's len(str), wrong for non-ASCII text).
// Throws std::invalid_argument when a key or value is longer than 65535 bytes, when there are
// more than 65535 headers or when the header block would not fit the u32 body offset.
void encode(std::string& out, std::string_view body, const Headers& headers);
std::string encode(std::string_view body, const Headers& headers);
// An outgoing message as FastStream 0.7.8 writes it: its wire headers (correlation_id,
// content-type, reply_to, then the user's; message_id when one was given) and body.
void encode(std::string& out, const OutgoingMessage& message);

// The result of parse(). `body` is a view: into parse()'s input for the binary and raw
// formats (keep the input alive), into `storage` for the JSON envelope (whose "data" text had
// to be unescaped). Copies and moves re-point `body` at their own `storage`, so a Parsed can
// be passed around freely; it never dangles into another Parsed.
struct Parsed {
  std::string_view body;
  Headers headers;
  enum class Format : std::uint8_t { binary, json_envelope, raw } format = Format::raw;
  // Owns the body when it had to be decoded (JSON envelope); empty otherwise.
  std::string storage;

  Parsed() = default;
  Parsed(const Parsed& other);
  Parsed(Parsed&& other) noexcept;
  Parsed& operator=(const Parsed& other);
  Parsed& operator=(Parsed&& other) noexcept;
  ~Parsed() = default;
};

std::string_view to_string(Parsed::Format format) noexcept;

// Reads a Redis payload. Binary envelope when the magic and version match (header keys and
// values are kept as bytes, valid UTF-8 or not; a repeated key keeps its first position and
// its last value, as FastStream's dict does); else the JSON envelope (an object with a
// string "data" and, optionally, an object "headers"; non-string header values become their
// JSON text); else raw. Throws EnvelopeError for an inconsistent binary envelope.
Parsed parse(std::string_view data);
// A temporary std::string would leave the body dangling: keep the payload in a named object.
template <class S>
requires std::same_as<S, std::string> Parsed parse(S&& data)
= delete;

}  // namespace faststream::redis::envelope
