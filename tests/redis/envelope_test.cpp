// The Redis payload formats (src/redis/envelope.hpp): binary envelope, JSON envelope, raw.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "faststream/message.hpp"
#include "redis/envelope.hpp"

namespace {

using faststream::Headers;
using faststream::redis::envelope::encode;
using faststream::redis::envelope::EnvelopeError;
using faststream::redis::envelope::parse;
using faststream::redis::envelope::Parsed;
using Format = faststream::redis::envelope::Parsed::Format;

std::string from_hex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

std::string u16(std::size_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
std::string u32(std::size_t v) {
  return u16(v >> 16) + u16(v & 0xffff);
}
const std::string kMagic = "\x89\x42\x49\x4e\r\n\x1a\n";

// An envelope assembled field by field, for corrupt variants.
std::string envelope(std::size_t headers_start, std::size_t data_start, std::size_t count,
                     std::string_view rest) {
  return kMagic + u16(1) + u32(headers_start) + u32(data_start) + u16(count) + std::string(rest);
}

std::string parse_error(std::string_view data) {
  try {
    (void)parse(data);
  } catch (const EnvelopeError& e) {
    return e.what();
  }
  return "(no error)";
}

// --- Interop vectors ---------------------------------------------------------------------
// Produced by Python FastStream 0.7.8: BinaryMessageFormatV1.encode(message=..., reply_to=...,
// headers=..., correlation_id=...) with the inputs in each comment, printed as hex by
// tests/redis/make_interop_vectors.py (not run in CI). FastStream orders the headers
// correlation_id, content-type (when the codec sets one), reply_to (when set), then the
// user's headers; dicts are JSON-encoded by its default codec as json.dumps does (spaces).

// message={"id": "o-1", "amount": 2.5}, reply_to=None, headers=None,
// correlation_id="c0ffee00-0000-4000-8000-000000000001"
constexpr std::string_view kPyJsonModel =
    "8942494e0d0a1a0a0001000000120000006a0002000e636f7272656c6174696f6e5f6964002463306666656530"
    "302d303030302d343030302d383030302d303030303030303030303031000c636f6e74656e742d74797065001061"
    "70706c69636174696f6e2f6a736f6e7b226964223a20226f2d31222c2022616d6f756e74223a20322e357d";
// message="hello", reply_to="replies", headers={"x-tenant": "acme", "retry": "3"},
// correlation_id="c0ffee00-0000-4000-8000-000000000002"
constexpr std::string_view kPyTextReplyUserHeaders =
    "8942494e0d0a1a0a000100000012000000910005000e636f7272656c6174696f6e5f6964002463306666656530"
    "302d303030302d343030302d383030302d303030303030303030303032000c636f6e74656e742d74797065000a74"
    "6578742f706c61696e00087265706c795f746f00077265706c6965730008782d74656e616e74000461636d650005"
    "726574727900013368656c6c6f";
// message=b"\x00\x01\xff", reply_to=None, headers=None, correlation_id="cid-3"
constexpr std::string_view kPyBytesNoContentType =
    "8942494e0d0a1a0a0001000000120000002b0001000e636f7272656c6174696f6e5f696400056369642d330001ff";
// message=b"", reply_to=None, headers={"k": ""}, correlation_id="cid-4"
constexpr std::string_view kPyEmptyBody =
    "8942494e0d0a1a0a000100000012000000300002000e636f7272656c6174696f6e5f696400056369642d3400016b"
    "0000";
// message=b"x", reply_to=None, headers={"greeting": "h\u00e9llo"}, correlation_id="cid-5".
// FastStream writes the value's length as 5 (characters) for 6 bytes; data_start is right.
// FastStream's own parser reads it back as greeting="h\u00e9ll", body b"x".
constexpr std::string_view kPyNonAsciiHeader =
    "8942494e0d0a1a0a0001000000120000003d0002000e636f7272656c6174696f6e5f696400056369642d35000867"
    "72656574696e67000568c3a96c6c6f78";

TEST(RedisEnvelopeInterop, ParsesFastStreamJsonModel) {
  const std::string data = from_hex(kPyJsonModel);
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::binary);
  EXPECT_EQ(p.body, R"({"id": "o-1", "amount": 2.5})");
  EXPECT_EQ(p.headers, (Headers{{"correlation_id", "c0ffee00-0000-4000-8000-000000000001"},
                                {"content-type", "application/json"}}));
}

TEST(RedisEnvelopeInterop, ParsesFastStreamReplyAndUserHeaders) {
  const std::string data = from_hex(kPyTextReplyUserHeaders);
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::binary);
  EXPECT_EQ(p.body, "hello");
  EXPECT_EQ(p.headers, (Headers{{"correlation_id", "c0ffee00-0000-4000-8000-000000000002"},
                                {"content-type", "text/plain"},
                                {"reply_to", "replies"},
                                {"x-tenant", "acme"},
                                {"retry", "3"}}));
}

