// Typed decoding from the token tape, validation and error reporting.
#include <cmath>
#include <cstring>
#include <limits>

#include "codec/internal.hpp"

namespace faststream::codec_detail {

struct DecodeState {
  const Tok* toks = nullptr;
  std::uint32_t pos = 0;
  bool forbid_unknown = false;
  std::vector<FieldError> errors;
  bool truncated = false;
};

namespace {

constexpr std::size_t kMaxErrors = 100;

bool is_identifier(std::string_view k) {
  if (k.empty()) return false;
  for (char ch : k) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(c == '_' || c == '-' || c == '$' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
          (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

std::string path_text(const PathSeg* p) {
  const PathSeg* segs[256];
  std::size_t n = 0;
  for (; p != nullptr && n < 256; p = p->parent) segs[n++] = p;
  std::string out;
  while (n > 0) {
    const PathSeg* s = segs[--n];
    if (s->is_index) {
      out.push_back('[');
      out.append(std::to_string(s->n));
      out.push_back(']');
    } else {
      const std::string_view k(s->key, s->n);
      if (is_identifier(k)) {
        if (!out.empty()) out.push_back('.');
        out.append(k);
      } else {
        out.push_back('[');
        enc_string(out, k);
        out.push_back(']');
      }
    }
  }
  return out;
}

void add_error(DecodeCtx& c, const PathSeg* path, std::string message) {
  DecodeState& s = *c.st;
  if (s.errors.size() >= kMaxErrors) {
    s.truncated = true;
    return;
  }
  s.errors.push_back({path_text(path), std::move(message)});
}

void add_error(DecodeCtx& c, std::string message) {
  add_error(c, c.path, std::move(message));
}

const Tok& cur(DecodeCtx& c) {
  return c.st->toks[c.st->pos];
}

void skip(DecodeCtx& c) {
  const Tok& t = cur(c);
  c.st->pos = (t.kind == TokKind::object || t.kind == TokKind::array) ? t.end : c.st->pos + 1;
}

void type_error(DecodeCtx& c, std::string_view expected) {
  std::string m = "expected ";
  m.append(expected);
  m.append(", got ");
  m.append(render_token(cur(c)));
  add_error(c, std::move(m));
  skip(c);
}

// ---- numbers ---------------------------------------------------------------------------

/// A JSON number exactly as parsed.
struct Num {
  TokKind kind;  // int64, uint64 or dbl
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  long double exact() const {
    switch (kind) {
      case TokKind::int64:
        return static_cast<long double>(i);
      case TokKind::uint64:
        return static_cast<long double>(u);
      default:
        return static_cast<long double>(d);
    }
  }
};

long double bound_value(const Bound& b) {
  return b.kind == Bound::Kind::integer ? static_cast<long double>(b.i)
                                        : static_cast<long double>(b.d);
}

std::string bound_text(const Bound& b) {
  if (b.kind == Bound::Kind::integer) return std::to_string(b.i);
  std::string s;
  enc_double(s, b.d);
  return s;
}

std::string literal_text(const Literal& l) {
  std::string s;
  std::visit(
      [&s](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          enc_string(s, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          s = v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, double>) {
          enc_double(s, v);
        } else {
          s = std::to_string(v);
        }
      },
      l.value());
  return s;
}

std::string one_of_text(const std::vector<Literal>& values) {
  std::string s;
  for (const auto& v : values) {
    if (!s.empty()) s.append(", ");
    s.append(literal_text(v));
  }
  return s;
}

void check_number(DecodeCtx& c, const FieldRules& r, const Num& n, std::string_view text) {
  const long double v = n.exact();
  auto fail = [&](const char* op, const Bound& b) {
    std::string m = "must be ";
    m.append(op);
    m.push_back(' ');
    m.append(bound_text(b));
    m.append(", got ");
    m.append(text);
    add_error(c, std::move(m));
  };
  if (r.ge.set() && !(v >= bound_value(r.ge))) fail(">=", r.ge);
  if (r.gt.set() && !(v > bound_value(r.gt))) fail(">", r.gt);
  if (r.le.set() && !(v <= bound_value(r.le))) fail("<=", r.le);
  if (r.lt.set() && !(v < bound_value(r.lt))) fail("<", r.lt);
  if (r.has_one_of) {
    bool ok = false;
    for (const auto& l : r.one_of) {
      if (const auto* i = std::get_if<std::int64_t>(&l.value())) {
        ok = ok || v == static_cast<long double>(*i);
      } else if (const auto* d = std::get_if<double>(&l.value())) {
        ok = ok || v == static_cast<long double>(*d);
      }
    }
    if (!ok) {
      add_error(c, "must be one of " + one_of_text(r.one_of) + ", got " + std::string(text));
    }
  }
}

bool is_integer_literal(std::string_view text) {
  return text.find_first_of(".eE") == std::string_view::npos;
}

std::string out_of_range(const TypeDesc& t, std::string_view text) {
  std::string m = "out of range for ";
  m.append(t.name);
  m.append(", got ");
  m.append(text.size() > 40 ? std::string(text.substr(0, 37)) + "..." : std::string(text));
  return m;
}

void check_length(DecodeCtx& c, const FieldRules& r, std::size_t n, const char* unit,
                  const char* units) {
  if (r.has_min_length && n < r.min_length) {
    add_error(c, "must have at least " + std::to_string(r.min_length) + " " +
                     (r.min_length == 1 ? unit : units) + ", got " + std::to_string(n));
  }
  if (r.has_max_length && n > r.max_length) {
    add_error(c, "must have at most " + std::to_string(r.max_length) + " " +
                     (r.max_length == 1 ? unit : units) + ", got " + std::to_string(n));
  }
}

}  // namespace

// ---- scalar decoders -------------------------------------------------------------------

bool dec_bool(DecodeCtx& c, bool& out, const FieldRules* r) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::true_ && t.kind != TokKind::false_) {
    type_error(c, "boolean");
    return false;
  }
  out = t.kind == TokKind::true_;
  ++c.st->pos;
  if (r != nullptr && r->has_one_of) {
    bool ok = false;
    for (const auto& l : r->one_of) {
      if (const auto* b = std::get_if<bool>(&l.value())) ok = ok || *b == out;
    }
    if (!ok)
      add_error(c,
                "must be one of " + one_of_text(r->one_of) + ", got " + (out ? "true" : "false"));
  }
  return true;
}

bool dec_int(DecodeCtx& c, std::int64_t& out, const TypeDesc& td, const FieldRules* r) {
  const Tok& t = cur(c);
  const std::string_view text(t.text, t.n);
  Num n{t.kind};
  std::int64_t v = 0;
  switch (t.kind) {
    case TokKind::int64:
      v = t.i;
      n.i = t.i;
      break;
    case TokKind::uint64:
      add_error(c, out_of_range(td, text));  // > INT64_MAX
      skip(c);
      return false;
    case TokKind::dbl:
      n.d = t.d;
      if (is_integer_literal(text) || !std::isfinite(t.d)) {
        add_error(c, out_of_range(td, text));
        skip(c);
        return false;
      }
      if (t.d != std::trunc(t.d)) {
        type_error(c, "integer");
        return false;
      }
      if (!(t.d >= -9223372036854775808.0 && t.d < 9223372036854775808.0)) {
        add_error(c, out_of_range(td, text));
        skip(c);
        return false;
      }
      v = static_cast<std::int64_t>(t.d);
      break;
    default:
      type_error(c, "integer");
      return false;
  }
  if (v < td.imin || (v > 0 && static_cast<std::uint64_t>(v) > td.umax)) {
    add_error(c, out_of_range(td, text));
    skip(c);
    return false;
  }
  ++c.st->pos;
  if (r != nullptr) check_number(c, *r, n, text);
  out = v;
  return true;
}

bool dec_uint(DecodeCtx& c, std::uint64_t& out, const TypeDesc& td, const FieldRules* r) {
  const Tok& t = cur(c);
  const std::string_view text(t.text, t.n);
  Num n{t.kind};
  std::uint64_t v = 0;
  switch (t.kind) {
    case TokKind::int64:
      n.i = t.i;
      if (t.i < 0) {
        add_error(c, out_of_range(td, text));
        skip(c);
        return false;
      }
      v = static_cast<std::uint64_t>(t.i);
      break;
    case TokKind::uint64:
      n.u = t.u;
      v = t.u;
      break;
    case TokKind::dbl:
      n.d = t.d;
      if (is_integer_literal(text) || !std::isfinite(t.d)) {
        add_error(c, out_of_range(td, text));
        skip(c);
        return false;
      }
      if (t.d != std::trunc(t.d)) {
        type_error(c, "integer");
        return false;
      }
      if (!(t.d > -1.0 && t.d < 18446744073709551616.0)) {
        add_error(c, out_of_range(td, text));
        skip(c);
        return false;
      }
      v = static_cast<std::uint64_t>(t.d);
      break;
    default:
      type_error(c, "integer");
      return false;
  }
  if (v > td.umax) {
    add_error(c, out_of_range(td, text));
    skip(c);
    return false;
  }
  ++c.st->pos;
  if (r != nullptr) check_number(c, *r, n, text);
  out = v;
  return true;
}

bool dec_double(DecodeCtx& c, double& out, const TypeDesc& td, const FieldRules* r) {
  const Tok& t = cur(c);
  const std::string_view text(t.text, t.n);
  Num n{t.kind};
  double v;
  switch (t.kind) {
    case TokKind::int64:
      n.i = t.i;
      v = static_cast<double>(t.i);
      break;
    case TokKind::uint64:
      n.u = t.u;
      v = static_cast<double>(t.u);
      break;
    case TokKind::dbl:
      n.d = t.d;
      v = t.d;
      break;
    default:
      type_error(c, "number");
      return false;
  }
  // float: anything that rounds to a finite float (below FLT_MAX + half an ulp).
  constexpr double kFloatLimit = 340282356779733661637539395458142568448.0;  // 2^128 - 2^103
  if (!std::isfinite(v) || (td.is_float32 && std::fabs(v) >= kFloatLimit)) {
    add_error(c, out_of_range(td, text));
    skip(c);
    return false;
  }
  ++c.st->pos;
  if (r != nullptr) check_number(c, *r, n, text);
  out = v;
  return true;
}

bool dec_string(DecodeCtx& c, std::string& out, const FieldRules* r) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::string) {
    type_error(c, "string");
    return false;
  }
  const std::string_view s(t.text, t.n);
  ++c.st->pos;
  out.assign(s);
  if (r == nullptr) return true;
  if (r->has_min_length || r->has_max_length) {
    check_length(c, *r, count_code_points(s), "character", "characters");
  }
  if (r->has_pattern && r->compiled) {
    bool failed = false;
    const bool match = pattern_search(*r->compiled, s, failed);
    if (failed) {
      add_error(c, "pattern " + r->pattern + " too complex to match against " + quote_short(s));
    } else if (!match) {
      add_error(c, "must match " + r->pattern + ", got " + quote_short(s));
    }
  }
  if (r->has_one_of) {
    bool ok = false;
    for (const auto& l : r->one_of) {
      if (const auto* v = std::get_if<std::string>(&l.value())) ok = ok || *v == s;
    }
    if (!ok) add_error(c, "must be one of " + one_of_text(r->one_of) + ", got " + quote_short(s));
  }
  return true;
}

