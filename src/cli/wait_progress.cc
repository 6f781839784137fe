#include "cli/wait_progress.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "cli/output.h"

namespace spotkeeper::cli {

int64_t LatestEventSeq(ApiClient& client) {
  ApiResponse r = client.Get("/api/v1/events?tail=1");
  if (!r.ok() || !r.body.is_object()) return -1;
  return r.body.value("lastSeq", int64_t{0});
}

bool ParseTimeout(const std::string& text, Duration* out) {
  Duration d{0};
  if (!ParseDuration(text, &d) || d.count() <= 0) return false;
  *out = d;
  return true;
}

bool ParseDuration(const std::string& text, Duration* out) {
  if (text.empty()) return false;
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i || j - i > 12) return false;  // 12 digits: more than 30 years in ms
    int64_t n = std::stoll(text.substr(i, j - i));
    std::string unit;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) unit += text[j++];
    if (unit.empty() || unit == "s") {
      total += n * 1000;
    } else if (unit == "ms") {
      total += n;
    } else if (unit == "m") {
      total += n * 60'000;
    } else if (unit == "h") {
      total += n * 3'600'000;
    } else {
      return false;
    }
    any = true;
    i = j;
  }
  if (!any) return false;
  *out = Duration{total};
  return true;
}

int WaitUntilSettled(ApiClient& client, const WaitOptions& o, const std::function<Probe()>& probe,
                     std::ostream& out) {
  auto since = [&] {
    return "+" + Elapsed(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() -
                                                              o.start));
  };
  auto pad = [](std::string s, size_t n) {
    if (s.size() < n) s += std::string(n - s.size(), ' ');
    return s;
  };
  auto deadline = o.start + o.timeout;
  int64_t cursor = o.after_seq;
  std::string last_line;
  while (true) {
    Probe p = probe();
    if (!p.response.ok()) return ReportFailure(client, p.response, "waiting for " + o.what);
    if (p.line != last_line) {
      out << "  " << pad(since(), 9) << p.line << "\n" << std::flush;
      last_line = p.line;
    }
    if (p.outcome != Probe::kWaiting) {
      if (!p.summary.empty()) out << p.summary << "\n" << std::flush;
      return p.outcome == Probe::kDone ? kExitOk : kExitError;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      std::cerr << "error: timed out after " << Elapsed(o.timeout) << " waiting for " << o.what
                << " (now: " << last_line << ")\n"
                << "  keep watching with: spotkeeper events --follow "
                << (o.events_filter.rfind("groupId=", 0) == 0 ? "--group " : "--instance ")
                << o.events_filter.substr(o.events_filter.find('=') + 1) << "\n";
      return kExitTimeout;
    }
    int64_t wait_s = std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(deadline - now).count(), 1, 5);
    ApiResponse ev =
        client.Get("/api/v1/events?" + o.events_filter + "&after=" + std::to_string(cursor) +
                   "&wait=" + std::to_string(wait_s));
    if (!ev.ok()) return ReportFailure(client, ev, "following the events of " + o.what);
    for (const auto& e : ev.body["items"]) {
      out << "  " << pad(since(), 9) << "  " << e.value("kind", "") << ": "
          << e.value("message", "") << "\n";
    }
    out << std::flush;
    cursor = ev.body.value("lastSeq", cursor);
  }
}

}  // namespace spotkeeper::cli