TEST(RedisEnvelopeInterop, ParsesFastStreamBinaryAndEmptyBodies) {
  const std::string bytes = from_hex(kPyBytesNoContentType);
  Parsed p = parse(bytes);
  EXPECT_EQ(p.body, std::string_view("\x00\x01\xff", 3));
  EXPECT_EQ(p.headers, (Headers{{"correlation_id", "cid-3"}}));

  const std::string empty = from_hex(kPyEmptyBody);
  Parsed q = parse(empty);
  EXPECT_EQ(q.format, Format::binary);
  EXPECT_EQ(q.body, "");
  EXPECT_EQ(q.headers, (Headers{{"correlation_id", "cid-4"}, {"k", ""}}));
}

TEST(RedisEnvelopeInterop, EncodesTheSameBytesAsFastStream) {
  EXPECT_EQ(to_hex(encode(R"({"id": "o-1", "amount": 2.5})",
                          Headers{{"correlation_id", "c0ffee00-0000-4000-8000-000000000001"},
                                  {"content-type", "application/json"}})),
            kPyJsonModel);
  EXPECT_EQ(
      to_hex(encode("hello", Headers{{"correlation_id", "c0ffee00-0000-4000-8000-000000000002"},
                                     {"content-type", "text/plain"},
                                     {"reply_to", "replies"},
                                     {"x-tenant", "acme"},
                                     {"retry", "3"}})),
      kPyTextReplyUserHeaders);
  EXPECT_EQ(
      to_hex(encode(std::string_view("\x00\x01\xff", 3), Headers{{"correlation_id", "cid-3"}})),
      kPyBytesNoContentType);
  EXPECT_EQ(to_hex(encode("", Headers{{"correlation_id", "cid-4"}, {"k", ""}})), kPyEmptyBody);
}

// The publish path: an OutgoingMessage with the user's headers set before the standard
// fields is written in FastStream's header order, the same bytes FastStream wrote.
TEST(RedisEnvelopeInterop, OutgoingMessagesAreWrittenInFastStreamsHeaderOrder) {
  faststream::OutgoingMessage reply;
  reply.body = "hello";
  reply.headers = Headers{{"x-tenant", "acme"}, {"retry", "3"}};
  reply.content_type = "text/plain";
  reply.correlation_id = "c0ffee00-0000-4000-8000-000000000002";
  reply.reply_to = "replies";
  std::string out;
  encode(out, reply);
  EXPECT_EQ(to_hex(out), kPyTextReplyUserHeaders);

  faststream::OutgoingMessage model;
  model.body = R"({"id": "o-1", "amount": 2.5})";
  model.content_type = "application/json";
  model.correlation_id = "c0ffee00-0000-4000-8000-000000000001";
  // A stale copy of a standard header among the user's is replaced by the field.
  model.headers = Headers{{"content-type", "text/plain"}};
  out.clear();
  encode(out, model);
  EXPECT_EQ(to_hex(out), kPyJsonModel);
}

