// Reading EC2 Query-protocol XML responses with pugixml. EC2 answers in a default namespace
// (xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"); names are matched by local name so a
// prefixed namespace reads the same. Lists are "<fooSet><item>...</item></fooSet>".
#pragma once

#include <map>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::aws {

inline constexpr const char* kEc2ApiVersion = "2016-11-15";
inline constexpr const char* kEc2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

// EC2's replies nest about ten levels; anything far deeper is refused before it is read.
inline constexpr size_t kMaxXmlDepth = 64;

// Parses `body`; Internal (cloud_code "MalformedResponse") when it is not well-formed XML or
// nests deeper than kMaxXmlDepth.
Result<std::shared_ptr<pugi::xml_document>> ParseXml(std::string_view body);

// The first child element of `node` whose local name is `path`'s first component, then the
// next component under it ("instanceState/name"). A null node when any step is missing.
pugi::xml_node XmlChild(pugi::xml_node node, std::string_view path);
// The text of XmlChild(node, path), "" when missing.
std::string XmlText(pugi::xml_node node, std::string_view path);
// Integer/boolean/double/time values of XmlChild(node, path); `fallback` when missing or
// malformed. Booleans are "true"/"false"; times are ISO-8601 UTC.
int64_t XmlInt(pugi::xml_node node, std::string_view path, int64_t fallback = 0);
bool XmlBool(pugi::xml_node node, std::string_view path, bool fallback = false);
double XmlDouble(pugi::xml_node node, std::string_view path, double fallback = 0);
Time XmlTime(pugi::xml_node node, std::string_view path, Time fallback = kEpoch);
// The <item> children of the list element at `path` (empty when the list is missing).
std::vector<pugi::xml_node> XmlItems(pugi::xml_node node, std::string_view path);
// A tagSet (items of <key>/<value>) as a map.
std::map<std::string, std::string> XmlTagSet(pugi::xml_node node, std::string_view path = "tagSet");
// The local part of an element name ("ec2:item" -> "item").
std::string_view XmlLocalName(pugi::xml_node node);

}  // namespace spotkeeper::aws