bool dec_time(DecodeCtx& c, time_point& out, const FieldRules*) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::string) {
    type_error(c, "RFC 3339 date-time string");
    return false;
  }
  const std::string_view s(t.text, t.n);
  bool range = false;
  if (!parse_rfc3339(s, out, range)) {
    add_error(c, range ? "out of range for time_point, got " + quote_short(s)
                       : "expected RFC 3339 date-time, got " + quote_short(s));
    skip(c);
    return false;
  }
  ++c.st->pos;
  return true;
}

bool dec_raw(DecodeCtx& c, std::string& out) {
  const std::uint32_t begin = c.st->pos;
  skip(c);
  out.clear();
  write_tape_json(c.st->toks, begin, c.st->pos, out);
  return true;
}

bool dec_null(DecodeCtx& c) {
  if (cur(c).kind != TokKind::null) return false;
  ++c.st->pos;
  return true;
}

// ---- containers ------------------------------------------------------------------------

bool dec_array(DecodeCtx& c, std::size_t& n, const FieldRules* r) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::array) {
    type_error(c, "array");
    return false;
  }
  n = t.n;
  ++c.st->pos;
  if (r != nullptr) check_length(c, *r, n, "item", "items");
  return true;
}

bool dec_object(DecodeCtx& c, std::size_t& n, const FieldRules* r) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::object) {
    type_error(c, "object");
    return false;
  }
  n = t.n;
  ++c.st->pos;
  if (r != nullptr) check_length(c, *r, n, "entry", "entries");
  return true;
}

