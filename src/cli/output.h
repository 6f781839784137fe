// How the CLI prints: tables that fit the terminal (at most 100 columns), or the API's JSON
// as JSON or YAML (-o json | yaml).
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time.h"

namespace spotkeeper::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns two spaces apart; when the table is wider than `width` the widest columns are cut
  // (ending in "~") until it fits.
  void Print(std::ostream& out, size_t width) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// The width tables may use: 100, or the terminal's when it is narrower.
size_t TableWidth();

void PrintJson(std::ostream& out, const nlohmann::json& j);
void PrintYaml(std::ostream& out, const nlohmann::json& j);

// "42s", "5m", "3h", "2d" from an RFC 3339 time to `now`; "-" when unset.
std::string Age(const std::string& time, Time now);
// "12.3s", "2m05s".
std::string Elapsed(Duration d);

}  // namespace spotkeeper::cli
