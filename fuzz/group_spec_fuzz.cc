// Fuzz target for ParseGroupSpec. Besides "never crash, never throw" it checks the parser's
// contracts: a spec is returned exactly when there are no errors, and an accepted spec survives
// ToJson → ParseGroupSpecJson unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "spec/group_spec.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "group_spec_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOutcome outcome = ParseGroupSpec(text);
  if (outcome.ok() != outcome.spec.has_value()) Fail("spec set iff no errors", outcome.ErrorText());
  if (!outcome.ok() && outcome.ErrorText().empty()) Fail("errors without text", "");
  if (outcome.spec) {
    nlohmann::json canonical = ToJson(*outcome.spec);
    ParseOutcome again = ParseGroupSpecJson(canonical);
    if (!again.ok()) Fail("canonical JSON does not parse", again.ErrorText());
    if (!(*again.spec == *outcome.spec)) Fail("round trip changed the spec", canonical.dump(2));
  }
  return 0;
}
