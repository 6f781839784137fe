// What the API verbs of the CLI share: the global options (--server, --token, --data-dir,
// -o), the HTTP client of the spotkeeper API, the exit codes scripts rely on, and how errors
// are reported.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace spotkeeper::cli {

// Exit codes (also in `spotkeeper --help` and docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // the request failed (bad spec, server error, ERROR state, ...)
  kExitUsage = 2,        // bad command line
  kExitNotFound = 3,     // no such group / instance / import (HTTP 404)
  kExitConflict = 4,     // not possible now (HTTP 409): state, name taken, generation moved on
  kExitTimeout = 5,      // --wait ran out of time
  kExitUnreachable = 6,  // no server at --server
  kExitAuth = 7,         // no token, or the wrong one (HTTP 401/403)
};

// The footer of `spotkeeper --help`.
std::string ExitCodesHelp();

struct ClientOptions {
  std::string server;            // --server / SPOTKEEPER_SERVER
  std::string token;             // --token / SPOTKEEPER_TOKEN
  std::string data_dir;          // --data-dir (SPOTKEEPER_DATA_DIR is read where it is used)
  std::string output = "table";  // -o table | json | yaml
};

// Registers --server, --token, --data-dir and -o on the top-level app.
void AddClientOptions(CLI::App& app, ClientOptions* options);

// The data directory: --data-dir, else SPOTKEEPER_DATA_DIR, else ~/.spotkeeper.
std::string ResolveDataDir(const ClientOptions& o);

struct ApiResponse {
  bool connected = false;  // false: no HTTP answer at all (see error)
  int status = 0;
  nlohmann::json body;  // parsed JSON (null when not JSON)
  std::string text;     // raw body
  std::string error;    // transport error
  bool ok() const { return connected && status >= 200 && status < 300; }
};

class ApiClient {
 public:
  // server: "http://127.0.0.1:7780" (https:// works too).
  ApiClient(std::string server, std::string token);

  ApiResponse Get(const std::string& path);
  ApiResponse Send(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& content_type = "application/json");
  // Reads a server-sent-events stream; `on_event` gets each event's data (JSON) and returns
  // false to stop. Returns when the stream ends or on_event says stop.
  ApiResponse Stream(const std::string& path, const std::string& last_event_id,
                     const std::function<bool(const nlohmann::json&)>& on_event);

  const std::string& server() const { return server_; }
  bool has_token() const { return !token_.empty(); }

 private:
  std::string server_;
  std::string token_;
};

// The client for the global options: server from --server, SPOTKEEPER_SERVER, the address a
// local server wrote into the data dir, else http://127.0.0.1:7780; token from --token,
// SPOTKEEPER_TOKEN, else <data dir>/token.
std::unique_ptr<ApiClient> MakeClient(const ClientOptions& o);

// Prints why a request failed (message, field errors, hints) to stderr; returns the exit code.
int ReportFailure(const ApiClient& client, const ApiResponse& r, const std::string& what);

// URL-encodes a query value.
std::string UrlEncode(const std::string& s);

}  // namespace spotkeeper::cli
