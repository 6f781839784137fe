// Human output (-o table) of the API's objects: list tables and "describe" views.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>

#include "common/time.h"

namespace spotkeeper::cli {

void PrintGroupTable(std::ostream& out, const nlohmann::json& groups, Time now);
void DescribeGroup(std::ostream& out, const nlohmann::json& group, const nlohmann::json& ssis,
                   Time now);
void PrintSsiTable(std::ostream& out, const nlohmann::json& ssis, Time now, bool with_group);
void DescribeSsi(std::ostream& out, const nlohmann::json& ssi, Time now);
void DescribeImport(std::ostream& out, const nlohmann::json& import);
// "2026-01-01T00:00:00.000Z  operator  ssi-1  PauseRequested  by operator".
std::string EventLine(const nlohmann::json& event);
void PrintEventTable(std::ostream& out, const nlohmann::json& events);

// One line for --wait: "RECYCLING  recycle at wait_final_snapshots".
std::string SsiStateLine(const nlohmann::json& ssi);

}  // namespace spotkeeper::cli
