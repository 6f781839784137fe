#include "cli/cli_util.h"

#include <fstream>
#include <sstream>

#include "cli/output.h"

namespace spotkeeper::cli {

Time ServerNow(ApiClient& client) {
  ApiResponse r = client.Get("/api/v1/info");
  if (r.ok() && r.body.is_object()) {
    auto t = ParseTime(r.body.value("now", ""));
    if (t.ok()) return *t;
  }
  return SystemClock::Default()->Now();
}

bool ResolveGroupId(ApiClient& client, const std::string& arg, std::string* id, int* exit_code) {
  if (arg.rfind("sig-", 0) == 0) {
    *id = arg;
    return true;
  }
  ApiResponse r = client.Get("/api/v1/group");
  if (!r.ok()) {
    *exit_code = ReportFailure(client, r, "finding group '" + arg + "'");
    return false;
  }
  for (const auto& g : r.body["items"]) {
    if (g.value("name", "") == arg) {
      *id = g["id"];
      return true;
    }
  }
  std::cerr << "error: no group with id or name '" << arg << "' (see: spotkeeper group list)\n";
  *exit_code = kExitNotFound;
  return false;
}

bool ReadSpecFile(const std::string& path, std::string* text, std::string* content_type) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "error: cannot read " << path << "\n";
      return false;
    }
    buf << in.rdbuf();
  }
  *text = buf.str();
  size_t first = text->find_first_not_of(" \t\r\n");
  *content_type =
      first != std::string::npos && (*text)[first] == '{' ? "application/json" : "application/yaml";
  return true;
}

std::ostream& ProgressStream(const ClientOptions& o) {
  return o.output == "table" ? std::cout : std::cerr;
}

}  // namespace spotkeeper::cli