std::string_view dec_key(DecodeCtx& c) {
  const Tok& t = cur(c);
  ++c.st->pos;
  return {t.text, t.n};
}

bool dec_enum(DecodeCtx& c, const EnumInfo& e, std::size_t& index) {
  const Tok& t = cur(c);
  if (t.kind == TokKind::string) {
    const std::string_view s(t.text, t.n);
    for (std::size_t i = 0; i < e.names.size(); ++i) {
      if (e.names[i] == s) {
        index = i;
        ++c.st->pos;
        return true;
      }
    }
  }
  std::string m = "expected one of ";
  for (std::size_t i = 0; i < e.names.size(); ++i) {
    if (i != 0) m.append(", ");
    enc_string(m, e.names[i]);
  }
  m.append(", got ");
  m.append(render_token(t));
  add_error(c, std::move(m));
  skip(c);
  return false;
}

bool dec_variant(DecodeCtx& c, const TypeDesc& td, std::size_t& index) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::object) {
    type_error(c, "object");
    return false;
  }
  const PathSeg seg{c.path, td.tag_field.data(), td.tag_field.size(), false};
  std::uint32_t i = c.st->pos + 1;
  for (std::uint32_t k = 0; k < t.n; ++k) {
    const Tok& key = c.st->toks[i];
    const Tok& value = c.st->toks[i + 1];
    if (std::string_view(key.text, key.n) == td.tag_field) {
      if (value.kind == TokKind::string) {
        const std::string_view s(value.text, value.n);
        for (std::size_t a = 0; a < td.nalts; ++a) {
          if (td.tags[a] == s) {
            index = a;
            return true;
          }
        }
      }
      std::string m = "expected one of ";
      for (std::size_t a = 0; a < td.nalts; ++a) {
        if (a != 0) m.append(", ");
        enc_string(m, td.tags[a]);
      }
      m.append(", got ");
      m.append(render_token(value));
      add_error(c, &seg, std::move(m));
      skip(c);
      return false;
    }
    const Tok& v = c.st->toks[i + 1];
    i = (v.kind == TokKind::object || v.kind == TokKind::array) ? v.end : i + 2;
  }
  add_error(c, &seg, "field required");
  skip(c);
  return false;
}

