// Events: the audit log (filter by group, stateful instance, time, sequence; long poll with
// ?wait=) and a live stream of it as server-sent events.
#include <httplib.h>

#include <deque>
#include <memory>

#include "api/api_routes.h"
#include "api/http_util.h"
#include "api/resource_json.h"

namespace spotkeeper::api {
namespace {

ResponseDoc Err(int status, const std::string& description) {
  return {status, description, "Error", "application/json"};
}

struct EventFilter {
  std::string group_id;
  std::string ssi_id;
  Time since = kEpoch;
  int64_t after = 0;
};

// The filter from the query; false (and a 400 sent) when a parameter is bad.
bool ReadFilter(const RouteRequest& req, httplib::Response& res, EventFilter* f) {
  f->group_id = req.Query("groupId").value_or("");
  f->ssi_id = req.Query("statefulInstanceId").value_or("");
  if (auto since = req.Query("since")) {
    auto t = ParseTime(*since);
    if (!t.ok()) {
      SendStatus(res, InvalidArgument("query parameter since: '" + *since +
                                      "' is not a time; write e.g. 2026-01-01T00:00:00Z"));
      return false;
    }
    f->since = *t;
  }
  bool failed = false;
  f->after = QueryInt(req, "after", 0, INT64_MAX / 2, res, &failed).value_or(0);
  return !failed;
}

EventQuery Query(const EventFilter& f, int64_t after, int limit) {
  EventQuery q;
  q.group_id = f.group_id;
  q.ssi_id = f.ssi_id;
  q.since = f.since;
  q.after_seq = after;
  q.limit = limit;
  return q;
}

// The last `n` events matching `f` (scans forward in pages).
Result<std::vector<EventRecord>> Tail(Store& store, const EventFilter& f, size_t n) {
  std::deque<EventRecord> last;
  int64_t after = f.after;
  while (true) {
    SK_ASSIGN_OR_RETURN(std::vector<EventRecord> page, store.ListEvents(Query(f, after, 1000)));
    for (auto& e : page) {
      last.push_back(std::move(e));
      if (last.size() > n) last.pop_front();
    }
    if (page.size() < 1000) break;
    after = last.back().seq;
  }
  return std::vector<EventRecord>(last.begin(), last.end());
}

// The highest event sequence number (0 when there are none).
Result<int64_t> LatestSeq(Store& store) {
  auto exists_after = [&](int64_t x) -> Result<bool> {
    EventQuery q;
    q.after_seq = x;
    q.limit = 1;
    SK_ASSIGN_OR_RETURN(std::vector<EventRecord> e, store.ListEvents(q));
    return !e.empty();
  };
  SK_ASSIGN_OR_RETURN(bool any, exists_after(0));
  if (!any) return int64_t{0};
  // Invariant: an event exists after lo and none after hi; then the highest seq is hi.
  int64_t lo = 0, hi = 1;
  while (true) {
    SK_ASSIGN_OR_RETURN(bool more, exists_after(hi));
    if (!more) break;
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    SK_ASSIGN_OR_RETURN(bool more, exists_after(mid));
    (more ? lo : hi) = mid;
  }
  return hi;
}

void ListEvents(ApiServices* s, EventStreamOptions o, const RouteRequest& req,
                httplib::Response& res) {
  EventFilter f;
  if (!ReadFilter(req, res, &f)) return;
  bool failed = false;
  int64_t limit = QueryInt(req, "limit", 1, 1000, res, &failed).value_or(100);
  if (failed) return;
  auto tail = QueryInt(req, "tail", 1, 1000, res, &failed);
  if (failed) return;
  int64_t wait = QueryInt(req, "wait", 0, o.max_long_poll.count(), res, &failed).value_or(0);
  if (failed) return;

  std::vector<EventRecord> events;
  if (tail) {
    auto t = Tail(*s->store, f, static_cast<size_t>(*tail));
    if (!t.ok()) return SendStatus(res, t.status());
    events = std::move(*t);
  } else {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    while (true) {
      uint64_t seen = s->events->version();
      auto page = s->store->ListEvents(Query(f, f.after, static_cast<int>(limit)));
      if (!page.ok()) return SendStatus(res, page.status());
      events = std::move(*page);
      if (!events.empty() || std::chrono::steady_clock::now() >= deadline ||
          s->events->shutting_down()) {
        break;
      }
      s->events->WaitChange(seen, deadline);
    }
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : events) items.push_back(EventJson(e));
  int64_t last = events.empty() ? f.after : events.back().seq;
  SendJson(res, 200, {{"items", items}, {"count", items.size()}, {"lastSeq", last}});
}

// One open SSE stream.
struct StreamState {
  ApiServices* services;
  EventFilter filter;
  int64_t cursor = 0;
  std::vector<EventRecord> backlog;  // sent first (tail)
  std::chrono::milliseconds keepalive;
  bool started = false;
};

bool WriteAll(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

bool StreamStep(StreamState& st, httplib::DataSink& sink) {
  EventHub& hub = *st.services->events;
  if (!st.started) {
    st.started = true;
    std::string head = "retry: 2000\n\n";
    for (const auto& e : st.backlog) {
      head += "id: " + std::to_string(e.seq) + "\ndata: " + EventJson(e).dump() + "\n\n";
      st.cursor = e.seq;
    }
    st.backlog.clear();
    return WriteAll(sink, head);
  }
  auto deadline = std::chrono::steady_clock::now() + st.keepalive;
  while (true) {
    if (hub.shutting_down()) return false;
    uint64_t seen = hub.version();
    auto page = st.services->store->ListEvents(Query(st.filter, st.cursor, 100));
    if (!page.ok()) return false;
    if (!page->empty()) {
      std::string out;
      for (const auto& e : *page) {
        out += "id: " + std::to_string(e.seq) + "\ndata: " + EventJson(e).dump() + "\n\n";
        st.cursor = e.seq;
      }
      return WriteAll(sink, out);
    }
    if (std::chrono::steady_clock::now() >= deadline) return WriteAll(sink, ": keepalive\n\n");
    hub.WaitChange(seen, deadline);
  }
}

void StreamEvents(ApiServices* s, EventStreamOptions o, const RouteRequest& req,
                  httplib::Response& res) {
  auto st = std::make_shared<StreamState>();
  st->services = s;
  st->keepalive = o.keepalive;
  if (!ReadFilter(req, res, &st->filter)) return;
  bool failed = false;
  auto tail = QueryInt(req, "tail", 1, 1000, res, &failed);
  if (failed) return;
  // Where to start: Last-Event-ID (a reconnecting client), ?after=, ?tail=, else from now.
  std::string last_id = req.Header("Last-Event-ID");
  if (!last_id.empty()) {
    char* end = nullptr;
    long long v = std::strtoll(last_id.c_str(), &end, 10);
    if (end == last_id.c_str() || *end != '\0' || v < 0) {
      return SendStatus(res, InvalidArgument("Last-Event-ID must be an event seq number"));
    }
    st->cursor = v;
  } else if (req.Query("after")) {
    st->cursor = st->filter.after;
  } else if (tail) {
    auto t = Tail(*s->store, st->filter, static_cast<size_t>(*tail));
    if (!t.ok()) return SendStatus(res, t.status());
    st->backlog = std::move(*t);
    auto latest = LatestSeq(*s->store);
    if (!latest.ok()) return SendStatus(res, latest.status());
    st->cursor = *latest;
  } else {
    auto latest = LatestSeq(*s->store);
    if (!latest.ok()) return SendStatus(res, latest.status());
    st->cursor = *latest;
  }
  st->filter.after = 0;
  if (!s->events->TryOpenStream()) {
    return SendStatus(
        res, ResourceExhausted(std::to_string(s->events->max_streams()) +
                               " event streams are open, the most this server serves; close "
                               "one or use GET /api/v1/events?wait= (long poll)"));
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [st](size_t /*offset*/, httplib::DataSink& sink) { return StreamStep(*st, sink); },
      [s](bool /*success*/) { s->events->CloseStream(); });
}

}  // namespace

void AddEventRoutes(RouteTable& t, ApiServices* s, EventStreamOptions o) {
  std::vector<ParamDoc> filter = {
      {"groupId", "query", "string", "Only this group's events", false},
      {"statefulInstanceId", "query", "string", "Only this stateful instance's events", false},
      {"since", "query", "string", "Only events at or after this time (RFC 3339)", false},
      {"after", "query", "integer", "Only events with a larger seq (paging, following)", false},
  };
  std::vector<ParamDoc> list_params = filter;
  list_params.push_back({"limit", "query", "integer", "At most this many (1..1000, 100)", false});
  list_params.push_back(
      {"tail", "query", "integer", "The last N matching events instead (1..1000)", false});
  list_params.push_back({"wait", "query", "integer",
                         "Long poll: when nothing matches yet, wait up to this many seconds "
                         "(0..60) for an event",
                         false});
  t.Add({"GET",
         "/api/v1/events",
         true,
         {"listEvents",
          "The audit log",
          "Events oldest first. To follow: pass the answer's lastSeq as ?after= with ?wait=.",
          "events",
          list_params,
          "",
          false,
          {},
          {{200, "The events", "EventList", "application/json"}, Err(400, "Bad query parameter")}},
         [s, o](const RouteRequest& r, httplib::Response& res) { ListEvents(s, o, r, res); }});
  std::vector<ParamDoc> stream_params = filter;
  stream_params.push_back(
      {"tail", "query", "integer", "Send the last N matching events first (1..1000)", false});
  stream_params.push_back({"Last-Event-ID", "header", "integer",
                           "Resume after this seq (browsers send it when reconnecting)", false});
  t.Add({"GET",
         "/api/v1/events/stream",
         true,
         {"streamEvents",
          "Follow the audit log live (server-sent events)",
          "text/event-stream: each event is `id: <seq>` and `data: <Event JSON>`; a comment "
          "line every 15 s keeps idle connections open. Starts after Last-Event-ID, ?after=, "
          "?tail= events, or now.",
          "events",
          stream_params,
          "",
          false,
          {},
          {{200, "The stream", "", "text/event-stream"},
           Err(400, "Bad query parameter"),
           Err(429, "Too many streams open")}},
         [s, o](const RouteRequest& r, httplib::Response& res) { StreamEvents(s, o, r, res); }});
}

}  // namespace spotkeeper::api