TEST(RedisEnvelopeInterop, NonAsciiHeaderFromFastStreamReadsAsFastStreamReadsIt) {
  // The wrong (character) length cuts the value; the byte after it is a gap before the body.
  const std::string data = from_hex(kPyNonAsciiHeader);
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::binary);
  EXPECT_EQ(p.body, "x");
  EXPECT_EQ(p.headers, (Headers{{"correlation_id", "cid-5"}, {"greeting", "h\xc3\xa9ll"}}));
}

TEST(RedisEnvelopeInterop, NonAsciiHeaderWeWriteByteLengths) {
  const std::string ours =
      encode("x", Headers{{"correlation_id", "cid-5"}, {"greeting", "h\xc3\xa9llo"}});
  const std::string theirs = from_hex(kPyNonAsciiHeader);
  ASSERT_EQ(ours.size(), theirs.size());
  // Only the value's length field differs: 6 bytes (ours) against 5 characters (theirs).
  const std::size_t at = ours.find("h\xc3\xa9llo") - 2;
  EXPECT_EQ(ours.substr(at, 2), u16(6));
  EXPECT_EQ(theirs.substr(at, 2), u16(5));
  EXPECT_EQ(ours.substr(0, at), theirs.substr(0, at));
  EXPECT_EQ(ours.substr(at + 2), theirs.substr(at + 2));
  EXPECT_EQ(parse(ours).headers.get("greeting"), "h\xc3\xa9llo");
}

// --- Binary envelope ---------------------------------------------------------------------

TEST(RedisEnvelope, EncodeLayout) {
  const std::string out = encode("body", Headers{{"a", "bc"}});
  const std::string expected = kMagic + u16(1) + u32(18) + u32(20 + 2 + 1 + 2 + 2) + u16(1) +
                               u16(1) + "a" + u16(2) + "bc" + "body";
  EXPECT_EQ(to_hex(out), to_hex(expected));
}

TEST(RedisEnvelope, EncodeWithoutHeaders) {
  EXPECT_EQ(to_hex(encode("", Headers{})), to_hex(kMagic + u16(1) + u32(18) + u32(20) + u16(0)));
  const std::string data = encode("", Headers{});  // parse() views into it
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::binary);
  EXPECT_TRUE(p.body.empty());
  EXPECT_TRUE(p.headers.empty());
}

TEST(RedisEnvelope, EncodeReplacesTheOutput) {
  std::string out = "previous content that is longer than the envelope will be ............";
  encode(out, "b", Headers{});
  EXPECT_EQ(out, encode("b", Headers{}));
  encode(out, "b", Headers{});
  EXPECT_EQ(out, encode("b", Headers{}));
}

TEST(RedisEnvelope, RoundTripKeepsOrderAndBytes) {
  Headers h{{"correlation_id", "1"},
            {"content-type", "application/octet-stream"},
            {"bin", std::string("\x00\xff\xfe", 3)},  // not UTF-8: kept as bytes
            {"", "empty key"},
            {"empty value", ""},
            {"utf8", "\xe2\x82\xac"}};
  const std::string body(
      "\x00payload\x89"
      "BIN",
      12);
  const std::string data = encode(body, h);
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::binary);
  EXPECT_EQ(p.body, body);
  EXPECT_EQ(p.headers, h);
  // The body is a view into the input, not a copy.
  EXPECT_EQ(p.body.data(), data.data() + data.size() - body.size());
  EXPECT_TRUE(p.storage.empty());
}

TEST(RedisEnvelope, RoundTripLongestFields) {
  const std::string key(65535, 'k');
  const std::string value(65535, 'v');
  const std::string data =
      encode("x", Headers{{key, value}, {"b", value}});  // parse() views into it
  Parsed p = parse(data);
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers.get(key), value);
  EXPECT_EQ(p.headers.get("b"), value);
}

