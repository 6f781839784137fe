// CronExpression (declared in group_spec.h): classic five-field cron, evaluated in UTC.
//
// Semantics follow Vixie cron: a field is "restricted" unless its text starts with '*'; when
// both day-of-month and day-of-week are restricted a day matches if EITHER matches, otherwise
// both must match. Day-of-week accepts 0-7 (0 and 7 are Sunday) and SUN..SAT; months accept
// 1-12 and JAN..DEC; names are case-insensitive. `a/n` means `a-<max>/n`. The macros @hourly,
// @daily (@midnight), @weekly, @monthly and @yearly (@annually) are accepted.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <sstream>
#include <string_view>

#include "spec/group_spec.h"

namespace spotkeeper {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;                                        // for day-of-week 7, folded onto 0
  const std::array<std::string_view, 12>* names;  // index i names min+i; may be null
  int name_count;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDayNames = {"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat"};

const FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0},        {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},  {"month", 1, 12, &kMonthNames, 12},
    {"day-of-week", 0, 7, &kDayNames, 7},
};

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view field, const std::string& expr)
      : spec_(spec), field_(field), expr_(expr) {}

  Result<std::vector<bool>> Parse() {
    std::vector<bool> bits(static_cast<size_t>(spec_.max + 1), false);
    if (field_.empty()) return Error("is empty");
    size_t pos = 0;
    while (pos <= field_.size()) {
      size_t comma = field_.find(',', pos);
      if (comma == std::string_view::npos) comma = field_.size();
      SK_RETURN_IF_ERROR(ParseItem(field_.substr(pos, comma - pos), &bits));
      pos = comma + 1;
    }
    if (spec_.max == 7 && bits[7]) bits[0] = true;  // 7 is Sunday too
    bits.resize(spec_.max == 7 ? 7 : bits.size());
    return bits;
  }

 private:
  Status Error(const std::string& what) const {
    std::string names;
    if (spec_.names != nullptr) {
      names = " or " + Upper((*spec_.names)[0]) + "-" +
              Upper((*spec_.names)[static_cast<size_t>(spec_.name_count - 1)]);
    }
    return InvalidArgument("cron expression '" + expr_ + "': the " + spec_.name + " field '" +
                           std::string(field_) + "' " + what + "; write *, a value, a range a-b, " +
                           "a step */n or a-b/n, or a comma-separated list of these (values " +
                           std::to_string(spec_.min) + "-" + std::to_string(spec_.max) + names +
                           ")");
  }

  static std::string Upper(std::string_view s) {
    std::string out;
    for (char c : s) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }

  Result<int> Value(std::string_view s) const {
    if (s.empty()) return Error("has an empty value");
    if (std::isdigit(static_cast<unsigned char>(s[0]))) {
      int v = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size()) {
        return Error("has '" + std::string(s) + "', which is not a number");
      }
      if (v < spec_.min || v > spec_.max) {
        return Error("has " + std::string(s) + ", which is out of range");
      }
      return v;
    }
    if (spec_.names != nullptr) {
      std::string lower = Lower(s);
      for (int i = 0; i < spec_.name_count; ++i) {
        if ((*spec_.names)[static_cast<size_t>(i)] == lower) return spec_.min + i;
      }
    }
    return Error("has the unknown value '" + std::string(s) + "'");
  }

  Status ParseItem(std::string_view item, std::vector<bool>* bits) const {
    if (item.empty()) return Error("has an empty list item");
    int step = 1;
    size_t slash = item.find('/');
    std::string_view base = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      std::string_view step_text = item.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || ptr != step_text.data() + step_text.size() ||
          step < 1) {
        return Error("has the step '/" + std::string(step_text) + "'; a step is a number >= 1");
      }
    }
    int lo = spec_.min, hi = spec_.max;
    if (base == "*") {
      if (spec_.max == 7) hi = 6;  // Sunday once
    } else {
      size_t dash = base.find('-');
      SK_ASSIGN_OR_RETURN(lo, Value(base.substr(0, dash)));
      if (dash != std::string_view::npos) {
        SK_ASSIGN_OR_RETURN(hi, Value(base.substr(dash + 1)));
        if (spec_.max == 7 && hi == 0 && lo > 0) hi = 7;  // FRI-SUN
        if (lo > hi) {
          return Error("has the range " + std::string(base) +
                       ", which runs backwards; write the smaller value first");
        }
      } else if (slash == std::string_view::npos) {
        hi = lo;
      }
    }
    for (int v = lo; v <= hi; v += step) (*bits)[static_cast<size_t>(v)] = true;
    return OkStatus();
  }

  const FieldSpec& spec_;
  std::string_view field_;
  const std::string& expr_;
};

