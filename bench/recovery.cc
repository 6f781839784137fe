// bench/recovery: how long the controller takes to bring a Redis SSI back (same data volume,
// same private IP; optionally the root volume through an image) after each trigger, phase by
// phase, beside the same replacement made directly with the local cloud's API calls in the same
// run (the floor). Issue 10's benchmark; its goals are printed, never asserted.
//
// Triggers (N runs each): recycle (REST PUT .../recycle), interrupt (the engine's
// InterruptInstances: notice --notice-ms before the cloud terminates; times count from the
// termination), kill (SIGKILL to the instance's init from the host: the cloud finds out on its
// own, then the instance is lost without notice).
//
// Phases, in ms from the trigger: (a) old instance terminated, (b) interface and data volumes
// available, (c) replacement running, (d) volumes attached, (e) Redis answers GET of a key
// written before the trigger at the same IP. The cloud's state is looked at in-process every
// 2 ms and Redis every 5 ms once the volumes are attached: each figure is late by at most that.
// See ControllerShareMs (recovery_observer.h) for the controller's share.
//
//   sudo build/release/bench/recovery [--runs 30] [--cases reattach,redis]
//        [--triggers recycle,interrupt,kill] [--notice-ms 1000] [--no-floor] [--trace]
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cloud/host/linux_host_driver.h"
#include "recovery_floor.h"
#include "recovery_observer.h"
#include "recovery_world.h"

#ifndef SPOTKEEPER_EXAMPLES_DIR
#define SPOTKEEPER_EXAMPLES_DIR "examples"
#endif

namespace spotkeeper::bench {
namespace {

struct Args {
  int runs = 30;
  std::vector<std::string> cases = {"reattach", "redis"};
  std::vector<std::string> triggers = {"recycle", "interrupt", "kill"};
  int notice_ms = 1000;
  bool floor = true;
  bool trace = false;
  int timeout_s = 120;
  std::string log_level = "warn";
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

double P(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(i == 0 ? 0 : i - 1, v.size() - 1)];
}

double Since(const std::optional<TimePoint>& at, TimePoint t0) { return at ? Ms(t0, *at) : NAN; }

// One replacement's figures (ms; NAN when not reached).
struct Sample {
  std::map<std::string, double> v;
};

// The figures of one replacement, from its timeline and the replacer's calls.
Sample Measure(const Timeline& t, const std::vector<LoggedCall>& calls, const std::string& trigger,
               const RecoveryTarget& target, std::chrono::milliseconds notice) {
  Sample s;
  const TimePoint t0 = t.trigger;
  s.v["noticed"] = Since(t.noticed, t0);
  s.v["a"] = Since(t.gone, t0);
  s.v["b"] = Since(t.freed, t0);
  s.v["c"] = Since(t.running, t0);
  s.v["d"] = Since(t.attached, t0);
  s.v["e"] = Since(t.serving, t0);
  s.v["share"] = t.serving ? ControllerShareMs(t, calls, trigger) : NAN;
  // Where the caller's own time goes: from what it waited on to the call that followed.
  // Only calls of this replacement count: from the trigger on (from the notice for an
  // interruption, whose notice comes before the trigger).
  const TimePoint window = trigger == "interrupt" ? t0 - notice : t0;
  std::optional<TimePoint> terminate, run, attach, first_event;
  int describes = 0, events = 0;
  for (const LoggedCall& c : calls) {
    if (t.serving && c.start > *t.serving) continue;
    // A long poll that began before the trigger may be the one that brings its event.
    if (c.action == "ReceiveMessage" && c.events > 0 && c.end >= window) {
      events += c.events;
      if (!first_event && c.end >= t0) first_event = c.end;
    }
    if (c.start < window) continue;
    if (c.action.rfind("Describe", 0) == 0) ++describes;
    if (c.action == "TerminateInstances" && c.target == target.old_instance && !terminate) {
      terminate = c.start;
    }
    if (c.action == "RunInstances" && !run) run = c.start;
    if (c.action == "AttachVolume" && !attach) attach = c.start;
  }
  s.v["describes"] = describes;
  s.v["events"] = events;
  const TimePoint from = trigger == "kill" && t.noticed ? *t.noticed : t0;
  s.v["to_terminate"] = terminate ? Ms(from, *terminate) : NAN;
  s.v["freed_to_run"] = run && t.freed ? Ms(*t.freed, *run) : NAN;
  s.v["running_to_attach"] = attach && t.running ? Ms(*t.running, *attach) : NAN;
  s.v["event_seen"] = first_event ? Ms(from, *first_event) : NAN;
  s.v["workload"] = t.serving && t.attached ? Ms(*t.attached, *t.serving) : NAN;
  return s;
}

// --trace: one replacement's phases and the replacer's calls, in ms from the trigger.
void Trace(const std::string& who, const Timeline& t, const std::vector<LoggedCall>& calls) {
  const TimePoint t0 = t.trigger;
  auto at = [&](const std::optional<TimePoint>& p) { return p ? Ms(t0, *p) : NAN; };
  std::fprintf(stderr,
               "  %s: noticed %.0f, (a) %.0f, (b) %.0f, (c) %.0f, (d) %.0f, (e) %.0f; new %s\n",
               who.c_str(), at(t.noticed), at(t.gone), at(t.freed), at(t.running), at(t.attached),
               at(t.serving), t.new_instance.c_str());
  for (const auto& [id, when] : t.done) {
    std::fprintf(stderr, "    %8.1f          done: %s\n", Ms(t0, when), id.c_str());
  }
  for (const LoggedCall& c : calls) {
    if (t.serving && c.start > *t.serving) break;
    if (c.action == "ReceiveMessage" && c.events == 0) continue;
    std::fprintf(stderr, "    %8.1f %8.1f  %-26s %s%s%s\n", Ms(t0, c.start), Ms(t0, c.end),
                 c.action.c_str(), c.target.c_str(), c.result.empty() ? "" : " -> ",
                 c.events > 0 ? (std::to_string(c.events) + " events").c_str() : c.result.c_str());
  }
}

class RecoveryBench {
 public:
  RecoveryBench(RecoveryWorld* w, Args a) : w_(w), a_(std::move(a)) {}

