#include "cli/client.h"

#include <httplib.h>

#include <cstdlib>
#include <iostream>

#include "api/data_dir.h"

namespace spotkeeper::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::unique_ptr<httplib::Client> Http(const std::string& server, const std::string& token) {
  auto c = std::make_unique<httplib::Client>(server);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(30, 0);
  if (!token.empty()) c->set_bearer_token_auth(token.c_str());
  return c;
}

ApiResponse FromResult(const httplib::Result& r) {
  ApiResponse out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.connected = true;
  out.status = r->status;
  out.text = r->body;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

}  // namespace

std::string ExitCodesHelp() {
  return "Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict (not possible in the "
         "current state), 5 timeout (--wait), 6 server unreachable, 7 authentication.\n"
         "Environment: SPOTKEEPER_SERVER, SPOTKEEPER_TOKEN, SPOTKEEPER_DATA_DIR.";
}

void AddClientOptions(CLI::App& app, ClientOptions* o) {
  app.add_option("--server", o->server,
                 "API address (default: SPOTKEEPER_SERVER, the local server's <data-dir>/address, "
                 "http://127.0.0.1:7780)")
      ->envname("SPOTKEEPER_SERVER");
  app.add_option("--token", o->token,
                 "API token (default: SPOTKEEPER_TOKEN, else <data-dir>/token)")
      ->envname("SPOTKEEPER_TOKEN");
  app.add_option("--data-dir", o->data_dir,
                 "Data directory (SPOTKEEPER_DATA_DIR; default ~/.spotkeeper): the server keeps "
                 "its store, token and address there; clients read the token and address");
  app.add_option("-o,--output", o->output, "Output format")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
}

std::string ResolveDataDir(const ClientOptions& o) {
  if (!o.data_dir.empty()) return api::ExpandHome(o.data_dir);
  std::string env = Env("SPOTKEEPER_DATA_DIR");
  if (!env.empty()) return api::ExpandHome(env);
  return api::DefaultDataDir();
}

ApiClient::ApiClient(std::string server, std::string token)
    : server_(std::move(server)), token_(std::move(token)) {
  while (!server_.empty() && server_.back() == '/') server_.pop_back();
}

ApiResponse ApiClient::Get(const std::string& path) {
  return FromResult(Http(server_, token_)->Get(path.c_str()));
}

ApiResponse ApiClient::Send(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& content_type) {
  auto c = Http(server_, token_);
  if (method == "POST") return FromResult(c->Post(path.c_str(), body, content_type.c_str()));
  if (method == "PUT") return FromResult(c->Put(path.c_str(), body, content_type.c_str()));
  if (method == "DELETE") return FromResult(c->Delete(path.c_str(), body, content_type.c_str()));
  return FromResult(c->Get(path.c_str()));
}

ApiResponse ApiClient::Stream(const std::string& path, const std::string& last_event_id,
                              const std::function<bool(const nlohmann::json&)>& on_event) {
  auto c = Http(server_, token_);
  c->set_read_timeout(60, 0);  // the server sends a keep-alive every 15 s
  httplib::Headers headers;
  if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
  std::string buf;
  std::string error_body;
  int status = 0;
  auto r = c->Get(
      path.c_str(), headers,
      [&](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t n) {
        if (status != 200) {
          error_body.append(data, n);
          return true;
        }
        buf.append(data, n);
        size_t end;
        while ((end = buf.find("\n\n")) != std::string::npos) {
          std::string block = buf.substr(0, end);
          buf.erase(0, end + 2);
          size_t d = block.find("data: ");
          if (d == std::string::npos) continue;
          auto j = nlohmann::json::parse(block.substr(d + 6), nullptr, false);
          if (!j.is_discarded() && !on_event(j)) return false;
        }
        return true;
      });
  ApiResponse out;
  out.status = status;
  out.connected = status != 0;
  out.text = error_body;
  out.body = nlohmann::json::parse(error_body, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  if (!r && status == 0) out.error = httplib::to_string(r.error());
  return out;
}

std::unique_ptr<ApiClient> MakeClient(const ClientOptions& o) {
  std::string dir = ResolveDataDir(o);
  std::string server = o.server;
  if (server.empty()) {
    auto addr = api::ReadAddress(dir);
    server = addr.ok() && !addr->empty() ? *addr : "http://127.0.0.1:7780";
  }
  if (server.find("://") == std::string::npos) server = "http://" + server;
  std::string token = o.token;
  if (token.empty()) {
    auto t = api::ReadToken(dir);
    if (t.ok()) token = *t;
  }
  return std::make_unique<ApiClient>(server, token);
}

int ReportFailure(const ApiClient& client, const ApiResponse& r, const std::string& what) {
  if (!r.connected) {
    std::cerr << "error: " << what << ": cannot reach the spotkeeper server at " << client.server()
              << " (" << r.error << ")\n"
              << "  start one with `spotkeeper server`, or point --server / SPOTKEEPER_SERVER "
                 "at it\n";
    return kExitUnreachable;
  }
  std::string message = r.body.is_object() ? r.body.value("message", r.text) : r.text;
  if (message.empty()) message = "HTTP " + std::to_string(r.status);
  std::cerr << "error: " << what << ": " << message << "\n";
  if (r.body.is_object() && r.body.contains("details") && r.body["details"].is_object()) {
    const auto& d = r.body["details"];
    if (d.contains("fieldErrors")) {
      for (const auto& e : d["fieldErrors"]) {
        std::string path = e.value("path", "");
        std::cerr << "  " << (path.empty() ? "" : path + ": ") << e.value("message", "") << "\n";
      }
    }
  }
  switch (r.status) {
    case 401:
    case 403:
      if (!client.has_token()) {
        std::cerr << "  no token: pass --token, set SPOTKEEPER_TOKEN, or run where the server's "
                     "data directory is (its file 'token'; see --data-dir)\n";
      }
      return kExitAuth;
    case 404:
      return kExitNotFound;
    case 409:
      return kExitConflict;
    case 504:
      return kExitTimeout;
    default:
      return kExitError;
  }
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace spotkeeper::cli
