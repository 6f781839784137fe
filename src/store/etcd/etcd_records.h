// How the store's records are kept in etcd: one key per record under the store's prefix, the
// value a JSON object with the record's fields (times in epoch milliseconds). See docs/ha.md for
// the layout and sizes.
//
//   <prefix>g/<group id>     GroupRecord        <prefix>j/<seq, 20 digits>  JournalEntry
//   <prefix>s/<SSI id>       SsiRecord          <prefix>e/<seq, 20 digits>  EventRecord
//   <prefix>r/<resource id>  ResourceRecord     <prefix>c/<cloud event id>  seen at (ms)
//   <prefix>w/<workflow id>  WorkflowRecord
#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace spotkeeper::etcd_records {

// The one-letter kinds above, in the order a replica loads them.
inline constexpr char kKinds[] = {'g', 's', 'r', 'w', 'j', 'e', 'c'};

std::string Key(const std::string& prefix, char kind, const std::string& id);
std::string SeqKey(const std::string& prefix, char kind, int64_t seq);

std::string Encode(const GroupRecord& g);
std::string Encode(const SsiRecord& s);
std::string Encode(const ResourceRecord& r);
std::string Encode(const WorkflowRecord& w);
std::string Encode(const JournalEntry& e);
std::string Encode(const EventRecord& e);
std::string EncodeSeen(Time at);

// Internal naming the key when the value is not a record of that kind.
Result<GroupRecord> DecodeGroup(const std::string& value);
Result<SsiRecord> DecodeSsi(const std::string& value);
Result<ResourceRecord> DecodeResource(const std::string& value);
Result<WorkflowRecord> DecodeWorkflow(const std::string& value);
Result<JournalEntry> DecodeJournal(const std::string& value);
Result<EventRecord> DecodeEvent(const std::string& value);
Result<Time> DecodeSeen(const std::string& value);

}  // namespace spotkeeper::etcd_records