void dec_model(DecodeCtx& c, const ModelInfo& m, void* object) {
  const Tok& t = cur(c);
  if (t.kind != TokKind::object) {
    type_error(c, "object");
    return;
  }
  DecodeState& st = *c.st;
  ++st.pos;
  const std::size_t nf = m.fields.size();
  unsigned char seen_small[64];
  std::vector<unsigned char> seen_big;
  unsigned char* seen = seen_small;
  if (nf > 64) {
    seen_big.assign(nf, 0);
    seen = seen_big.data();
  }
  for (std::size_t i = 0; i < nf; ++i) seen[i] = 0;
  bool tag_seen = false;
  const bool forbid = st.forbid_unknown || m.forbid_unknown;
  std::size_t hint = 0;
  const std::uint32_t members = t.n;
  for (std::uint32_t k = 0; k < members; ++k) {
    const Tok& key_tok = st.toks[st.pos++];
    const std::string_view key(key_tok.text, key_tok.n);
    std::size_t idx = nf;
    if (hint < nf && m.fields[hint].json_name == key) {
      idx = hint;
    } else {
      for (std::size_t i = 0; i < nf; ++i) {
        if (m.fields[i].json_name == key) {
          idx = i;
          break;
        }
      }
    }
    if (idx < nf) {
      const FieldInfo& f = m.fields[idx];
      PathSeg seg{c.path, f.json_name.data(), f.json_name.size(), false};
      if (seen[idx]) {
        add_error(c, &seg, "duplicate field");
        skip(c);
        continue;
      }
      seen[idx] = 1;
      hint = idx + 1;
      c.path = &seg;
      f.decode(c, object, f.has_rules ? &f.rules : nullptr);
      c.path = seg.parent;
      continue;
    }
    PathSeg seg{c.path, key.data(), key.size(), false};
    if (m.tagged && key == m.tag_field) {
      const Tok& v = cur(c);
      if (tag_seen) {
        add_error(c, &seg, "duplicate field");
      } else if (v.kind != TokKind::string || std::string_view(v.text, v.n) != m.tag_value) {
        std::string msg = "expected ";
        enc_string(msg, m.tag_value);
        msg.append(", got ");
        msg.append(render_token(v));
        add_error(c, &seg, std::move(msg));
      }
      tag_seen = true;
      skip(c);
      continue;
    }
    if (forbid) add_error(c, &seg, "unknown field");
    skip(c);
  }
  if (m.tagged && !tag_seen) {
    const PathSeg seg{c.path, m.tag_field.data(), m.tag_field.size(), false};
    add_error(c, &seg, "field required");
  }
  for (std::size_t i = 0; i < nf; ++i) {
    if (!seen[i] && m.fields[i].required) {
      const FieldInfo& f = m.fields[i];
      const PathSeg seg{c.path, f.json_name.data(), f.json_name.size(), false};
      add_error(c, &seg, "field required");
    }
  }
}

