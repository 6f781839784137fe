// A cheap guard in front of JSON parsers: how deeply a text nests its arrays and objects,
// scanned without parsing (brackets inside strings, escapes included, do not count). Callers
// refuse a text deeper than kMaxJsonDepth before nlohmann's parser, whose values are later
// dumped and compared recursively, ever sees it.
#pragma once

#include <cstddef>
#include <string_view>

namespace spotkeeper {

// No request or reply spotkeeper reads nests deeper than a handful of levels.
inline constexpr size_t kMaxJsonDepth = 64;

// The greatest nesting of '[' / '{' in `text` outside strings; stops counting (and returns
// limit + 1) once past `limit`. Malformed text is scanned all the same: the parser rejects it.
size_t JsonNestingDepth(std::string_view text, size_t limit = kMaxJsonDepth);

}  // namespace spotkeeper
