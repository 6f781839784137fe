// `spotkeeper events [--group ID] [--instance SSI] [--since T] [--tail N] [--follow]`.
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/render.h"

namespace spotkeeper::cli {
namespace {

struct EventsArgs {
  std::string group;
  std::string instance;
  std::string since;
  int tail = 50;
  bool follow = false;
};

void PrintOne(const ClientOptions& o, const nlohmann::json& e) {
  if (o.output == "json") {
    std::cout << e.dump() << "\n";  // one object per line: easy to pipe into jq
  } else if (o.output == "yaml") {
    std::cout << "---\n";
    PrintYaml(std::cout, e);
  } else {
    std::cout << EventLine(e) << "\n";
  }
  std::cout << std::flush;
}

int Run(const ClientOptions& o, const EventsArgs& a) {
  auto client = MakeClient(o);
  std::string filter;
  if (!a.group.empty()) {
    std::string id;
    int code = kExitOk;
    if (!ResolveGroupId(*client, a.group, &id, &code)) return code;
    filter += "&groupId=" + UrlEncode(id);
  }
  if (!a.instance.empty()) filter += "&statefulInstanceId=" + UrlEncode(a.instance);
  if (!a.since.empty()) filter += "&since=" + UrlEncode(a.since);
  ApiResponse r = client->Get("/api/v1/events?tail=" + std::to_string(a.tail) + filter);
  if (!r.ok()) return ReportFailure(*client, r, "reading events");
  if (!a.follow) {
    Emit(o, r.body, [&] {
      if (r.body["items"].empty()) {
        std::cout << "no events\n";
      } else {
        PrintEventTable(std::cout, r.body["items"]);
      }
    });
    return kExitOk;
  }
  for (const auto& e : r.body["items"]) PrintOne(o, e);
  int64_t last = r.body.value("lastSeq", int64_t{0});
  // Follow: the SSE stream, resumed after the last event seen when the connection drops.
  int failures = 0;
  while (true) {
    ApiResponse s = client->Stream("/api/v1/events/stream?after=" + std::to_string(last) + filter,
                                   "", [&](const nlohmann::json& e) {
                                     PrintOne(o, e);
                                     last = e.value("seq", last);
                                     failures = 0;
                                     return true;
                                   });
    if (s.connected && s.status != 200) return ReportFailure(*client, s, "following events");
    if (!s.connected && ++failures >= 5) return ReportFailure(*client, s, "following events");
    std::cerr << "(event stream ended; reconnecting)\n";
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

void AddEventsCommand(CLI::App& app, const ClientOptions* o, int* exit_code) {
  auto* cmd = app.add_subcommand("events", "Show the audit log; --follow streams it live");
  auto a = std::make_shared<EventsArgs>();
  cmd->add_option("--group", a->group, "Only this group's events (id or name)");
  cmd->add_option("--instance", a->instance, "Only this stateful instance's events");
  cmd->add_option("--since", a->since, "Only events at or after this time (RFC 3339)");
  cmd->add_option("--tail", a->tail, "How many of the latest events to show (default 50)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("-f,--follow", a->follow, "Keep printing new events as they happen");
  cmd->callback([o, a, exit_code] { *exit_code = Run(*o, *a); });
}

}  // namespace spotkeeper::cli
