// Payload layer: text, bytes and JSON bodies with their content types.
#include "codec/internal.hpp"

namespace faststream {
std::string oversize_text(std::size_t size, std::size_t limit) {
  return "message of " + std::to_string(size) + " bytes exceeds max_message_size (" +
         std::to_string(limit) + " bytes)";
}
}  // namespace faststream

namespace faststream::codec_detail {

std::string decode_text_payload(std::string_view body, const DecodeOptions& o) {
  static constexpr TypeDesc kString = make_type_desc<std::string>();
  if (body.size() > max_message_size_of(o))
    throw_decode_error(kString, oversize_text(body.size(), max_message_size_of(o)));
  const std::size_t bad = find_invalid_utf8(body);
  if (bad != std::string_view::npos)
    throw_decode_error(kString, "invalid UTF-8 at offset " + std::to_string(bad));
  return std::string(body);
}

void check_bytes_payload(std::string_view body, const DecodeOptions& o) {
  if (body.size() > max_message_size_of(o))
    throw DecodeError("Bytes",
                      {FieldError{"", oversize_text(body.size(), max_message_size_of(o))}});
}

void check_json_content_type(std::string_view ct, const TypeDesc& t) {
  // Accepted: empty (unknown) or any media type mentioning "json" (application/json,
  // application/vnd.x+json, text/json), case-insensitively, parameters ignored.
  const std::string_view media = ct.substr(0, ct.find(';'));
  if (media.find_first_not_of(" \t") == std::string_view::npos) return;
  for (std::size_t i = 0; i + 4 <= media.size(); ++i) {
    auto lower = [&](std::size_t k) { return static_cast<char>(media[i + k] | 0x20); };
    if (lower(0) == 'j' && lower(1) == 's' && lower(2) == 'o' && lower(3) == 'n') return;
  }
  throw_decode_error(t, "unsupported content type " + quote_short(ct) +
                            " for a JSON payload (expected application/json)");
}

}  // namespace faststream::codec_detail
