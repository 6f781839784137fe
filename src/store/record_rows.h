// How each record of store.h maps to a row of its table: the column lists, binding a record to
// an INSERT's parameters, and reading it back from a SELECT of those columns.
//
// Bind*(stmt, r) binds ?1..?N in the order of the k*Columns list; Read*(stmt) reads columns
// 0..N-1 in the same order. Optional references ("" = none) are stored as NULL.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite_statement.h"
#include "store/store.h"

namespace spotkeeper {

extern const char kGroupColumns[];
extern const char kSsiColumns[];
extern const char kResourceColumns[];
extern const char kWorkflowColumns[];
// Without seq (assigned by SQLite) for inserts; reads select "seq, " + these.
extern const char kJournalColumns[];
extern const char kEventColumns[];

// "?1, ?2, ..., ?n".
std::string Placeholders(int n);
// "a = excluded.a, b = excluded.b, ..." for every column of `columns` but the first (the id).
std::string UpsertAssignments(const std::string& columns);
int ColumnCount(const std::string& columns);

void BindGroup(SqliteStatement& stmt, const GroupRecord& g);
GroupRecord ReadGroup(const SqliteStatement& stmt);

void BindSsi(SqliteStatement& stmt, const SsiRecord& s);
// Internal if the stored state or conditions are not readable.
Result<SsiRecord> ReadSsi(const SqliteStatement& stmt);

void BindResource(SqliteStatement& stmt, const ResourceRecord& r);
ResourceRecord ReadResource(const SqliteStatement& stmt);

void BindWorkflow(SqliteStatement& stmt, const WorkflowRecord& w);
WorkflowRecord ReadWorkflow(const SqliteStatement& stmt);

void BindJournal(SqliteStatement& stmt, const JournalEntry& e);
// Reads "seq, " + kJournalColumns.
JournalEntry ReadJournal(const SqliteStatement& stmt);

void BindEvent(SqliteStatement& stmt, const EventRecord& e);
// Reads "seq, " + kEventColumns.
EventRecord ReadEvent(const SqliteStatement& stmt);

}  // namespace spotkeeper