// ---- entry point -----------------------------------------------------------------------

[[noreturn]] void throw_decode_error(const TypeDesc& t, std::string message) {
  throw DecodeError(type_display_name(t), {FieldError{"", std::move(message)}});
}

void decode_root(std::string_view json, const DecodeOptions& o, const TypeDesc& td, RootDecodeFn fn,
                 void* out) {
  if (json.size() > max_message_size_of(o))
    throw_decode_error(td, oversize_text(json.size(), max_message_size_of(o)));
  // The tape is reused per thread; a nested decode (never done by the codec itself) gets its own.
  thread_local Tape shared_tape;
  thread_local bool busy = false;
  Tape local_tape;
  Tape& tape = busy ? local_tape : shared_tape;
  struct Guard {
    bool* flag;
    bool prev;
    ~Guard() { *flag = prev; }
  } guard{&busy, busy};
  busy = true;

  std::string error;
  if (!build_tape(json, o.max_depth, tape, error)) throw_decode_error(td, std::move(error));

  DecodeState st;
  st.toks = tape.toks.data();
  st.forbid_unknown = o.forbid_unknown_fields;
  DecodeCtx c{&st, nullptr};
  fn(c, out);
  if (tape.toks.capacity() > (std::size_t{1} << 16) ||
      tape.arena.size() > (std::size_t{1} << 20)) {  // do not keep huge tapes around
    tape.toks.clear();
    tape.toks.shrink_to_fit();
    tape.arena.clear();
    tape.arena.shrink_to_fit();
  }
  if (!st.errors.empty()) {
    if (st.truncated) st.errors.push_back({"", "more errors omitted"});
    throw DecodeError(type_display_name(td), std::move(st.errors));
  }
}

}  // namespace faststream::codec_detail

// ---- DecodeError -----------------------------------------------------------------------

namespace faststream {
namespace {
std::string error_text(const std::string& type_name, const std::vector<FieldError>& errors) {
  std::string s = type_name;
  s.append(": ");
  if (errors.size() != 1) {
    s.append(std::to_string(errors.size()));
    s.append(" errors: ");
  }
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < errors.size() && i < kShown; ++i) {
    if (i != 0) s.append("; ");
    if (!errors[i].path.empty()) {
      s.append(errors[i].path);
      s.append(": ");
    }
    s.append(errors[i].message);
  }
  if (errors.size() > kShown) s.append("; ...");
  return s;
}
}  // namespace

DecodeError::DecodeError(std::string type_name, std::vector<FieldError> errors)
    : std::runtime_error(error_text(type_name, errors)),
      type_name_(std::move(type_name)),
      errors_(std::move(errors)) {}

}  // namespace faststream
