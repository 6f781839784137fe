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
// "$0.0123 (on-demand: $0.0410, 70.0% saved)" from a group's savings.
std::string SavingsLine(const nlohmann::json& savings);
// GET /api/v1/group/{id}/savings as a table per stateful instance.
void DescribeSavings(std::ostream& out, const nlohmann::json& savings);
// GET .../recoveries items: one row per recovery with the time to each phase.
void PrintRecoveryTable(std::ostream& out, const nlohmann::json& recoveries);
void DescribeImport(std::ostream& out, const nlohmann::json& import);
// "2026-01-01T00:00:00.000Z  operator  ssi-1  PauseRequested  by operator".
std::string EventLine(const nlohmann::json& event);
void PrintEventTable(std::ostream& out, const nlohmann::json& events);

// One line for --wait: "RECYCLING  recycle at wait_final_snapshots".
std::string SsiStateLine(const nlohmann::json& ssi);

}  // namespace spotkeeper::cli
