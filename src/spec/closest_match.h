// Spelling suggestions for unknown field names ("did you mean 'blockDevicesMode'?").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotkeeper {

// Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of two
// adjacent characters each cost 1), compared case-insensitively.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo (distance 1 for
// names shorter than 4 characters, 2 below 9, 3 otherwise); ties go to the earlier candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace spotkeeper
