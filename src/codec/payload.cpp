// Payload layer: text, bytes and JSON bodies with their content types.
#include "codec/internal.hpp"

namespace faststream::codec_detail {

std::string decode_text_payload(std::string_view body, const DecodeOptions& o) {
  static constexpr TypeDesc kString = make_type_desc<std::string>();
  if (body.size() > o.max_message_size) {
    throw_decode_error(kString, "message of " + std::to_string(body.size()) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(o.max_message_size) + " bytes");
  }
  const std::size_t bad = find_invalid_utf8(body);
  if (bad != std::string_view::npos)
    throw_decode_error(kString, "invalid UTF-8 at offset " + std::to_string(bad));
  return std::string(body);
}

void check_bytes_payload(std::string_view body, const DecodeOptions& o) {
  if (body.size() > o.max_message_size) {
    throw DecodeError("Bytes", {FieldError{"", "message of " + std::to_string(body.size()) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(o.max_message_size) + " bytes"}});
  }
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
