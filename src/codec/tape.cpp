// JSON text -> flat token tape, with Boost.JSON's SAX parser (no DOM, no per-value allocation).
#include <boost/json/basic_parser_impl.hpp>

#include <cstring>
#include <limits>

#include "codec/internal.hpp"

namespace faststream::codec_detail {
namespace {

namespace json = boost::json;

class TapeHandler {
 public:
  static constexpr std::size_t max_array_size = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t max_object_size = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::uint32_t>::max();

  void start(std::string_view input, Tape* tape) {
    in_ = input;
    t_ = tape;
    t_->toks.clear();
    t_->open.clear();
    arena_used_ = 0;
    part_start_ = nullptr;
    part_len_ = 0;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_array_begin(json::error_code&) { return open(TokKind::array); }
  bool on_array_end(std::size_t n, json::error_code&) { return close(n); }
  bool on_object_begin(json::error_code&) { return open(TokKind::object); }
  bool on_object_end(std::size_t n, json::error_code&) { return close(n); }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) { return part(s); }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    return text(TokKind::string, s);
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) { return part(s); }
  bool on_key(json::string_view s, std::size_t, json::error_code&) { return text(TokKind::key, s); }
  bool on_number_part(json::string_view s, json::error_code&) { return part(s); }
  bool on_int64(std::int64_t v, json::string_view s, json::error_code&) {
    Tok& k = text_tok(TokKind::int64, s);
    k.i = v;
    return true;
  }
  bool on_uint64(std::uint64_t v, json::string_view s, json::error_code&) {
    Tok& k = text_tok(TokKind::uint64, s);
    k.u = v;
    return true;
  }
  bool on_double(double v, json::string_view s, json::error_code&) {
    Tok& k = text_tok(TokKind::dbl, s);
    k.d = v;
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    push(b ? TokKind::true_ : TokKind::false_, nullptr, 0);
    return true;
  }
  bool on_null(json::error_code&) {
    push(TokKind::null, nullptr, 0);
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  Tok& push(TokKind kind, const char* p, std::size_t n) {
    const auto index = static_cast<std::uint32_t>(t_->toks.size());
    Tok& k = t_->toks.emplace_back();
    k.kind = kind;
    k.n = static_cast<std::uint32_t>(n);
    k.end = index + 1;
    k.text = p;
    k.u = 0;
    return k;
  }

  bool open(TokKind kind) {
    t_->open.push_back(static_cast<std::uint32_t>(t_->toks.size()));
    push(kind, nullptr, 0);
    return true;
  }

  bool close(std::size_t n) {
    Tok& k = t_->toks[t_->open.back()];
    t_->open.pop_back();
    k.n = static_cast<std::uint32_t>(n);
    k.end = static_cast<std::uint32_t>(t_->toks.size());
    return true;
  }

  // Bytes that are not verbatim in the input (unescaped, or split) go to the arena. The
  // arena is sized to the input before the first use, so its pointers stay valid: an
  // unescaped string is never longer than its JSON spelling.
  char* arena_alloc(std::size_t n) {
    if (t_->arena.size() < in_.size() + 1) t_->arena.resize(in_.size() + 1);
    char* p = t_->arena.data() + arena_used_;
    arena_used_ += n;
    return p;
  }

  bool part(json::string_view s) {
    char* p = arena_alloc(s.size());
    if (part_start_ == nullptr) part_start_ = p;
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    part_len_ += s.size();
    return true;
  }

  bool in_input(json::string_view s) const {
    return s.data() >= in_.data() && s.data() + s.size() <= in_.data() + in_.size();
  }

  Tok& text_tok(TokKind kind, json::string_view s) {
    const char* p;
    std::size_t n;
    if (part_start_ == nullptr && in_input(s)) {
      p = s.data();
      n = s.size();
    } else {
      part(s);
      p = part_start_;
      n = part_len_;
      part_start_ = nullptr;
      part_len_ = 0;
    }
    return push(kind, p, n);
  }

  bool text(TokKind kind, json::string_view s) {
    text_tok(kind, s);
    return true;
  }

  std::string_view in_;
  Tape* t_ = nullptr;
  std::size_t arena_used_ = 0;
  const char* part_start_ = nullptr;
  std::size_t part_len_ = 0;
};

struct ParserSlot {
  std::size_t depth;
  json::basic_parser<TapeHandler> parser;
  explicit ParserSlot(const json::parse_options& o) : depth(o.max_depth), parser(o) {}
};

}  // namespace

bool build_tape(std::string_view input, std::size_t max_depth, Tape& tape, std::string& error) {
  if (input.size() >= std::numeric_limits<std::uint32_t>::max()) {
    error = "message too large for the JSON decoder (4 GiB)";
    return false;
  }
  json::parse_options opt;
  opt.max_depth = max_depth;
  // One parser per thread, rebuilt only when the depth limit changes. The codec never
  // re-enters itself while parsing, so a thread-local is safe.
  thread_local std::unique_ptr<ParserSlot> slot;
  if (!slot || slot->depth != max_depth) slot = std::make_unique<ParserSlot>(opt);
  auto& p = slot->parser;
  p.reset();
  p.handler().start(input, &tape);
  json::error_code ec;
  const std::size_t used = p.write_some(false, input.data(), input.size(), ec);
  if (ec) {
    const std::size_t bad = find_invalid_utf8(input);
    if (bad != std::string_view::npos && bad <= used + 4) {
      error = "invalid UTF-8 at offset " + std::to_string(bad);
    } else if (ec == json::error::too_deep) {
      error = "invalid JSON at offset " + std::to_string(used) + ": nesting deeper than " +
              std::to_string(max_depth);
    } else if (ec == json::error::incomplete || used >= input.size()) {
      error = "invalid JSON: unexpected end of input";
    } else {
      error = "invalid JSON at offset " + std::to_string(used) + ": " + ec.message();
    }
    return false;
  }
  if (used != input.size()) {
    error = "invalid JSON at offset " + std::to_string(used) + ": unexpected data after the value";
    return false;
  }
  return true;
}

void write_tape_json(const Tok* toks, std::uint32_t begin, std::uint32_t end, std::string& out) {
  struct Open {
    std::uint32_t end;
    char closer;
  };
  std::vector<Open> open;
  bool comma = false;
  for (std::uint32_t i = begin; i < end;) {
    while (!open.empty() && open.back().end == i) {
      out.push_back(open.back().closer);
      open.pop_back();
      comma = true;
    }
    if (comma) out.push_back(',');
    const Tok& t = toks[i];
    switch (t.kind) {
      case TokKind::object:
      case TokKind::array:
        out.push_back(t.kind == TokKind::object ? '{' : '[');
        open.push_back({t.end, t.kind == TokKind::object ? '}' : ']'});
        comma = false;
        ++i;
        continue;
      case TokKind::key:
        enc_string(out, std::string_view(t.text, t.n));
        out.push_back(':');
        comma = false;
        ++i;
        continue;
      case TokKind::string:
        enc_string(out, std::string_view(t.text, t.n));
        break;
      case TokKind::int64:
      case TokKind::uint64:
      case TokKind::dbl:
        out.append(t.text, t.n);
        break;
      case TokKind::true_:
        out.append("true");
        break;
      case TokKind::false_:
        out.append("false");
        break;
      case TokKind::null:
        out.append("null");
        break;
    }
    comma = true;
    ++i;
  }
  while (!open.empty()) {
    out.push_back(open.back().closer);
    open.pop_back();
  }
}

}  // namespace faststream::codec_detail
