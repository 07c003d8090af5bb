// libFuzzer target: the Redis payload parser (src/redis/envelope.hpp) on arbitrary bytes.
// It must never crash; EnvelopeError (a corrupt binary envelope) is an expected outcome.
// Whatever parses is re-encoded as a binary envelope and must read back identically.
// Built and run by scripts/run-fuzz.sh (clang++-14, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "faststream/message.hpp"
#include "redis/envelope.hpp"

namespace envelope = faststream::redis::envelope;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  envelope::Parsed parsed;
  try {
    parsed = envelope::parse(data);
  } catch (const envelope::EnvelopeError&) {
    return 0;
  }
  // The body is the input itself, its tail, or (JSON envelope) owned by the result.
  if (parsed.format == envelope::Parsed::Format::raw) check(parsed.body == data);
  if (parsed.format == envelope::Parsed::Format::binary)
    check(parsed.body.data() + parsed.body.size() == data.data() + data.size());
  if (parsed.format == envelope::Parsed::Format::json_envelope)
    check(parsed.body.data() == parsed.storage.data());

  // Round trip: parsed headers have unique keys. Binary ones always fit the format again;
  // JSON-envelope headers may not (a value over 65535 bytes): encode refuses those.
  std::string encoded;
  try {
    envelope::encode(encoded, parsed.body, parsed.headers);
  } catch (const std::invalid_argument&) {
    check(parsed.format == envelope::Parsed::Format::json_envelope);
    return 0;
  }
  const envelope::Parsed again = envelope::parse(encoded);
  check(again.format == envelope::Parsed::Format::binary);
  check(again.body == parsed.body);
  check(again.headers == parsed.headers);
  // A binary envelope we wrote ourselves has no gaps: re-encoding gives the same bytes.
  std::string twice;
  envelope::encode(twice, again.body, again.headers);
  check(twice == encoded);
  return 0;
}
