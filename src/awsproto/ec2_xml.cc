#include "awsproto/ec2_xml.h"

#include <algorithm>
#include <cstdlib>

namespace spotkeeper::aws {

namespace {

// How deeply elements nest under `root`, walked without recursion; stops past `limit`.
size_t XmlDepth(pugi::xml_node root, size_t limit) {
  size_t depth = 0, deepest = 0;
  pugi::xml_node n = root.first_child();
  if (n) depth = deepest = 1;
  while (n && deepest <= limit) {
    if (n.first_child()) {
      n = n.first_child();
      deepest = std::max(deepest, ++depth);
      continue;
    }
    while (n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    if (n == root) break;
    n = n.next_sibling();
  }
  return deepest;
}

}  // namespace

Result<std::shared_ptr<pugi::xml_document>> ParseXml(std::string_view body) {
  auto doc = std::make_shared<pugi::xml_document>();
  pugi::xml_parse_result r =
      doc->load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return Status(Code::kInternal,
                  std::string("response is not well-formed XML: ") + r.description() +
                      " at offset " + std::to_string(r.offset),
                  "MalformedResponse");
  }
  if (XmlDepth(*doc, kMaxXmlDepth) > kMaxXmlDepth) {
    return Status(Code::kInternal,
                  "response nests elements deeper than " + std::to_string(kMaxXmlDepth) + " levels",
                  "MalformedResponse");
  }
  return doc;
}

std::string_view XmlLocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node XmlChild(pugi::xml_node node, std::string_view path) {
  while (node && !path.empty()) {
    size_t slash = path.find('/');
    std::string_view step = path.substr(0, slash);
    pugi::xml_node found;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element && XmlLocalName(c) == step) {
        found = c;
        break;
      }
    }
    node = found;
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return node;
}

std::string XmlText(pugi::xml_node node, std::string_view path) {
  pugi::xml_node c = XmlChild(node, path);
  return c ? std::string(c.text().get()) : std::string();
}

int64_t XmlInt(pugi::xml_node node, std::string_view path, int64_t fallback) {
  std::string t = XmlText(node, path);
  if (t.empty()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  return (end && *end == '\0') ? v : fallback;
}

bool XmlBool(pugi::xml_node node, std::string_view path, bool fallback) {
  std::string t = XmlText(node, path);
  if (t == "true") return true;
  if (t == "false") return false;
  return fallback;
}

double XmlDouble(pugi::xml_node node, std::string_view path, double fallback) {
  std::string t = XmlText(node, path);
  if (t.empty()) return fallback;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  return (end && *end == '\0') ? v : fallback;
}

Time XmlTime(pugi::xml_node node, std::string_view path, Time fallback) {
  std::string t = XmlText(node, path);
  if (t.empty()) return fallback;
  auto parsed = ParseTime(t);
  return parsed.ok() ? *parsed : fallback;
}

std::vector<pugi::xml_node> XmlItems(pugi::xml_node node, std::string_view path) {
  std::vector<pugi::xml_node> out;
  pugi::xml_node list = XmlChild(node, path);
  for (pugi::xml_node c = list.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && XmlLocalName(c) == "item") out.push_back(c);
  }
  return out;
}

std::map<std::string, std::string> XmlTagSet(pugi::xml_node node, std::string_view path) {
  std::map<std::string, std::string> tags;
  for (pugi::xml_node item : XmlItems(node, path)) {
    tags[XmlText(item, "key")] = XmlText(item, "value");
  }
  return tags;
}

}  // namespace spotkeeper::aws
