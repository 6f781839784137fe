// Fuzz target: the store's JSON columns as their readers meet them — ssis.conditions_json
// (ConditionsFromJson, both of its paths), groups.spec_json (SpecCache), and status_json,
// deallocation_json and workflows.data_json as the API renders them (GroupJson, SsiJson,
// ImportJson). A column can hold anything a past version, a hand edit or a torn disk left.
// Contracts besides "never crash": where the canonical conditions reader accepts, it agrees with
// nlohmann's; written conditions read back the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "api/import_status.h"
#include "api/resource_json.h"
#include "controller/spec_cache.h"
#include "store/conditions_json.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "store_json_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  std::string text(reinterpret_cast<const char*>(data), size);

  auto fast = ConditionsFromCanonicalJson(text);
  auto any = ConditionsFromAnyJson(text);
  if (fast && (!any.ok() || ConditionsToJson(*fast) != ConditionsToJson(*any)))
    Fail("the two conditions readers disagree", text);
  auto conditions = ConditionsFromJson(text);
  if (conditions.ok()) {
    std::string written = ConditionsToJson(*conditions);
    auto again = ConditionsFromJson(written);
    if (!again.ok() || ConditionsToJson(*again) != written)
      Fail("conditions do not round-trip", text);
  }

  GroupRecord group;
  group.id = "g-1";
  group.generation = 1;
  group.spec_json = text;
  group.status_json = text;
  group.deallocation_json = text;
  SpecCache cache;
  (void)cache.Get(group);

  SsiRecord ssi;
  ssi.id = "ssi-1";
  ssi.group_id = "g-1";
  ssi.status_json = text;
  if (conditions.ok()) ssi.conditions = *conditions;
  WorkflowRecord wf;
  wf.id = "wf-1";
  wf.data_json = text;
  (void)api::GroupJson(group, {ssi});
  (void)api::SsiJson(ssi, {}, wf);
  (void)api::ImportJson(ssi, wf);
  return 0;
}
