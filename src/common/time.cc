#include "common/time.h"

#include <fmt/format.h>

#include <cstdint>

#include "common/strings.h"

namespace attrib {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `digits` decimal digits at s[*pos].
bool Digits(std::string_view s, size_t* pos, int digits, int* out) {
  if (*pos + static_cast<size_t>(digits) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = s[*pos + static_cast<size_t>(i)];
    if (!IsAsciiDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(digits);
  *out = v;
  return true;
}

// The form SDKs send, "2026-05-01T12:30:00.123Z" (or without the milliseconds), read without
// the general parser's bookkeeping. False when `s` is not exactly that form.
bool ParseCanonical(std::string_view s, Micros* out) {
  if ((s.size() != 24 && s.size() != 20) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s.back() != 'Z') {
    return false;
  }
  if (s.size() == 24 && s[19] != '.') return false;
  const auto num = [&s](size_t at, size_t n, int* v) {
    int x = 0;
    for (size_t i = at; i < at + n; ++i) {
      const unsigned d = static_cast<unsigned char>(s[i]) - '0';
      if (d > 9) return false;
      x = x * 10 + static_cast<int>(d);
    }
    *v = x;
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!num(0, 4, &year) || !num(5, 2, &month) || !num(8, 2, &day) || !num(11, 2, &hour) ||
      !num(14, 2, &minute) || !num(17, 2, &second) || (s.size() == 24 && !num(20, 3, &millis))) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;  // the general parser explains
  // Events come in runs of the same day: remember the last date's day number.
  thread_local int last_date = -1;
  thread_local int64_t last_days = 0;
  const int date = (year * 100 + month) * 100 + day;
  if (date != last_date) {
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
      return false;
    }
    last_days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    last_date = date;
  }
  const int64_t days = last_days;
  *out = (days * 86'400 + hour * 3'600 + minute * 60 + second) * kMicrosPerSecond + millis * 1000;
  return true;
}

}  // namespace

Result<Micros> ParseIsoTime(std::string_view text) {
  if (Micros t; ParseCanonical(text, &t)) return t;
  const std::string_view s = TrimAscii(text);
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid timestamp \"{}\": {}", s, why));
  };
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 4, &year) || pos >= s.size() || s[pos++] != '-' ||
      !Digits(s, &pos, 2, &month) || pos >= s.size() || s[pos++] != '-' ||
      !Digits(s, &pos, 2, &day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
    return bad("day out of range");
  }
  int64_t micros = 0, offset_minutes = 0;
  if (pos < s.size()) {
    const char sep = s[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return bad("expected 'T' after the date");
    if (!Digits(s, &pos, 2, &hour) || pos >= s.size() || s[pos++] != ':' ||
        !Digits(s, &pos, 2, &minute)) {
      return bad("expected HH:MM");
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!Digits(s, &pos, 2, &second)) return bad("expected seconds");
    }
    if (hour > 23 || minute > 59 || second > 60) return bad("time out of range");
    if (second == 60) second = 59;  // a leap second: the last second of the minute
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int64_t scale = 100'000;
      const size_t start = pos;
      for (; pos < s.size() && IsAsciiDigit(s[pos]); ++pos) {
        micros += (s[pos] - '0') * scale;
        scale /= 10;
      }
      if (pos == start) return bad("expected digits after the decimal point");
    }
    if (pos < s.size()) {
      const char z = s[pos++];
      if (z == 'Z' || z == 'z') {
        // UTC
      } else if (z == '+' || z == '-') {
        int oh, om = 0;
        if (!Digits(s, &pos, 2, &oh)) return bad("expected an offset like +02:00");
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos < s.size() && !Digits(s, &pos, 2, &om))
          return bad("expected an offset like +02:00");
        if (oh > 23 || om > 59) return bad("offset out of range");
        offset_minutes = (z == '+' ? 1 : -1) * (oh * 60 + om);
      } else {
        return bad("unexpected text after the time");
      }
    }
    if (pos != s.size()) return bad("unexpected text after the time");
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86'400 + hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  // In UTC, the offset applied, still within the years 0001–9999 that the format can write.
  if (seconds < DaysFromCivil(1, 1, 1) * 86'400 || seconds >= DaysFromCivil(10000, 1, 1) * 86'400) {
    return bad("outside the years 0001-9999 in UTC");
  }
  return seconds * kMicrosPerSecond + micros;
}

std::string FormatIsoTime(Micros t) {
  int64_t seconds = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86'400;
  int64_t rem = seconds % 86'400;
  if (rem < 0) {
    rem += 86'400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3600,
                     rem / 60 % 60, rem % 60, micros / 1000);
}

std::string FormatIsoDate(int32_t day) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(day, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

int32_t WeekStart(int32_t day) {
  // 1970-01-01 was a Thursday: Monday is 3 days before.
  const int32_t since_monday = ((day + 3) % 7 + 7) % 7;
  return day - since_monday;
}

int32_t MonthStart(int32_t day) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(day, &y, &m, &d);
  return day - static_cast<int32_t>(d - 1);
}

}  // namespace attrib
