#include "store/etcd/etcd_json.h"

#include <charconv>

#include "awsproto/crypto.h"

namespace spotkeeper::etcd_json {

int64_t Int64Field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return 0;
  const std::string& s = it->get_ref<const std::string&>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return 0;
  return v;
}

Result<std::string> BytesField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::string();
  return aws::Base64Decode(it->get<std::string>());
}

}  // namespace spotkeeper::etcd_json
