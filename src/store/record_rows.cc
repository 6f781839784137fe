#include "store/record_rows.h"

#include "store/conditions_json.h"

namespace spotkeeper {

const char kGroupColumns[] =
    "id, name, spec_json, generation, status, deallocation_json, status_json, created_at, "
    "updated_at";
const char kSsiColumns[] =
    "id, group_id, state, desired, pause_reason, availability_zone, subnet_id, private_ip, "
    "eni_id, instance_id, instance_type, market, image_id, conditions_json, status_json, "
    "observed_generation, created_at, launched_at, updated_at";
const char kResourceColumns[] =
    "id, ssi_id, group_id, kind, role, device_name, availability_zone, source_id, status, "
    "cloud_state, created_at, updated_at";
const char kWorkflowColumns[] =
    "id, ssi_id, group_id, kind, status, step, step_name, attempt, next_run_at, data_json, "
    "error, planned, created_at, updated_at";
const char kJournalColumns[] = "workflow_id, step, step_name, phase, detail, at";
const char kEventColumns[] = "at, group_id, ssi_id, actor, kind, message";

std::string Placeholders(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    if (i > 1) out += ", ";
    out += "?" + std::to_string(i);
  }
  return out;
}

int ColumnCount(const std::string& columns) {
  int n = 1;
  for (char c : columns) n += c == ',' ? 1 : 0;
  return n;
}

std::string UpsertAssignments(const std::string& columns) {
  std::string out;
  size_t start = columns.find(',');  // skip the id
  while (start != std::string::npos) {
    size_t begin = columns.find_first_not_of(", ", start);
    size_t end = columns.find(',', begin);
    std::string name = columns.substr(begin, end == std::string::npos ? end : end - begin);
    if (!out.empty()) out += ", ";
    out += name + " = excluded." + name;
    start = end;
  }
  return out;
}

void BindGroup(SqliteStatement& stmt, const GroupRecord& g) {
  stmt.Bind(1, g.id);
  stmt.Bind(2, g.name);
  stmt.Bind(3, g.spec_json);
  stmt.Bind(4, g.generation);
  stmt.Bind(5, g.status);
  stmt.Bind(6, g.deallocation_json);
  stmt.Bind(7, g.status_json);
  stmt.Bind(8, g.created_at);
  stmt.Bind(9, g.updated_at);
}

GroupRecord ReadGroup(const SqliteStatement& stmt) {
  GroupRecord g;
  g.id = stmt.ColumnText(0);
  g.name = stmt.ColumnText(1);
  g.spec_json = stmt.ColumnText(2);
  g.generation = stmt.ColumnInt(3);
  g.status = stmt.ColumnText(4);
  g.deallocation_json = stmt.ColumnText(5);
  g.status_json = stmt.ColumnText(6);
  g.created_at = stmt.ColumnTime(7);
  g.updated_at = stmt.ColumnTime(8);
  return g;
}

void BindSsi(SqliteStatement& stmt, const SsiRecord& s) {
  stmt.Bind(1, s.id);
  stmt.Bind(2, s.group_id);
  stmt.Bind(3, std::string(SsiStateName(s.state)));
  stmt.Bind(4, s.desired);
  stmt.Bind(5, s.pause_reason);
  stmt.Bind(6, s.availability_zone);
  stmt.Bind(7, s.subnet_id);
  stmt.Bind(8, s.private_ip);
  stmt.Bind(9, s.eni_id);
  stmt.Bind(10, s.instance_id);
  stmt.Bind(11, s.instance_type);
  stmt.Bind(12, s.market);
  stmt.Bind(13, s.image_id);
  stmt.Bind(14, ConditionsToJson(s.conditions));
  stmt.Bind(15, s.status_json);
  stmt.Bind(16, s.observed_generation);
  stmt.Bind(17, s.created_at);
  stmt.Bind(18, s.launched_at);
  stmt.Bind(19, s.updated_at);
}

Result<SsiRecord> ReadSsi(const SqliteStatement& stmt) {
  SsiRecord s;
  s.id = stmt.ColumnText(0);
  s.group_id = stmt.ColumnText(1);
  std::string state = stmt.ColumnText(2);
  std::optional<SsiState> parsed = ParseSsiState(state);
  if (!parsed) return Internal("store: " + s.id + " has an unknown state '" + state + "'");
  s.state = *parsed;
  s.desired = stmt.ColumnText(3);
  s.pause_reason = stmt.ColumnText(4);
  s.availability_zone = stmt.ColumnText(5);
  s.subnet_id = stmt.ColumnText(6);
  s.private_ip = stmt.ColumnText(7);
  s.eni_id = stmt.ColumnText(8);
  s.instance_id = stmt.ColumnText(9);
  s.instance_type = stmt.ColumnText(10);
  s.market = stmt.ColumnText(11);
  s.image_id = stmt.ColumnText(12);
  Result<std::vector<Condition>> conditions = ConditionsFromJson(stmt.ColumnText(13));
  if (!conditions.ok()) return conditions.status().Annotate("store: " + s.id);
  s.conditions = std::move(conditions).value();
  s.status_json = stmt.ColumnText(14);
  s.observed_generation = stmt.ColumnInt(15);
  s.created_at = stmt.ColumnTime(16);
  s.launched_at = stmt.ColumnTime(17);
  s.updated_at = stmt.ColumnTime(18);
  return s;
}

