#include "store/etcd/etcd_records.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "store/conditions_json.h"

namespace spotkeeper::etcd_records {
namespace {

using nlohmann::json;

int64_t Ms(Time t) { return ToMillis(t); }

// Parses `value` and runs `read` on it; nlohmann's exceptions stop here.
template <typename T, typename Reader>
Result<T> DecodeWith(const std::string& value, const char* what, Reader read) {
  json j = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Internal(std::string("store: etcd value is not a ") + what + ": " +
                    value.substr(0, 120));
  }
  try {
    return read(j);
  } catch (const json::exception& e) {
    return Internal(std::string("store: etcd value is not a ") + what + ": " + e.what());
  }
}

Time At(const json& j, const char* name) { return FromMillis(j.at(name).get<int64_t>()); }

}  // namespace

std::string Key(const std::string& prefix, char kind, const std::string& id) {
  return prefix + kind + "/" + id;
}

std::string SeqKey(const std::string& prefix, char kind, int64_t seq) {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%020lld", static_cast<long long>(seq));
  return Key(prefix, kind, digits);
}

std::string Encode(const GroupRecord& g) {
  return json{{"id", g.id},
              {"name", g.name},
              {"spec_json", g.spec_json},
              {"generation", g.generation},
              {"status", g.status},
              {"deallocation_json", g.deallocation_json},
              {"status_json", g.status_json},
              {"created_at", Ms(g.created_at)},
              {"updated_at", Ms(g.updated_at)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<GroupRecord> DecodeGroup(const std::string& value) {
  return DecodeWith<GroupRecord>(value, "group", [](const json& j) {
    GroupRecord g;
    g.id = j.at("id");
    g.name = j.at("name");
    g.spec_json = j.at("spec_json");
    g.generation = j.at("generation");
    g.status = j.at("status");
    g.deallocation_json = j.at("deallocation_json");
    g.status_json = j.at("status_json");
    g.created_at = At(j, "created_at");
    g.updated_at = At(j, "updated_at");
    return g;
  });
}

std::string Encode(const SsiRecord& s) {
  return json{{"id", s.id},
              {"group_id", s.group_id},
              {"state", SsiStateName(s.state)},
              {"desired", s.desired},
              {"pause_reason", s.pause_reason},
              {"availability_zone", s.availability_zone},
              {"subnet_id", s.subnet_id},
              {"private_ip", s.private_ip},
              {"eni_id", s.eni_id},
              {"instance_id", s.instance_id},
              {"instance_type", s.instance_type},
              {"market", s.market},
              {"image_id", s.image_id},
              {"conditions_json", ConditionsToJson(s.conditions)},
              {"status_json", s.status_json},
              {"observed_generation", s.observed_generation},
              {"created_at", Ms(s.created_at)},
              {"launched_at", Ms(s.launched_at)},
              {"updated_at", Ms(s.updated_at)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SsiRecord> DecodeSsi(const std::string& value) {
  return DecodeWith<SsiRecord>(value, "SSI", [](const json& j) -> Result<SsiRecord> {
    SsiRecord s;
    s.id = j.at("id");
    s.group_id = j.at("group_id");
    std::optional<SsiState> state = ParseSsiState(j.at("state"));
    if (!state) return Internal("store: SSI " + s.id + " has an unknown state");
    s.state = *state;
    s.desired = j.at("desired");
    s.pause_reason = j.at("pause_reason");
    s.availability_zone = j.at("availability_zone");
    s.subnet_id = j.at("subnet_id");
    s.private_ip = j.at("private_ip");
    s.eni_id = j.at("eni_id");
    s.instance_id = j.at("instance_id");
    s.instance_type = j.at("instance_type");
    s.market = j.at("market");
    s.image_id = j.at("image_id");
    SK_ASSIGN_OR_RETURN(s.conditions, ConditionsFromJson(j.at("conditions_json")));
    s.status_json = j.at("status_json");
    s.observed_generation = j.at("observed_generation");
    s.created_at = At(j, "created_at");
    s.launched_at = At(j, "launched_at");
    s.updated_at = At(j, "updated_at");
    return s;
  });
}

std::string Encode(const ResourceRecord& r) {
  return json{{"id", r.id},
              {"ssi_id", r.ssi_id},
              {"group_id", r.group_id},
              {"kind", r.kind},
              {"role", r.role},
              {"device_name", r.device_name},
              {"availability_zone", r.availability_zone},
              {"source_id", r.source_id},
              {"status", r.status},
              {"cloud_state", r.cloud_state},
              {"created_at", Ms(r.created_at)},
              {"updated_at", Ms(r.updated_at)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ResourceRecord> DecodeResource(const std::string& value) {
  return DecodeWith<ResourceRecord>(value, "resource", [](const json& j) {
    ResourceRecord r;
    r.id = j.at("id");
    r.ssi_id = j.at("ssi_id");
    r.group_id = j.at("group_id");
    r.kind = j.at("kind");
    r.role = j.at("role");
    r.device_name = j.at("device_name");
    r.availability_zone = j.at("availability_zone");
    r.source_id = j.at("source_id");
    r.status = j.at("status");
    r.cloud_state = j.at("cloud_state");
    r.created_at = At(j, "created_at");
    r.updated_at = At(j, "updated_at");
    return r;
  });
}

std::string Encode(const WorkflowRecord& w) {
  return json{{"id", w.id},
              {"ssi_id", w.ssi_id},
              {"group_id", w.group_id},
              {"kind", w.kind},
              {"status", w.status},
              {"step", w.step},
              {"step_name", w.step_name},
              {"attempt", w.attempt},
              {"next_run_at", Ms(w.next_run_at)},
              {"data_json", w.data_json},
              {"error", w.error},
              {"planned", w.planned},
              {"created_at", Ms(w.created_at)},
              {"updated_at", Ms(w.updated_at)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<WorkflowRecord> DecodeWorkflow(const std::string& value) {
  return DecodeWith<WorkflowRecord>(value, "workflow", [](const json& j) {
    WorkflowRecord w;
    w.id = j.at("id");
    w.ssi_id = j.at("ssi_id");
    w.group_id = j.at("group_id");
    w.kind = j.at("kind");
    w.status = j.at("status");
    w.step = j.at("step");
    w.step_name = j.at("step_name");
    w.attempt = j.at("attempt");
    w.next_run_at = At(j, "next_run_at");
    w.data_json = j.at("data_json");
    w.error = j.at("error");
    w.planned = j.at("planned");
    w.created_at = At(j, "created_at");
    w.updated_at = At(j, "updated_at");
    return w;
  });
}

std::string Encode(const JournalEntry& e) {
  return json{{"seq", e.seq},     {"workflow_id", e.workflow_id},
              {"step", e.step},   {"step_name", e.step_name},
              {"phase", e.phase}, {"detail", e.detail},
              {"at", Ms(e.at)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<JournalEntry> DecodeJournal(const std::string& value) {
  return DecodeWith<JournalEntry>(value, "journal entry", [](const json& j) {
    JournalEntry e;
    e.seq = j.at("seq");
    e.workflow_id = j.at("workflow_id");
    e.step = j.at("step");
    e.step_name = j.at("step_name");
    e.phase = j.at("phase");
    e.detail = j.at("detail");
    e.at = At(j, "at");
    return e;
  });
}

std::string Encode(const EventRecord& e) {
  return json{{"seq", e.seq},     {"at", Ms(e.at)}, {"group_id", e.group_id}, {"ssi_id", e.ssi_id},
              {"actor", e.actor}, {"kind", e.kind}, {"message", e.message}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<EventRecord> DecodeEvent(const std::string& value) {
  return DecodeWith<EventRecord>(value, "event", [](const json& j) {
    EventRecord e;
    e.seq = j.at("seq");
    e.at = At(j, "at");
    e.group_id = j.at("group_id");
    e.ssi_id = j.at("ssi_id");
    e.actor = j.at("actor");
    e.kind = j.at("kind");
    e.message = j.at("message");
    return e;
  });
}

std::string EncodeSeen(Time at) { return json{{"at", Ms(at)}}.dump(); }

Result<Time> DecodeSeen(const std::string& value) {
  return DecodeWith<Time>(value, "cloud event mark", [](const json& j) { return At(j, "at"); });
}

}  // namespace spotkeeper::etcd_records
