// Small helpers the CLI verbs share: printing in the chosen format, finding a group by id or
// name, the server's clock, reading spec files.
#pragma once

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/client.h"
#include "cli/output.h"
#include "common/time.h"

namespace spotkeeper::cli {

// The server's clock (the sim may run fast), else this machine's.
Time ServerNow(ApiClient& client);

// -o json / yaml print `j`; -o table calls `table`.
template <typename F>
void Emit(const ClientOptions& o, const nlohmann::json& j, F&& table) {
  if (o.output == "json") {
    std::cout << j.dump(2) << "\n";
  } else if (o.output == "yaml") {
    PrintYaml(std::cout, j);
  } else {
    table();
  }
}

// "sig-..." as is; otherwise the group of that name. On failure prints why and returns false
// with *exit_code set.
bool ResolveGroupId(ApiClient& client, const std::string& arg, std::string* id, int* exit_code);

// The file's text ("-": standard input) and its content type (JSON when it starts with '{',
// else YAML). False with a message on stderr when it cannot be read.
bool ReadSpecFile(const std::string& path, std::string* text, std::string* content_type);

// Where --wait progress goes: stdout for tables, stderr when stdout carries JSON/YAML.
std::ostream& ProgressStream(const ClientOptions& o);

}  // namespace spotkeeper::cli