  Status RunCase(const std::string& which) {
    SK_RETURN_IF_ERROR(SetUpCase(which));
    for (const std::string& trigger : a_.triggers) {
      std::fprintf(stderr, "case %s, trigger %s: %d runs\n", which.c_str(), trigger.c_str(),
                   a_.runs);
      for (int i = 0; i < a_.runs; ++i) {
        SK_RETURN_IF_ERROR(ControllerRun(which, trigger, i));
        if (a_.floor) SK_RETURN_IF_ERROR(FloorRun(which, trigger, i));
        if ((i + 1) % 5 == 0) std::fprintf(stderr, "  %d/%d\n", i + 1, a_.runs);
      }
      Print(which, trigger);
    }
    return OkStatus();
  }

 private:
  Status SetUpCase(const std::string& which) {
    const std::string file = std::string(SPOTKEEPER_EXAMPLES_DIR) + "/redis.yaml";
    std::ifstream in(file);
    if (!in) return NotFound("cannot read " + file);
    std::stringstream text;
    text << in.rdbuf();
    SK_ASSIGN_OR_RETURN(std::string mapped, w_->ExampleSpec(text.str()));
    YAML::Node spec = YAML::Load(mapped);
    spec["name"] = "bench-" + which;
    const bool persist_root = which == "redis";
    spec["strategy"]["persistence"]["shouldPersistRootDevice"] = persist_root;
    std::string user_data = spec["compute"]["launchSpecification"]["userData"].as<std::string>();
    YAML::Emitter out;
    out << spec;
    SK_ASSIGN_OR_RETURN(group_, w_->CreateGroup(out.c_str()));
    SK_ASSIGN_OR_RETURN(SsiView ssi, WaitActive(""));
    auto view = w_->engine().FindInstance(ssi.instance_id);
    if (!view || !view->eni) return Internal("the SSI's instance has no interface");
    FloorConfig fc;
    fc.image_id = cloud::kBaseImageId;
    fc.instance_type = view->instance.instance_type;
    fc.subnet_id = view->instance.subnet_id;
    fc.az = view->instance.az;
    fc.security_group = view->eni->groups.empty() ? "" : view->eni->groups.front();
    fc.user_data = user_data;
    fc.persist_root = persist_root;
    fc.spot = view->instance.lifecycle == "spot";
    floor_ = std::make_unique<FloorReplica>(w_, fc);
    if (a_.floor) SK_RETURN_IF_ERROR(floor_->Create(std::chrono::seconds(a_.timeout_s)));
    return OkStatus();
  }

