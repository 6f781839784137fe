#include "api/log_setup.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/time.h"

namespace spotkeeper::api {
namespace {

thread_local const nlohmann::json* t_fields = nullptr;

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
    nlohmann::json j = {
        {"ts", FormatTime(Time{ms.time_since_epoch()})},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    if (t_fields != nullptr && t_fields->is_object()) {
      for (const auto& [k, v] : t_fields->items()) {
        if (!j.contains(k)) j[k] = v;
      }
    }
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonFormatter() { return std::make_unique<JsonFormatter>(); }

Status SetUpLogging(const std::string& format, const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return InvalidArgument("log level '" + level +
                           "' is not one of trace, debug, info, warn, error, critical, off");
  }
  if (format != "text" && format != "json") {
    return InvalidArgument("log format '" + format + "' is not text or json");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();  // colours on a tty
  auto logger = std::make_shared<spdlog::logger>("spotkeeper", sink);
  if (format == "json") {
    logger->set_formatter(MakeJsonFormatter());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return OkStatus();
}

void LogWithFields(spdlog::level::level_enum level, const std::string& message,
                   const nlohmann::json& fields) {
  t_fields = &fields;
  spdlog::log(level, "{}", message);
  t_fields = nullptr;
}

}  // namespace spotkeeper::api