TEST(RedisEnvelope, RepeatedKeyKeepsFirstPositionAndLastValue) {
  const std::string data =
      encode("", Headers{{"a", "1"}, {"b", "2"}, {"a", "3"}});  // parse() views into it
  Parsed p = parse(data);
  EXPECT_EQ(p.headers, (Headers{{"a", "3"}, {"b", "2"}}));
}

TEST(RedisEnvelope, ManyHeadersWithRepeats) {
  Headers h;
  for (int i = 0; i < 40; ++i) h.add("k" + std::to_string(i % 25), std::to_string(i));
  const std::string data = encode("", h);  // parse() views into it
  Parsed p = parse(data);
  ASSERT_EQ(p.headers.size(), 25u);
  auto it = p.headers.begin();
  for (int i = 0; i < 25; ++i, ++it) {
    EXPECT_EQ(it->first, "k" + std::to_string(i));
    EXPECT_EQ(it->second, std::to_string(i < 15 ? i + 25 : i));
  }
}

TEST(RedisEnvelope, EncodeRejectsOversizedHeaders) {
  const std::string big(65536, 'x');
  try {
    (void)encode("", Headers{{"token", big}});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'token'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("65536 bytes"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
              std::string::npos)
        << "the value is not echoed";
  }
  try {
    (void)encode("", Headers{{big, "v"}});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("header key 'xxxx"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(65536 bytes)"), std::string::npos) << e.what();
  }
  Headers many;
  for (int i = 0; i < 65536; ++i) many.add("", "");
  EXPECT_THROW((void)encode("", many), std::invalid_argument);
}

TEST(RedisEnvelope, MostHeaders) {
  Headers many;
  for (int i = 0; i < 65535; ++i) many.add("", "");
  const std::string data = encode("z", many);  // parse() views into it
  Parsed p = parse(data);
  EXPECT_EQ(p.headers.size(), 1u);  // all the same key
  EXPECT_EQ(p.body, "z");
}

// --- Corrupt binary envelopes ----------------------------------------------------------------

TEST(RedisEnvelopeCorrupt, ValueRunsPastTheEnd) {
  // Two headers, the second value claims 300 bytes of an 80-byte payload.
  std::string rest = u16(2) + "k1" + u16(2) + "v1" + u16(2) + "k2" + u16(300);
  std::string data = envelope(18, 0, 2, rest);  // the value would start at offset 34
  data.resize(80, 'z');
  const std::size_t data_start = data.size();
  data.replace(14, 4, u32(data_start));
  EXPECT_EQ(parse_error(data),
            "corrupt FastStream envelope: header 2 value runs past the end (offset 34, length "
            "300, size 80)");
}

TEST(RedisEnvelopeCorrupt, ValueRunsIntoTheBody) {
  std::string data = envelope(18, 28, 1, u16(1) + "k" + u16(5) + "abcdefgh");
  EXPECT_EQ(parse_error(data),
            "corrupt FastStream envelope: header 1 value runs into the body (offset 25, length 5, "
            "data offset 28)");
}

TEST(RedisEnvelopeCorrupt, LengthFieldsRunPastTheBlock) {
  // A 5-byte key leaves one byte of the 8-byte header block for the value's length.
  EXPECT_EQ(parse_error(envelope(18, 28, 1, u16(5) + "abcde" + "x")),
            "corrupt FastStream envelope: header 1 value length runs past the end (offset 27, "
            "size 28)");
  EXPECT_EQ(parse_error(envelope(18, 28, 1, u16(5) + "abcde" + "xyz")),
            "corrupt FastStream envelope: header 1 value length runs into the body (offset 27, "
            "data offset 28)");
}

TEST(RedisEnvelopeCorrupt, HeaderCountTooLarge) {
  EXPECT_EQ(parse_error(envelope(18, 28, 5000, std::string(8, '\0'))),
            "corrupt FastStream envelope: header count 5000 too large (needs at least 20000 "
            "bytes, the header block has 8)");
}

TEST(RedisEnvelopeCorrupt, OffsetsOutOfRange) {
  EXPECT_EQ(parse_error(kMagic + u16(1) + u32(18)),
            "corrupt FastStream envelope: truncated preamble (size 14, the offsets end at 18)");
  EXPECT_EQ(parse_error(envelope(10, 20, 0, "")),
            "corrupt FastStream envelope: header offset 10 overlaps the preamble (which ends at "
            "18)");
  EXPECT_EQ(parse_error(envelope(19, 20, 0, "")),
            "corrupt FastStream envelope: header offset 19 runs past the end (size 20)");
  EXPECT_EQ(parse_error(envelope(0xffffffff, 20, 0, "")),
            "corrupt FastStream envelope: header offset 4294967295 runs past the end (size 20)");
  EXPECT_EQ(parse_error(envelope(18, 21, 0, "")),
            "corrupt FastStream envelope: data offset 21 runs past the end (size 20)");
  EXPECT_EQ(parse_error(envelope(18, 19, 0, "")),
            "corrupt FastStream envelope: data offset 19 overlaps the header count (at offset "
            "18)");
}

TEST(RedisEnvelopeCorrupt, EveryTruncationIsReportedOrKeepsAShorterBody) {
  const std::string data =
      encode("the body", Headers{{"correlation_id", "abc"}, {"content-type", "text/plain"}});
  const std::size_t data_start = data.size() - 8;
  for (std::size_t n = 10; n < data.size(); ++n) {
    const std::string cut = data.substr(0, n);
    if (n < data_start) {
      EXPECT_THROW((void)parse(cut), EnvelopeError) << n;
    } else {
      Parsed p = parse(cut);
      EXPECT_EQ(p.body, std::string_view(data).substr(data_start, n - data_start));
      EXPECT_EQ(p.headers.size(), 2u);
    }
  }
}

TEST(RedisEnvelopeCorrupt, GapBeforeTheBodyIsIgnored) {
  // FastStream's reader jumps to data_start, so do we (its writer leaves such gaps).
  const std::string data = envelope(18, 30, 1, u16(1) + "k" + u16(1) + "v" + "GAPG" + "body");
  Parsed p = parse(data);
  EXPECT_EQ(p.body, "body");
  EXPECT_EQ(p.headers, (Headers{{"k", "v"}}));
}

TEST(RedisEnvelopeCorrupt, HeaderBlockAfterAGapIsFound) {
  const std::string data = kMagic + u16(1) + u32(20) + u32(22) + "??" + u16(0) + "b";
  Parsed p = parse(data);
  EXPECT_EQ(p.body, "b");
  EXPECT_TRUE(p.headers.empty());
}

// --- Not a binary envelope ---------------------------------------------------------------------

TEST(RedisEnvelope, OtherVersionOrShortMagicIsRaw) {
  const std::string v2 = kMagic + u16(2) + u32(18) + u32(20) + u16(0);
  Parsed p = parse(v2);
  EXPECT_EQ(p.format, Format::raw);
  EXPECT_EQ(p.body, v2);
  EXPECT_EQ(parse(kMagic).format, Format::raw);
  const std::string magic_and_a_byte = kMagic + std::string(1, '\0');
  EXPECT_EQ(parse(magic_and_a_byte).format, Format::raw);
  EXPECT_EQ(parse(std::string_view(kMagic).substr(0, 7)).format, Format::raw);
}

TEST(RedisEnvelope, RawPayloads) {
  for (std::string_view raw :
       {std::string_view(""), std::string_view("hello"), std::string_view(R"({"id": 1})"),
        std::string_view("[1, 2]"), std::string_view("\"text\""), std::string_view("{not json}")}) {
    Parsed p = parse(raw);
    EXPECT_EQ(p.format, Format::raw) << raw;
    EXPECT_EQ(p.body.data(), raw.data()) << raw;
    EXPECT_EQ(p.body.size(), raw.size()) << raw;
    EXPECT_TRUE(p.headers.empty()) << raw;
  }
}

// --- JSON envelope --------------------------------------------------------------------------

TEST(RedisEnvelopeJson, DataAndHeaders) {
  const std::string data =
      R"( {"data": "{\"id\": 1, \"s\": \"\u00e9\\n\"}", "headers": {"correlation_id": "c1",
          "content-type": "application/json"}, "extra": [1]} )";
  Parsed p = parse(data);
  EXPECT_EQ(p.format, Format::json_envelope);
  EXPECT_EQ(p.body, "{\"id\": 1, \"s\": \"\xc3\xa9\\n\"}");
  EXPECT_EQ(p.headers, (Headers{{"correlation_id", "c1"}, {"content-type", "application/json"}}));
  EXPECT_EQ(p.body.data(), p.storage.data());
}

