// RFC 3339 date-time <-> std::chrono::system_clock::time_point.
#include <chrono>
#include <cstdint>

#include "codec/internal.hpp"

namespace faststream::codec_detail {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (civil calendar arithmetic).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

void put(std::string& out, std::int64_t v, int width) {
  char buf[12];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

// YYYY-MM-DD('T'|'t')hh:mm:ss[.fraction]('Z'|'z'|('+'|'-')hh:mm). Seconds 60 (leap seconds) are
// rejected; fraction digits beyond nanoseconds are truncated.
bool parse_rfc3339(std::string_view s, time_point& out, bool& out_of_range) {
  out_of_range = false;
  unsigned year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    std::int64_t scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  std::int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return false;
    }
    offset = (s[pos] == '-' ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;

  const std::int64_t secs =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  constexpr auto kMax =
      std::chrono::duration_cast<seconds>(time_point::duration::max()).count() - 1;
  constexpr auto kMin =
      std::chrono::duration_cast<seconds>(time_point::duration::min()).count() + 1;
  if (secs > kMax || secs < kMin) {
    out_of_range = true;
    return false;
  }
  out = time_point(
      std::chrono::duration_cast<time_point::duration>(seconds(secs) + nanoseconds(nanos)));
  return true;
}

// UTC with 'Z'; microseconds are written when non-zero (finer digits are dropped).
void format_rfc3339(time_point t, std::string& out) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(t.time_since_epoch());
  const auto secs = floor<seconds>(us);
  const std::int64_t frac = (us - secs).count();
  std::int64_t days = secs.count() / 86400;
  std::int64_t rem = secs.count() % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const Civil c = civil_from_days(days);
  put(out, c.y, 4);
  out.push_back('-');
  put(out, c.m, 2);
  out.push_back('-');
  put(out, c.d, 2);
  out.push_back('T');
  put(out, rem / 3600, 2);
  out.push_back(':');
  put(out, rem / 60 % 60, 2);
  out.push_back(':');
  put(out, rem % 60, 2);
  if (frac != 0) {
    out.push_back('.');
    put(out, frac, 6);
  }
  out.push_back('Z');
}

}  // namespace faststream::codec_detail
