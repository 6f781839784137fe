#include "common/time.h"

#include <cstdio>
#include <ctime>
#include <thread>

namespace spotkeeper {

Sleeper RealSleeper() {
  return [](Duration d) { std::this_thread::sleep_for(d); };
}

std::string FormatTime(Time t) {
  if (t == kNever) return "never";
  int64_t ms = ToMillis(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (ms < 0 && ms % 1000 != 0) --secs;
  int millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

Result<Time> ParseTime(const std::string& text) {
  int y, mo, d, h, mi, consumed = 0;
  double s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    return InvalidArgument("not an ISO-8601 UTC time (want 2026-01-31T12:00:00Z): '" + text + "'");
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  int offset_minutes = 0;
  if (rest == "Z" || rest.empty()) {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
    int oh = std::stoi(rest.substr(1, 2)), om = std::stoi(rest.substr(4, 2));
    offset_minutes = (rest[0] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return InvalidArgument("time has an unexpected suffix '" + rest + "': '" + text + "'");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s < 0 || s >= 61) {
    return InvalidArgument("time out of range: '" + text + "'");
  }
  using namespace std::chrono;
  sys_days date = year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)};
  auto t = time_point_cast<milliseconds>(date) + hours{h} + minutes{mi} +
           milliseconds{static_cast<int64_t>(s * 1000 + 0.5)} - minutes{offset_minutes};
  return Time{t};
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  char buf[64];
  if (ms < 0) {
    std::string negative = "-";
    negative += FormatDuration(Duration{-ms});
    return negative;
  }
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>((ms / 1000) % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>((ms / 60'000) % 60));
  }
  return buf;
}

Time SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

SystemClock* SystemClock::Default() {
  static SystemClock clock;
  return &clock;
}

FakeClock::FakeClock(Time start) : now_(start) {}

Time FakeClock::Now() const {
  std::lock_guard<std::mutex> l(mu_);
  return now_;
}

void FakeClock::Set(Time t) {
  std::lock_guard<std::mutex> l(mu_);
  now_ = t;
}

void FakeClock::Advance(Duration d) {
  std::lock_guard<std::mutex> l(mu_);
  now_ += d;
}

}  // namespace spotkeeper
