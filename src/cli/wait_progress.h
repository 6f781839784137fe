// --wait: follows an action until what it changed settles, printing state transitions and the
// audit events as they happen, each with the time since the command started. Uses the API's
// long poll on /api/v1/events, so it reacts at once without hammering the server.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>

#include "cli/client.h"
#include "common/time.h"

namespace spotkeeper::cli {

// What one look at the resource found.
struct Probe {
  enum Outcome { kWaiting, kDone, kFailed };
  Outcome outcome = kWaiting;
  ApiResponse response;  // the GET; when it failed the wait reports it
  std::string line;      // the current state, printed whenever it changes
  std::string summary;   // printed once at the end (done or failed)
};

struct WaitOptions {
  std::string events_filter;  // "statefulInstanceId=ssi-..." or "groupId=sig-..."
  int64_t after_seq = 0;      // events after this one are news
  Duration timeout{30 * 60'000};
  std::string what;  // "ssi-1234 to be ACTIVE", for messages
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// The sequence number of the newest event (0 when none); -1 when the server cannot be asked.
int64_t LatestEventSeq(ApiClient& client);

// Returns an exit code: 0 done, 1 failed, 5 timeout, or the failed request's code.
int WaitUntilSettled(ApiClient& client, const WaitOptions& options,
                     const std::function<Probe()>& probe, std::ostream& out);

// Parses "90s", "10m", "1h", "1h30m", "500ms" or a number of seconds; zero is allowed ("0",
// "0ms").
bool ParseDuration(const std::string& text, Duration* out);
// ParseDuration, and more than zero.
bool ParseTimeout(const std::string& text, Duration* out);

}  // namespace spotkeeper::cli
