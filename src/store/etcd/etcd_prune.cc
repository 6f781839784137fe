// EtcdStore::Prune (see etcd_store.h).
#include <algorithm>

#include "store/etcd/etcd_records.h"
#include "store/etcd/etcd_store.h"
#include "store/prune_selection.h"
#include "store/sqlite_transaction.h"

namespace spotkeeper {

namespace rec = etcd_records;

Result<PruneResult> EtcdStore::Prune(const PruneRequest& r) {
  PruneRequest bounded = r;
  bounded.max_rows = std::min(r.max_rows, kMaxPruneKeys);
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, cache_->BeginSqlite());
  if (stale_) {
    SK_RETURN_IF_ERROR(LoadInto(*txn));
    SK_RETURN_IF_ERROR(txn->Commit());
    SK_ASSIGN_OR_RETURN(txn, cache_->BeginSqlite());
  }
  SK_ASSIGN_OR_RETURN(PruneSelection sel, txn->SelectPrunable(bounded));
  PruneResult result = sel.Counts();
  if (sel.rows() == 0) return result;
  SK_RETURN_IF_ERROR(txn->DeletePruned(sel));

  const std::string& p = options_.prefix;
  EtcdTxn etcd;
  std::vector<std::string> record_keys;  // keys whose revisions_ entry goes with them
  auto guarded = [&](const std::string& key) {
    auto known = revisions_.find(key);
    etcd.compares.push_back(
        {key, EtcdCompare::Target::kMod, known == revisions_.end() ? 0 : known->second});
    etcd.deletes.push_back(key);
    record_keys.push_back(key);
  };
  for (int64_t seq : sel.events) etcd.deletes.push_back(rec::SeqKey(p, 'e', seq));
  for (int64_t seq : sel.journal) etcd.deletes.push_back(rec::SeqKey(p, 'j', seq));
  for (const std::string& id : sel.workflows) guarded(rec::Key(p, 'w', id));
  for (const std::string& id : sel.resources) guarded(rec::Key(p, 'r', id));
  for (const std::string& id : sel.cloud_events) etcd.deletes.push_back(rec::Key(p, 'c', id));
  std::optional<EtcdFence> f = fence();
  if (f) etcd.compares.push_back({f->key, EtcdCompare::Target::kCreate, f->create_revision});

  Result<EtcdTxnResult> applied = client_.Txn(etcd);
  if (!applied.ok()) {
    stale_ = true;
    return Status(applied.status().code(), "store: prune outcome unknown (" +
                                               applied.status().message() +
                                               "); the replica reloads from etcd");
  }
  if (!applied->succeeded) {
    stale_ = true;
    if (f) {
      Result<EtcdRange> holder = client_.Range(f->key, "");
      if (holder.ok() &&
          (holder->kvs.empty() || holder->kvs[0].create_revision != f->create_revision)) {
        return FailedPrecondition("store: prune refused: this controller is no longer the leader");
      }
    }
    return Aborted("store: prune refused: another writer changed a record it deletes");
  }
  Status s = txn->Commit();
  if (!s.ok()) {
    stale_ = true;
    return Internal("store: etcd applied the prune but the replica did not (" + s.message() +
                    "); it reloads from etcd");
  }
  for (const std::string& key : record_keys) revisions_.erase(key);
  std::lock_guard<std::mutex> lock(mu_);
  revision_ = std::max(revision_, applied->revision);
  return result;
}

}  // namespace spotkeeper
