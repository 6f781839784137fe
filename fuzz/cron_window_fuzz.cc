// Fuzz target: cron expressions and time windows of a group spec. The input's first line is a
// cron expression, the second a time window ("ddd:hh:mm-ddd:hh:mm").
// Contracts besides "never crash": an accepted expression's Next is after its argument and
// Next(Next(t)) moves forward (Parse rejects what can never fire); Contains answers for any time.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "spec/group_spec.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "cron_window_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nl = text.find('\n');
  std::string cron(text.substr(0, nl));
  std::string window(nl == std::string_view::npos ? "" : text.substr(nl + 1));
  const Time starts[] = {FromMillis(1'767'225'600'000), FromMillis(1'772'323'199'000),
                         FromMillis(4'107'542'400'000)};  // 2026-01-01, 2026-02-28, 2100-03-01
  auto c = CronExpression::Parse(cron);
  if (c.ok()) {
    for (Time t : starts) {
      Time next = c->Next(t);
      if (next <= t) Fail("Next is not after its argument", cron);
      Time after = c->Next(next);
      if (after <= next) Fail("Next does not move forward", cron);
    }
  }
  auto w = TimeWindow::Parse(window);
  if (w.ok()) {
    for (Time t : starts) (void)w->Contains(t);
  }
  return 0;
}
