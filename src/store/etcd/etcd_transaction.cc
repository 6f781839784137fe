#include "store/etcd/etcd_transaction.h"

#include <utility>

#include "store/etcd/etcd_records.h"

namespace spotkeeper {

namespace rec = etcd_records;

EtcdTransaction::EtcdTransaction(EtcdStore* store, std::unique_ptr<SqliteTransaction> replica)
    : store_(store), replica_(std::move(replica)) {}

Status EtcdTransaction::PutGroup(const GroupRecord& g) {
  SK_RETURN_IF_ERROR(CheckOpen());
  SK_RETURN_IF_ERROR(replica_->PutGroup(g));
  // The replica assigned the generation; read the row back as it will be stored.
  SK_ASSIGN_OR_RETURN(GroupRecord stored, store_->cache_->GetGroup(g.id));
  puts_[rec::Key(store_->prefix(), 'g', g.id)] = rec::Encode(stored);
  return OkStatus();
}

Status EtcdTransaction::PutSsi(const SsiRecord& s) {
  SK_RETURN_IF_ERROR(CheckOpen());
  SK_RETURN_IF_ERROR(replica_->PutSsi(s));
  puts_[rec::Key(store_->prefix(), 's', s.id)] = rec::Encode(s);
  return OkStatus();
}

Status EtcdTransaction::PutResource(const ResourceRecord& r) {
  SK_RETURN_IF_ERROR(CheckOpen());
  SK_RETURN_IF_ERROR(replica_->PutResource(r));
  puts_[rec::Key(store_->prefix(), 'r', r.id)] = rec::Encode(r);
  return OkStatus();
}

Status EtcdTransaction::PutWorkflow(const WorkflowRecord& w) {
  SK_RETURN_IF_ERROR(CheckOpen());
  SK_RETURN_IF_ERROR(replica_->PutWorkflow(w));
  puts_[rec::Key(store_->prefix(), 'w', w.id)] = rec::Encode(w);
  return OkStatus();
}

Status EtcdTransaction::AppendJournal(const JournalEntry& e) {
  SK_RETURN_IF_ERROR(CheckOpen());
  JournalEntry entry = e;
  entry.seq = store_->next_journal_seq_ + journal_entries_;
  SK_RETURN_IF_ERROR(replica_->AppendJournalAsIs(entry));
  ++journal_entries_;
  std::string key = rec::SeqKey(store_->prefix(), 'j', entry.seq);
  puts_[key] = rec::Encode(entry);
  creates_.insert(key);
  return OkStatus();
}

Status EtcdTransaction::AppendEvent(const EventRecord& e) {
  SK_RETURN_IF_ERROR(CheckOpen());
  EventRecord event = e;
  event.seq = store_->next_event_seq_ + events_;
  SK_RETURN_IF_ERROR(replica_->AppendEventAsIs(event));
  ++events_;
  std::string key = rec::SeqKey(store_->prefix(), 'e', event.seq);
  puts_[key] = rec::Encode(event);
  creates_.insert(key);
  return OkStatus();
}

Status EtcdTransaction::MarkCloudEventSeen(const std::string& event_id, Time at) {
  SK_RETURN_IF_ERROR(CheckOpen());
  Result<bool> seen = event_id.empty() ? false : store_->cache_->CloudEventSeen(event_id);
  SK_RETURN_IF_ERROR(seen.status());
  SK_RETURN_IF_ERROR(replica_->MarkCloudEventSeen(event_id, at));
  if (*seen) return OkStatus();  // the first mark stays
  std::string key = rec::Key(store_->prefix(), 'c', event_id);
  puts_[key] = rec::EncodeSeen(at);
  creates_.insert(key);
  return OkStatus();
}

Status EtcdTransaction::CheckOpen() const {
  if (replica_ == nullptr) return FailedPrecondition("store: the transaction has already finished");
  return OkStatus();
}

Status EtcdTransaction::Commit() {
  if (finished_) return FailedPrecondition("store: the transaction has already finished");
  finished_ = true;
  Status s = CommitOnce();
  if (!s.ok()) replica_.reset();  // rolls back and lets other transactions in
  return s;
}

Status EtcdTransaction::CommitOnce() {
  SK_RETURN_IF_ERROR(replica_->CheckReferences());
  if (puts_.empty()) return replica_->Commit();

  EtcdTxn txn;
  for (auto& [key, value] : puts_) {
    if (creates_.count(key) != 0) {
      txn.compares.push_back({key, EtcdCompare::Target::kCreate, 0});
    } else {
      auto known = store_->revisions_.find(key);
      int64_t rev = known == store_->revisions_.end() ? 0 : known->second;
      txn.compares.push_back({key, EtcdCompare::Target::kMod, rev});
    }
    txn.puts.push_back({key, value, 0});
  }
  std::optional<EtcdFence> fence = store_->fence();
  if (fence)
    txn.compares.push_back({fence->key, EtcdCompare::Target::kCreate, fence->create_revision});

  Result<EtcdTxnResult> result = store_->client_.Txn(txn);
  if (!result.ok()) {
    store_->stale_ = true;  // it may have landed: load again before the next transaction
    return Status(result.status().code(),
                  "store: commit outcome unknown (" + result.status().message() +
                      "); the replica reloads from etcd before the next transaction");
  }
  if (!result->succeeded) {
    store_->stale_ = true;
    return Refusal();
  }
  Status s = replica_->Commit();
  if (!s.ok()) {
    store_->stale_ = true;
    return Internal("store: etcd applied the commit but the replica did not (" + s.message() +
                    "); it reloads from etcd before the next transaction");
  }
  for (const auto& [key, value] : puts_) {
    if (creates_.count(key) == 0) store_->revisions_[key] = result->revision;
  }
  store_->next_journal_seq_ += journal_entries_;
  store_->next_event_seq_ += events_;
  {
    std::lock_guard<std::mutex> lock(store_->mu_);
    store_->revision_ = std::max(store_->revision_, result->revision);
  }
  return OkStatus();
}

Status EtcdTransaction::Refusal() {
  std::optional<EtcdFence> fence = store_->fence();
  if (fence) {
    Result<EtcdRange> holder = store_->client_.Range(fence->key, "");
    if (holder.ok() &&
        (holder->kvs.empty() || holder->kvs[0].create_revision != fence->create_revision)) {
      std::string now =
          holder->kvs.empty() ? "nobody holds it now" : "it is now held by " + holder->kvs[0].value;
      return FailedPrecondition("store: write refused: this controller is no longer the leader (" +
                                fence->key + ": " + now + ")");
    }
  }
  return Aborted(
      "store: write refused: another writer changed a record this transaction writes; the "
      "replica reloads from etcd before the next transaction");
}

}  // namespace spotkeeper