  // Waits until the SSI is ACTIVE with no workflow running, on an instance other than `old`,
  // Redis answers, and the controller has made no cloud change for 500 ms.
  Result<SsiView> WaitActive(const std::string& old) {
    const auto end = Steady::now() + std::chrono::seconds(a_.timeout_s);
    SsiView last;
    while (Steady::now() < end) {  // bounded by the deadline
      auto s = w_->FirstSsi(group_);
      if (s.ok()) last = *s;
      bool done = s.ok() && s->state == "ACTIVE" && !s->instance_id.empty() &&
                  s->instance_id != old &&
                  (s->workflow_status.empty() || s->workflow_status == "succeeded");
      if (done) {
        auto view = w_->engine().FindInstance(s->instance_id);
        auto r = view ? w_->Redis(view->instance.vpc_id, s->private_ip, {{"PING"}})
                      : Result<std::vector<std::string>>(NotFound("no instance"));
        auto calls = w_->calls().Since(Steady::now() - std::chrono::milliseconds(500));
        bool quiet = std::none_of(calls.begin(), calls.end(),
                                  [](const LoggedCall& c) { return c.mutating; });
        if (r.ok() && quiet && w_->engine().WaitIdle(std::chrono::seconds(5))) return *s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return DeadlineExceeded("the SSI did not settle within " + std::to_string(a_.timeout_s) +
                            " s; now: " + last.raw.dump());
  }

  // Fires `trigger` at `instance`; returns the trigger's moment. A recycle of the floor (no
  // `ssi_id`) is its own TerminateInstances, made by FloorReplica::Replace.
  Result<TimePoint> Fire(const std::string& trigger, const std::string& instance,
                         const std::string& ssi_id) {
    if (trigger == "recycle") {
      TimePoint t0 = Steady::now();
      if (!ssi_id.empty()) SK_RETURN_IF_ERROR(w_->Recycle(ssi_id));
      return t0;
    }
    if (trigger == "interrupt") {
      cloud::InterruptOptions o;
      o.notice = std::chrono::milliseconds(a_.notice_ms);
      o.rebalance_lead = std::chrono::milliseconds(0);
      SK_ASSIGN_OR_RETURN(auto sched, w_->engine().InterruptInstances({instance}, o));
      if (sched.empty()) return Internal("InterruptInstances scheduled nothing");
      // The engine's times are the system clock's; the bench's the steady clock's.
      auto until = sched.front().action_time - SystemClock::Default()->Now();
      return Steady::now() + until;
    }
    if (trigger == "kill") {
      auto* linux_driver = dynamic_cast<cloud::LinuxHostDriver*>(&w_->driver());
      if (linux_driver == nullptr) return Internal("not the Linux host driver");
      SK_ASSIGN_OR_RETURN(int pid, linux_driver->InstancePid(instance));
      if (pid <= 0) return FailedPrecondition(instance + " has no running init");
      TimePoint t0 = Steady::now();
      if (kill(pid, SIGKILL) != 0) return Internal("kill " + std::to_string(pid) + " failed");
      return t0;
    }
    return InvalidArgument("unknown trigger " + trigger);
  }

  Status SetKey(RecoveryTarget& t, const std::string& who, const std::string& trigger, int i) {
    t.key = "bench:" + who;
    t.value = trigger + "-" + std::to_string(i) + "-" + std::to_string(++nonce_);
    auto r = w_->Redis(t.vpc, t.ip, {{"SET", t.key, t.value}});
    if (!r.ok()) return r.status();
    if (r->size() != 1 || (*r)[0] != "OK") return Internal("SET answered " + (*r)[0]);
    return OkStatus();
  }

  Status ControllerRun(const std::string& which, const std::string& trigger, int i) {
    SK_ASSIGN_OR_RETURN(SsiView ssi, WaitActive(""));
    auto view = w_->engine().FindInstance(ssi.instance_id);
    if (!view || !view->eni) return Internal("the SSI's instance has no interface");
    RecoveryTarget target;
    target.old_instance = ssi.instance_id;
    target.eni = view->eni->id;
    for (const auto& v : view->volumes) {
      if (v.id != view->instance.root_volume_id) target.volumes.push_back(v.id);
    }
    target.vpc = view->instance.vpc_id;
    target.ip = view->instance.private_ip;
    SK_RETURN_IF_ERROR(SetKey(target, "ssi", trigger, i));
    w_->calls().Trim(Steady::now() - std::chrono::seconds(10));
    SK_ASSIGN_OR_RETURN(TimePoint t0, Fire(trigger, target.old_instance, ssi.id));
    RecoveryObserver obs(w_, &w_->calls());
    Timeline t = obs.Observe(target, t0, std::chrono::seconds(a_.timeout_s));
    auto calls = w_->calls().Since(t0 - std::chrono::milliseconds(a_.notice_ms + 5000));
    if (!t.error.empty()) return DeadlineExceeded("controller, " + trigger + ": " + t.error);
    if (a_.trace) Trace("controller " + trigger, t, calls);
    Sample s = Measure(t, calls, trigger, target, std::chrono::milliseconds(a_.notice_ms));
    SK_ASSIGN_OR_RETURN(SsiView after, WaitActive(target.old_instance));
    auto rec = w_->Recoveries(after.id);
    if (rec.ok() && (*rec)["items"].is_array() && !(*rec)["items"].empty()) {
      s.v["reported_total"] = (*rec)["items"][0].value("totalMs", 0);
    }
    s.v["probe_max"] = t.slowest_probe_ms;
    controller_[which + "/" + trigger].push_back(s);
    return OkStatus();
  }

  Status FloorRun(const std::string& which, const std::string& trigger, int i) {
    RecoveryTarget target = floor_->Target();
    SK_RETURN_IF_ERROR(SetKey(target, "floor", trigger, i));
    w_->floor_calls().Trim(Steady::now() - std::chrono::seconds(10));
    SK_ASSIGN_OR_RETURN(TimePoint t0, Fire(trigger, target.old_instance, ""));
    Status replaced;
    std::thread replacer(
        [&] { replaced = floor_->Replace(trigger, std::chrono::seconds(a_.timeout_s)); });
    RecoveryObserver obs(w_, &w_->floor_calls());
    Timeline t = obs.Observe(target, t0, std::chrono::seconds(a_.timeout_s));
    replacer.join();
    SK_RETURN_IF_ERROR(replaced);
    if (!t.error.empty()) return DeadlineExceeded("floor, " + trigger + ": " + t.error);
    auto calls = w_->floor_calls().Since(t0 - std::chrono::milliseconds(a_.notice_ms + 5000));
    if (a_.trace) Trace("floor " + trigger, t, calls);
    floor_samples_[which + "/" + trigger].push_back(
        Measure(t, calls, trigger, target, std::chrono::milliseconds(a_.notice_ms)));
    floor_->Tidy();
    (void)w_->engine().WaitIdle(std::chrono::seconds(10));
    return OkStatus();
  }

  void Print(const std::string& which, const std::string& trigger) {
    const auto& cs = controller_[which + "/" + trigger];
    const auto& fs = floor_samples_[which + "/" + trigger];
    auto col = [](const std::vector<Sample>& ss, const char* key) {
      std::vector<double> v;
      for (const auto& s : ss) v.push_back(s.v.count(key) ? s.v.at(key) : NAN);
      return v;
    };
    std::printf("\n== %s, trigger %s: %zu runs (ms from the trigger%s) ==\n", which.c_str(),
                trigger.c_str(), cs.size(),
                trigger == "interrupt" ? ", i.e. from the cloud's termination" : "");
    std::printf("%-44s %9s %9s | %9s %9s | %8s\n", "", "ctrl p50", "ctrl p99", "floor p50",
                "floor p99", "x p50");
    struct Row {
      const char* key;
      const char* name;
    };
    std::vector<Row> rows;
    if (trigger == "kill") rows.push_back({"noticed", "    the cloud saw the instance die"});
    rows.insert(rows.end(), {{"a", "(a) old instance terminated"},
                             {"b", "(b) interface and volumes available"},
                             {"c", "(c) replacement running"},
                             {"d", "(d) volumes attached"},
                             {"e", "(e) Redis answers with the key, same IP"},
                             {"share", "replacer's share (no cloud op in flight)"}});
    for (const Row& r : rows) {
      auto c = col(cs, r.key);
      auto f = col(fs, r.key);
      double c50 = P(c, 0.5), f50 = P(f, 0.5);
      std::printf("%-44s %9.0f %9.0f | %9.0f %9.0f |", r.name, c50, P(c, 0.99), f50, P(f, 0.99));
      if (std::string(r.key) != "share") std::printf(" %7.2fx", c50 / f50);
      std::printf("\n");
    }
    std::printf("  where the controller's share goes:\n");
    const Row detail[] = {
        {"to_terminate", "    trigger (kill: noticed) -> TerminateInstances"},
        {"workload", "    (d) -> (e): the workload starting"},
        {"event_seen", "    trigger (kill: noticed) -> event received"},
        {"freed_to_run", "    (b) -> RunInstances issued"},
        {"running_to_attach", "    (c) -> AttachVolume issued"},
        {"describes", "    Describe calls per recovery"},
        {"events", "    events received per recovery"},
        {"reported_total", "    controller's own totalMs (GET .../recoveries)"},
    };
    for (const Row& r : detail) {
      auto c = col(cs, r.key);
      auto f = col(fs, r.key);
      std::printf("%-44s %9.0f %9.0f | %9.0f %9.0f |\n", r.name, P(c, 0.5), P(c, 0.99), P(f, 0.5),
                  P(f, 0.99));
    }
    double e50 = P(col(cs, "e"), 0.5), e99 = P(col(cs, "e"), 0.99);
    double s99 = P(col(cs, "share"), 0.99), f50 = P(col(fs, "e"), 0.5);
    std::printf(
        "goals: (e) p50 <= 1000: %s; (e) p99 <= 2000: %s; share p99 <= 100: %s; "
        "<= 1.3x floor: %s\n",
        e50 <= 1000 ? "met" : "NOT met", e99 <= 2000 ? "met" : "NOT met",
        s99 <= 100 ? "met" : "NOT met",
        std::isnan(f50)    ? "no floor"
        : e50 <= 1.3 * f50 ? "met"
                           : "NOT met");
    std::fflush(stdout);
  }

  RecoveryWorld* w_;
  Args a_;
  std::string group_;
  std::unique_ptr<FloorReplica> floor_;
  int nonce_ = 0;
  std::map<std::string, std::vector<Sample>> controller_, floor_samples_;
};

int Main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (s == "--runs") {
      a.runs = std::max(1, std::atoi(next().c_str()));
    } else if (s == "--cases") {
      a.cases = Split(next());
    } else if (s == "--triggers") {
      a.triggers = Split(next());
    } else if (s == "--notice-ms") {
      a.notice_ms = std::max(0, std::atoi(next().c_str()));
    } else if (s == "--trace") {
      a.trace = true;
    } else if (s == "--no-floor") {
      a.floor = false;
    } else if (s == "--timeout") {
      a.timeout_s = std::max(10, std::atoi(next().c_str()));
    } else if (s == "--log-level") {
      a.log_level = next();
    } else {
      std::cerr << "usage: recovery [--runs N] [--cases reattach,redis] "
                   "[--triggers recycle,interrupt,kill] [--notice-ms MS] "
                   "[--no-floor] [--trace] [--timeout S] [--log-level L]\n";
      return 2;
    }
  }
  for (const auto& c : a.cases) {
    if (c != "reattach" && c != "redis") {
      std::cerr << "recovery: --cases takes reattach and/or redis\n";
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::cerr << "recovery: the local cloud's real host driver needs root\n";
    return 77;  // skipped (the smoke test's SKIP_RETURN_CODE)
  }
  // Ctrl-C and SIGTERM are taken by sigwait on a thread that stops the bench cleanly.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::printf(
      "bench/recovery: %d runs per trigger; cloud state seen every 2 ms, Redis every 5 ms"
      " once attached; interrupt notice %d ms\n",
      a.runs, a.notice_ms);
  int code = 0;
  for (const std::string& c : a.cases) {
    auto world = RecoveryWorld::Start(a.log_level);
    if (!world.ok()) {
      std::cerr << "recovery: " << world.status().ToString() << "\n";
      return 1;
    }
    std::atomic<bool> done{false};
    std::thread stopper([&] {
      timespec ts{0, 200'000'000};
      while (!done.load()) {  // ends with the case
        if (sigtimedwait(&set, nullptr, &ts) > 0) {
          std::cerr << "recovery: interrupted; cleaning up\n";
          (*world)->Stop();
          std::_Exit(130);
        }
      }
    });
    RecoveryBench bench(world->get(), a);
    Status s = bench.RunCase(c);
    done = true;
    stopper.join();
    if (!s.ok()) {
      std::cerr << "recovery: case " << c << ": " << s.ToString() << "\n";
      code = 1;
    }
    (*world)->Stop();
  }
  return code;
}

}  // namespace
}  // namespace spotkeeper::bench

int main(int argc, char** argv) { return spotkeeper::bench::Main(argc, argv); }
