// EtcdWatch: etcd's watch on one key over the JSON gateway (POST /v3/watch, a response that
// never ends by itself: one JSON object per line, {"result": {"created": true, ...}} first,
// then {"result": {"events": [...]}} as the key changes). A follower watches the campaign key
// so that it learns of the leader's lease running out at once instead of at its next poll
// (LeaderElection, docs/ha.md).
//
// Run() blocks while the stream lasts; it returns when the stream breaks (etcd went away, the
// member lost its quorum, a compaction cancelled the watch) or Cancel() is called. The caller
// falls back to polling and runs it again. Thread-safe: Cancel() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "awsproto/http_stream.h"
#include "common/status.h"

namespace spotkeeper {

struct EtcdWatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
};

class EtcdWatch {
 public:
  // `endpoints`: "http://host:port" each; `http` is not owned and must outlive the watch.
  EtcdWatch(std::vector<std::string> endpoints, aws::HttpStreamClient* http);

  // Watches `key` on one endpoint (the next one at each call). `on_created` is called once etcd
  // has set the watch up (from then on no change is missed); `on_event` for each change.
  // Returns Cancelled after Cancel(); otherwise why the stream ended.
  Status Run(const std::string& key, const std::function<void()>& on_created,
             const std::function<void(const EtcdWatchEvent&)>& on_event);
  // Ends a Run() in progress and every later one.
  void Cancel() { cancel_.Cancel(); }

  // Feeds stream bytes to the line parser (for tests): calls the callbacks for each complete
  // line; an error when a line is not a watch response or carries an error.
  static Status Parse(std::string& buffer, std::string_view data,
                      const std::function<void()>& on_created,
                      const std::function<void(const EtcdWatchEvent&)>& on_event);

 private:
  std::vector<std::string> endpoints_;
  aws::HttpStreamClient* http_;
  std::atomic<size_t> next_{0};
  aws::StreamCancel cancel_;
};

}  // namespace spotkeeper
