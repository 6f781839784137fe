// Logging for the server: spdlog on stderr, as text for people (colours on a terminal) or as
// JSON lines ({"ts","level","msg", ...fields}) for machines.
#pragma once

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace spotkeeper::api {

// format: text | json; level: trace | debug | info | warn | error | critical | off.
// Replaces spdlog's default logger. InvalidArgument for unknown names.
Status SetUpLogging(const std::string& format, const std::string& level);

// Logs `message`; in JSON mode `fields` become fields of the line (text mode: only the
// message is written, so put what people need in it).
void LogWithFields(spdlog::level::level_enum level, const std::string& message,
                   const nlohmann::json& fields);

// A formatter that writes one JSON object per line (exposed for tests).
std::unique_ptr<spdlog::formatter> MakeJsonFormatter();

}  // namespace spotkeeper::api