void BindResource(SqliteStatement& stmt, const ResourceRecord& r) {
  stmt.Bind(1, r.id);
  stmt.BindOptional(2, r.ssi_id);
  stmt.BindOptional(3, r.group_id);
  stmt.Bind(4, r.kind);
  stmt.Bind(5, r.role);
  stmt.Bind(6, r.device_name);
  stmt.Bind(7, r.availability_zone);
  stmt.Bind(8, r.source_id);
  stmt.Bind(9, r.status);
  stmt.Bind(10, r.cloud_state);
  stmt.Bind(11, r.created_at);
  stmt.Bind(12, r.updated_at);
}

ResourceRecord ReadResource(const SqliteStatement& stmt) {
  ResourceRecord r;
  r.id = stmt.ColumnText(0);
  r.ssi_id = stmt.ColumnText(1);
  r.group_id = stmt.ColumnText(2);
  r.kind = stmt.ColumnText(3);
  r.role = stmt.ColumnText(4);
  r.device_name = stmt.ColumnText(5);
  r.availability_zone = stmt.ColumnText(6);
  r.source_id = stmt.ColumnText(7);
  r.status = stmt.ColumnText(8);
  r.cloud_state = stmt.ColumnText(9);
  r.created_at = stmt.ColumnTime(10);
  r.updated_at = stmt.ColumnTime(11);
  return r;
}

void BindWorkflow(SqliteStatement& stmt, const WorkflowRecord& w) {
  stmt.Bind(1, w.id);
  stmt.BindOptional(2, w.ssi_id);
  stmt.BindOptional(3, w.group_id);
  stmt.Bind(4, w.kind);
  stmt.Bind(5, w.status);
  stmt.Bind(6, static_cast<int64_t>(w.step));
  stmt.Bind(7, w.step_name);
  stmt.Bind(8, static_cast<int64_t>(w.attempt));
  stmt.Bind(9, w.next_run_at);
  stmt.Bind(10, w.data_json);
  stmt.Bind(11, w.error);
  stmt.Bind(12, static_cast<int64_t>(w.planned ? 1 : 0));
  stmt.Bind(13, w.created_at);
  stmt.Bind(14, w.updated_at);
}

WorkflowRecord ReadWorkflow(const SqliteStatement& stmt) {
  WorkflowRecord w;
  w.id = stmt.ColumnText(0);
  w.ssi_id = stmt.ColumnText(1);
  w.group_id = stmt.ColumnText(2);
  w.kind = stmt.ColumnText(3);
  w.status = stmt.ColumnText(4);
  w.step = static_cast<int>(stmt.ColumnInt(5));
  w.step_name = stmt.ColumnText(6);
  w.attempt = static_cast<int>(stmt.ColumnInt(7));
  w.next_run_at = stmt.ColumnTime(8);
  w.data_json = stmt.ColumnText(9);
  w.error = stmt.ColumnText(10);
  w.planned = stmt.ColumnInt(11) != 0;
  w.created_at = stmt.ColumnTime(12);
  w.updated_at = stmt.ColumnTime(13);
  return w;
}

void BindJournal(SqliteStatement& stmt, const JournalEntry& e) {
  stmt.Bind(1, e.workflow_id);
  stmt.Bind(2, static_cast<int64_t>(e.step));
  stmt.Bind(3, e.step_name);
  stmt.Bind(4, e.phase);
  stmt.Bind(5, e.detail);
  stmt.Bind(6, e.at);
}

JournalEntry ReadJournal(const SqliteStatement& stmt) {
  JournalEntry e;
  e.seq = stmt.ColumnInt(0);
  e.workflow_id = stmt.ColumnText(1);
  e.step = static_cast<int>(stmt.ColumnInt(2));
  e.step_name = stmt.ColumnText(3);
  e.phase = stmt.ColumnText(4);
  e.detail = stmt.ColumnText(5);
  e.at = stmt.ColumnTime(6);
  return e;
}

void BindEvent(SqliteStatement& stmt, const EventRecord& e) {
  stmt.Bind(1, e.at);
  stmt.Bind(2, e.group_id);
  stmt.Bind(3, e.ssi_id);
  stmt.Bind(4, e.actor);
  stmt.Bind(5, e.kind);
  stmt.Bind(6, e.message);
}

EventRecord ReadEvent(const SqliteStatement& stmt) {
  EventRecord e;
  e.seq = stmt.ColumnInt(0);
  e.at = stmt.ColumnTime(1);
  e.group_id = stmt.ColumnText(2);
  e.ssi_id = stmt.ColumnText(3);
  e.actor = stmt.ColumnText(4);
  e.kind = stmt.ColumnText(5);
  e.message = stmt.ColumnText(6);
  return e;
}

}  // namespace spotkeeper
