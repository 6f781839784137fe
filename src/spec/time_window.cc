// TimeWindow (declared in group_spec.h): "ddd:hh:mm-ddd:hh:mm", UTC, minute-of-week arithmetic.
#include <array>
#include <cctype>
#include <chrono>
#include <string_view>

#include "spec/group_spec.h"

namespace spotkeeper {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
constexpr std::array<std::string_view, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string FormError(const std::string& text) {
  return "time window '" + text +
         "' is not of the form ddd:hh:mm-ddd:hh:mm (UTC, 24-hour clock), e.g. Mon:12:00-Tue:02:00";
}

bool TwoDigits(std::string_view s, int* out) {
  if (s.size() != 2 || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1]))) {
    return false;
  }
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

// "Mon:12:00" → minute of the week.
Result<int> ParsePoint(std::string_view point, const std::string& text) {
  if (point.size() != 9 || point[3] != ':' || point[6] != ':')
    return InvalidArgument(FormError(text));
  std::string day;
  for (char c : point.substr(0, 3))
    day += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int day_index = -1;
  for (size_t i = 0; i < kDays.size(); ++i) {
    if (kDays[i] == day) day_index = static_cast<int>(i);
  }
  if (day_index < 0) {
    return InvalidArgument("time window '" + text + "': unknown day '" +
                           std::string(point.substr(0, 3)) +
                           "'; write Sun, Mon, Tue, Wed, Thu, Fri or Sat");
  }
  int hour = 0, minute = 0;
  if (!TwoDigits(point.substr(4, 2), &hour) || !TwoDigits(point.substr(7, 2), &minute)) {
    return InvalidArgument(FormError(text));
  }
  if (hour > 23 || minute > 59) {
    return InvalidArgument("time window '" + text + "': " + std::string(point.substr(4)) +
                           " is not a time of day; write 00:00 to 23:59");
  }
  return day_index * kMinutesPerDay + hour * 60 + minute;
}

}  // namespace

Result<TimeWindow> TimeWindow::Parse(const std::string& text) {
  size_t dash = text.find('-');
  if (dash == std::string::npos || text.find('-', dash + 1) != std::string::npos) {
    return InvalidArgument(FormError(text));
  }
  std::string_view all = text;
  SK_ASSIGN_OR_RETURN(int start, ParsePoint(all.substr(0, dash), text));
  SK_ASSIGN_OR_RETURN(int end, ParsePoint(all.substr(dash + 1), text));
  if (start == end) {
    return InvalidArgument("time window '" + text +
                           "' starts and ends at the same minute; a window needs a length "
                           "(it may wrap around the week, e.g. Sat:22:00-Sun:04:00)");
  }
  return TimeWindow{start, end, text};
}

bool TimeWindow::Contains(Time t) const {
  using namespace std::chrono;
  const sys_days day = floor<days>(t);
  const int minute_of_day = static_cast<int>(floor<minutes>(t - day).count());
  const int m = static_cast<int>(weekday(day).c_encoding()) * kMinutesPerDay + minute_of_day;
  static_assert(kMinutesPerWeek == 10080);
  if (start_minute_of_week == end_minute_of_week) return false;  // not a parsed window
  if (start_minute_of_week < end_minute_of_week) {
    return m >= start_minute_of_week && m < end_minute_of_week;
  }
  return m >= start_minute_of_week || m < end_minute_of_week;  // wraps past Sat 23:59
}

}  // namespace spotkeeper