constexpr unsigned kMaxDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

std::string ExpandMacro(const std::string& text) {
  std::string t = Lower(text);
  if (t == "@hourly") return "0 * * * *";
  if (t == "@daily" || t == "@midnight") return "0 0 * * *";
  if (t == "@weekly") return "0 0 * * 0";
  if (t == "@monthly") return "0 0 1 * *";
  if (t == "@yearly" || t == "@annually") return "0 0 1 1 *";
  return text;
}

}  // namespace

Result<CronExpression> CronExpression::Parse(const std::string& text) {
  std::istringstream in(ExpandMacro(text));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    return InvalidArgument("cron expression '" + text + "' has " + std::to_string(fields.size()) +
                           " fields; write five: minute hour day-of-month month day-of-week "
                           "(UTC), e.g. '0 3 * * SUN'");
  }
  CronExpression c;
  c.text_ = text;
  std::vector<bool>* targets[5] = {&c.minutes_, &c.hours_, &c.days_of_month_, &c.months_,
                                   &c.days_of_week_};
  for (int i = 0; i < 5; ++i) {
    SK_ASSIGN_OR_RETURN(*targets[i],
                        FieldParser(kFields[i], fields[static_cast<size_t>(i)], text).Parse());
  }
  c.dom_restricted_ = fields[2][0] != '*';
  c.dow_restricted_ = fields[4][0] != '*';
  if (c.dom_restricted_ && !c.dow_restricted_) {
    bool possible = false;
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d = 1; d <= kMaxDaysInMonth[m] && c.months_[m]; ++d) {
        possible = possible || c.days_of_month_[d];
      }
    }
    if (!possible) {
      return InvalidArgument("cron expression '" + text +
                             "' never matches: none of the chosen months has the chosen days; "
                             "check the day-of-month and month fields");
    }
  }
  return c;
}

Time CronExpression::Next(Time after) const {
  using namespace std::chrono;
  if (minutes_.empty()) return kNever;  // default-constructed
  static const Time kFirst = time_point_cast<milliseconds>(sys_days{year{1} / January / 1});
  static const Time kLast = time_point_cast<milliseconds>(sys_days{year{9999} / December / 31});
  if (after >= kLast) return kNever;
  if (after < kFirst) after = kFirst;
  sys_time<minutes> t = floor<minutes>(after) + minutes{1};
  // The Gregorian calendar repeats every 400 years: nothing found by then means never.
  const sys_time<minutes> limit = t + days{146'097};
  while (t < limit) {
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const unsigned month = static_cast<unsigned>(ymd.month());
    if (!months_[month]) {
      const year_month next = year_month{ymd.year(), ymd.month()} + months{1};
      t = sys_days{next / 1};
      continue;
    }
    const bool dom = days_of_month_[static_cast<unsigned>(ymd.day())];
    const bool dow = days_of_week_[weekday{day}.c_encoding()];
    const bool day_matches = (dom_restricted_ && dow_restricted_) ? (dom || dow) : (dom && dow);
    if (!day_matches) {
      t = day + days{1};
      continue;
    }
    const int hour = static_cast<int>(floor<hours>(t - day).count());
    if (!hours_[static_cast<size_t>(hour)]) {
      t = day + hours{hour + 1};
      continue;
    }
    const sys_time<hours> hour_start = day + hours{hour};
    for (int m = static_cast<int>((t - hour_start).count()); m < 60; ++m) {
      if (minutes_[static_cast<size_t>(m)])
        return time_point_cast<milliseconds>(hour_start + minutes{m});
    }
    t = hour_start + hours{1};
  }
  return kNever;
}

}  // namespace spotkeeper
