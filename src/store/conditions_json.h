// Conditions as stored in ssis.conditions_json: a JSON array of objects
//   [{"last_transition":<epoch ms>,"message":"...","observed_generation":3,"reason":"...",
//     "status":"True","type":"Ready"}, ...]
// written by nlohmann_json (keys sorted, no whitespace: the canonical form).
//
// Reading has two paths that agree wherever both accept the input: a fast one for the canonical
// form whose strings are printable ASCII without escapes (what the store nearly always holds;
// nlohmann's parser would make listing 100,000 SSIs several times slower), and nlohmann's SAX
// parser for everything else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace spotkeeper {

std::string ConditionsToJson(const std::vector<Condition>& conditions);

// Keys a condition lacks keep their defaults; keys it doesn't know are skipped. Internal if
// `json` is not an array of condition objects.
Result<std::vector<Condition>> ConditionsFromJson(const std::string& json);

// The two paths of ConditionsFromJson, for tests. The canonical reader returns nullopt for any
// input outside its form.
std::optional<std::vector<Condition>> ConditionsFromCanonicalJson(std::string_view json);
Result<std::vector<Condition>> ConditionsFromAnyJson(const std::string& json);

}  // namespace spotkeeper