TEST(RedisEnvelopeJson, HeadersAreOptional) {
  Parsed p = parse(R"({"data": "plain"})");
  EXPECT_EQ(p.format, Format::json_envelope);
  EXPECT_EQ(p.body, "plain");
  EXPECT_TRUE(p.headers.empty());
}

TEST(RedisEnvelopeJson, NonStringHeaderValuesBecomeJsonText) {
  Parsed p = parse(
      R"({"data": "", "headers": {"i": 5, "neg": -7, "b": true, "n": null, "f": 2.5, "g": 1.0,
          "o": {"a": [1, "x"]}}})");
  EXPECT_EQ(p.format, Format::json_envelope);
  EXPECT_EQ(p.headers, (Headers{{"i", "5"},
                                {"neg", "-7"},
                                {"b", "true"},
                                {"n", "null"},
                                {"f", "2.5"},
                                {"g", "1.0"},
                                {"o", R"({"a":[1,"x"]})"}}));
}

TEST(RedisEnvelopeJson, NotAnEnvelopeIsRaw) {
  for (std::string_view raw :
       {R"({"data": 5})", R"({"data": {"a": 1}})", R"({"data": "x", "headers": [1]})",
        R"({"data": "x", "headers": null})", R"({"headers": {}})", R"([{"data": "x"}])",
        R"({"data": "x")", R"({"data": "x"} trailing)"}) {
    Parsed p = parse(raw);
    EXPECT_EQ(p.format, Format::raw) << raw;
    EXPECT_EQ(p.body, raw);
  }
  // Invalid UTF-8 inside the JSON text: not JSON, so raw (FastStream's json.loads agrees).
  const std::string bad = std::string(R"({"data": ")") + "\xff" + R"("})";
  EXPECT_EQ(parse(bad).format, Format::raw);
}

// --- Parsed owns what it must ------------------------------------------------------------------

TEST(RedisEnvelopeParsed, CopiesAndMovesKeepTheirOwnBody) {
  for (std::string text : {std::string("short"), std::string(100, 'L')}) {
    const std::string json = R"({"data": ")" + text + R"("})";
    auto make = [&] { return parse(json); };
    Parsed a = make();
    Parsed b = a;  // copy
    EXPECT_EQ(b.body, text);
    EXPECT_EQ(b.body.data(), b.storage.data());
    Parsed c = std::move(a);  // move (SSO strings move by copy)
    EXPECT_EQ(c.body, text);
    EXPECT_EQ(c.body.data(), c.storage.data());
    Parsed d;
    d = c;
    EXPECT_EQ(d.body.data(), d.storage.data());
    Parsed e;
    e = std::move(d);
    EXPECT_EQ(e.body, text);
    EXPECT_EQ(e.body.data(), e.storage.data());
    const Parsed& same = b;
    b = same;  // self-assignment
    EXPECT_EQ(b.body, text);
  }
}

TEST(RedisEnvelopeParsed, ViewsIntoTheInputSurviveMoves) {
  const std::string data = encode("payload", Headers{{"a", "b"}});
  Parsed p = parse(data);
  Parsed q = std::move(p);
  EXPECT_EQ(q.body, "payload");
  EXPECT_EQ(q.body.data(), data.data() + data.size() - 7);
  EXPECT_EQ(to_string(q.format), "binary");
}

}  // namespace
