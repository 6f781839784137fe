#include "store/etcd/etcd_store.h"

#include <algorithm>
#include <utility>

#include "store/etcd/etcd_records.h"
#include "store/etcd/etcd_transaction.h"
#include "store/sqlite_transaction.h"

namespace spotkeeper {

namespace rec = etcd_records;

namespace {

// Puts one loaded key into the replica; `max_seq` tracks journal/event sequence numbers.
Status LoadKey(SqliteTransaction& txn, char kind, const EtcdKv& kv, int64_t* max_journal,
               int64_t* max_event, const std::string& id) {
  switch (kind) {
    case 'g': {
      SK_ASSIGN_OR_RETURN(GroupRecord g, rec::DecodeGroup(kv.value));
      return txn.PutGroupAsIs(g);
    }
    case 's': {
      SK_ASSIGN_OR_RETURN(SsiRecord s, rec::DecodeSsi(kv.value));
      return txn.PutSsi(s);
    }
    case 'r': {
      SK_ASSIGN_OR_RETURN(ResourceRecord r, rec::DecodeResource(kv.value));
      return txn.PutResource(r);
    }
    case 'w': {
      SK_ASSIGN_OR_RETURN(WorkflowRecord w, rec::DecodeWorkflow(kv.value));
      return txn.PutWorkflow(w);
    }
    case 'j': {
      SK_ASSIGN_OR_RETURN(JournalEntry e, rec::DecodeJournal(kv.value));
      *max_journal = std::max(*max_journal, e.seq);
      return txn.AppendJournalAsIs(e);
    }
    case 'e': {
      SK_ASSIGN_OR_RETURN(EventRecord e, rec::DecodeEvent(kv.value));
      *max_event = std::max(*max_event, e.seq);
      return txn.AppendEventAsIs(e);
    }
    case 'c': {
      SK_ASSIGN_OR_RETURN(Time at, rec::DecodeSeen(kv.value));
      return txn.MarkCloudEventSeen(id, at);
    }
  }
  return Internal("store: unknown record kind");
}

}  // namespace

EtcdStore::EtcdStore(EtcdStoreOptions options, std::unique_ptr<SqliteStore> cache)
    : options_(std::move(options)),
      client_(options_.endpoints, options_.http),
      cache_(std::move(cache)) {}

EtcdStore::~EtcdStore() = default;

Result<std::unique_ptr<EtcdStore>> EtcdStore::Open(EtcdStoreOptions options) {
  if (options.http == nullptr) return InvalidArgument("store: etcd store needs an HTTP client");
  if (options.endpoints.empty()) return InvalidArgument("store: etcd store needs endpoints");
  if (options.prefix.empty()) return InvalidArgument("store: etcd key prefix is empty");
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> cache,
                      SqliteStore::Open(":memory:", options.clock));
  std::unique_ptr<EtcdStore> store(new EtcdStore(std::move(options), std::move(cache)));
  SK_RETURN_IF_ERROR(store->Reload());
  return store;
}

Status EtcdStore::Reload() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, cache_->BeginSqlite());
  SK_RETURN_IF_ERROR(LoadInto(*txn));
  return txn->Commit();
}

Status EtcdStore::LoadInto(SqliteTransaction& txn) {
  SK_RETURN_IF_ERROR(txn.DeleteEverything());
  revisions_.clear();
  next_journal_seq_ = 1;
  next_event_seq_ = 1;
  SK_RETURN_IF_ERROR(ApplyChanges(txn, 0));
  stale_ = false;
  return OkStatus();
}

Status EtcdStore::ApplyChanges(SqliteTransaction& txn, int64_t after_revision) {
  int64_t at_revision = 0;  // every kind is read at the revision of the first read
  int64_t max_journal = next_journal_seq_ - 1, max_event = next_event_seq_ - 1;
  for (char kind : rec::kKinds) {
    std::string kind_prefix = rec::Key(options_.prefix, kind, "");
    std::string end = EtcdClient::PrefixEnd(kind_prefix);
    std::string from = kind_prefix;
    while (true) {
      // A full load asks for no min_mod_revision: with any revision filter etcd ignores the
      // limit, reads every key from `from` to the end of the kind and truncates only then, so
      // paging a full load with the filter read the kind n/page_size times (75 s instead of
      // seconds for 100,000 SSIs; bench/controller_scale --store etcd).
      SK_ASSIGN_OR_RETURN(EtcdRange page,
                          client_.Range(from, end, at_revision, options_.page_size,
                                        after_revision > 0 ? after_revision + 1 : 0));
      if (at_revision == 0) at_revision = page.revision;
      for (const EtcdKv& kv : page.kvs) {
        std::string id = kv.key.substr(kind_prefix.size());
        Status s = LoadKey(txn, kind, kv, &max_journal, &max_event, id);
        if (!s.ok()) return s.Annotate("load " + kv.key);
        if (kind != 'j' && kind != 'e' && kind != 'c') revisions_[kv.key] = kv.mod_revision;
      }
      if (!page.more || page.kvs.empty()) break;
      from = page.kvs.back().key + std::string(1, '\0');
    }
  }
  next_journal_seq_ = max_journal + 1;
  next_event_seq_ = max_event + 1;
  std::lock_guard<std::mutex> lock(mu_);
  revision_ = std::max(revision_, at_revision);
  return OkStatus();
}

Status EtcdStore::CatchUp() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, cache_->BeginSqlite());
  Status s = stale_ ? LoadInto(*txn) : ApplyChanges(*txn, revision());
  if (!s.ok() && s.code() != Code::kUnavailable && s.code() != Code::kDeadlineExceeded) {
    // What changed did not apply on top of the replica (e.g. a group name moved between
    // groups): load everything instead.
    txn.reset();
    return Reload();
  }
  SK_RETURN_IF_ERROR(s);
  return txn->Commit();
}

Result<std::unique_ptr<Transaction>> EtcdStore::Begin() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, cache_->BeginSqlite());
  if (stale_) {
    SK_RETURN_IF_ERROR(LoadInto(*txn));
    SK_RETURN_IF_ERROR(txn->Commit());
    SK_ASSIGN_OR_RETURN(txn, cache_->BeginSqlite());
  }
  return std::unique_ptr<Transaction>(std::make_unique<EtcdTransaction>(this, std::move(txn)));
}

void EtcdStore::SetFence(std::optional<EtcdFence> fence) {
  std::lock_guard<std::mutex> lock(mu_);
  fence_ = std::move(fence);
}

std::optional<EtcdFence> EtcdStore::fence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fence_;
}

int64_t EtcdStore::revision() const {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

}  // namespace spotkeeper
