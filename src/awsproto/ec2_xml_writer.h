// Writing EC2-shaped XML responses (server side: the local cloud).
//
//   Ec2XmlWriter w("DescribeVolumes", request_id);
//   pugi::xml_node set = Ec2XmlWriter::AddElement(w.root(), "volumeSet");
//   pugi::xml_node item = Ec2XmlWriter::AddElement(set, "item");
//   Ec2XmlWriter::AddText(item, "volumeId", "vol-1");
//   std::string body = w.ToString();
#pragma once

#include <map>
#include <pugixml.hpp>
#include <string>

#include "common/time.h"

namespace spotkeeper::aws {

class Ec2XmlWriter {
 public:
  // <{action}Response xmlns="..."><requestId>{request_id}</requestId>...</...>
  Ec2XmlWriter(const std::string& action, const std::string& request_id);

  pugi::xml_node root() { return root_; }
  std::string ToString() const;

  static pugi::xml_node AddElement(pugi::xml_node parent, const std::string& name);
  static pugi::xml_node AddText(pugi::xml_node parent, const std::string& name,
                                const std::string& value);
  static pugi::xml_node AddInt(pugi::xml_node parent, const std::string& name, int64_t value);
  static pugi::xml_node AddBool(pugi::xml_node parent, const std::string& name, bool value);
  // ISO-8601 UTC with milliseconds, as EC2 writes times.
  static pugi::xml_node AddTime(pugi::xml_node parent, const std::string& name, Time value);
  // <tagSet><item><key/><value/></item>...</tagSet>; with `skip_empty` an empty map writes
  // nothing (EC2 omits an empty tagSet) and returns a null node.
  static pugi::xml_node AddTagSet(pugi::xml_node parent,
                                  const std::map<std::string, std::string>& tags,
                                  bool skip_empty = true);

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

// The EC2 error body: <Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response>.
std::string Ec2ErrorXml(const std::string& code, const std::string& message,
                        const std::string& request_id);

}  // namespace spotkeeper::aws
