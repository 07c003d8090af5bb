// Model tables: aliases, key prefixes, rule checks, compiled patterns; type display names.
#include <boost/regex.hpp>

#include <set>
#include <stdexcept>

#include "codec/internal.hpp"

namespace faststream::codec_detail {

// Patterns run on code points (UTF-8 is widened to wchar_t, 32-bit here), so "." and
// character classes see characters, as in JSON Schema. Boost.Regex's matcher is not
// recursive and gives up (instead of overflowing the stack) on pathological patterns.
struct CompiledPattern {
  boost::wregex re;
};

namespace {

std::wstring widen(std::string_view s) {
  std::wstring w;
  w.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    char32_t cp;
    std::size_t k;
    if (c < 0x80) {
      cp = c;
      k = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      k = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      k = 3;
    } else {
      cp = c & 0x07;
      k = 4;
    }
    for (std::size_t j = 1; j < k && i + j < n; ++j) cp = (cp << 6) | (p[i + j] & 0x3F);
    w.push_back(static_cast<wchar_t>(cp));
    i += k;
  }
  return w;
}

[[noreturn]] void rule_error(const ModelInfo& m, const FieldInfo& f, const std::string& what) {
  throw std::logic_error("FASTSTREAM_FIELDS(" + std::string(m.name) + "): field " +
                         std::string(f.name) + ": " + what);
}

}  // namespace

bool pattern_search(const CompiledPattern& p, std::string_view s, bool& failed) {
  failed = false;
  try {
    const std::wstring w = widen(s);
    return boost::regex_search(w, p.re);
  } catch (const std::exception&) {
    failed = true;
    return false;
  }
}

void finalize_model(ModelInfo& m) {
  std::set<std::string_view> names;
  if (m.tagged) {
    names.insert(m.tag_field);
    m.tag_prefix.clear();
    enc_string(m.tag_prefix, m.tag_field);
    m.tag_prefix.push_back(':');
    enc_string(m.tag_prefix, m.tag_value);
  }
  for (FieldInfo& f : m.fields) {
    f.json_name = f.rules.alias.empty() ? std::string(f.name) : f.rules.alias;
    if (!names.insert(f.json_name).second) {
      throw std::logic_error("model " + std::string(m.name) +
                             ": two fields (or a field and the tag) named \"" + f.json_name + "\"");
    }
    f.key_prefix.clear();
    enc_string(f.key_prefix, f.json_name);
    f.key_prefix.push_back(':');
    if (!f.has_rules) continue;
    FieldRules& r = f.rules;
    if (r.with_default) f.required = false;
    if (r.has_pattern) {
      if (find_invalid_utf8(r.pattern) != std::string_view::npos)
        rule_error(m, f, "pattern is not UTF-8");
      try {
        auto cp = std::make_shared<CompiledPattern>();
        cp->re.assign(widen(r.pattern), boost::regex_constants::ECMAScript);
        r.compiled = std::move(cp);
      } catch (const std::exception& e) {
        rule_error(m, f, "invalid pattern " + r.pattern + ": " + e.what());
      }
    }
    if (r.has_one_of) {
      const TypeDesc* t = &f.type();
      if (t->kind == Kind::optional) t = &t->elem();
      for (const auto& l : r.one_of) {
        const auto& v = l.value();
        const bool ok =
            (t->kind == Kind::string && std::holds_alternative<std::string>(v)) ||
            (t->kind == Kind::boolean && std::holds_alternative<bool>(v)) ||
            ((t->kind == Kind::integer || t->kind == Kind::number) &&
             (std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v)));
        if (!ok) rule_error(m, f, "one_of() value of the wrong type for this field");
      }
    }
  }
}

std::string type_display_name(const TypeDesc& t) {
  switch (t.kind) {
    case Kind::optional:
      return "optional<" + type_display_name(t.elem()) + ">";
    case Kind::array:
      return "vector<" + type_display_name(t.elem()) + ">";
    case Kind::map:
      return "map<string, " + type_display_name(t.elem()) + ">";
    case Kind::variant: {
      std::string s = "variant<";
      for (std::size_t i = 0; i < t.nalts; ++i) {
        if (i != 0) s.append(", ");
        s.append(t.alts[i]().name);
      }
      s.push_back('>');
      return s;
    }
    default:
      return std::string(t.name);
  }
}

}  // namespace faststream::codec_detail
