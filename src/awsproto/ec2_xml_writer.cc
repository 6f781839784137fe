#include "awsproto/ec2_xml_writer.h"

#include <sstream>

#include "awsproto/ec2_xml.h"

namespace spotkeeper::aws {

Ec2XmlWriter::Ec2XmlWriter(const std::string& action, const std::string& request_id) {
  pugi::xml_node decl = doc_.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  root_ = doc_.append_child((action + "Response").c_str());
  root_.append_attribute("xmlns") = kEc2Namespace;
  AddText(root_, "requestId", request_id);
}

std::string Ec2XmlWriter::ToString() const {
  std::ostringstream out;
  doc_.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

pugi::xml_node Ec2XmlWriter::AddElement(pugi::xml_node parent, const std::string& name) {
  return parent.append_child(name.c_str());
}

pugi::xml_node Ec2XmlWriter::AddText(pugi::xml_node parent, const std::string& name,
                                     const std::string& value) {
  pugi::xml_node n = parent.append_child(name.c_str());
  n.text().set(value.c_str());
  return n;
}

pugi::xml_node Ec2XmlWriter::AddInt(pugi::xml_node parent, const std::string& name, int64_t value) {
  return AddText(parent, name, std::to_string(value));
}

pugi::xml_node Ec2XmlWriter::AddBool(pugi::xml_node parent, const std::string& name, bool value) {
  return AddText(parent, name, value ? "true" : "false");
}

pugi::xml_node Ec2XmlWriter::AddTime(pugi::xml_node parent, const std::string& name, Time value) {
  return AddText(parent, name, FormatTime(value));
}

pugi::xml_node Ec2XmlWriter::AddTagSet(pugi::xml_node parent,
                                       const std::map<std::string, std::string>& tags,
                                       bool skip_empty) {
  if (tags.empty() && skip_empty) return pugi::xml_node();
  pugi::xml_node set = AddElement(parent, "tagSet");
  for (const auto& [k, v] : tags) {
    pugi::xml_node item = AddElement(set, "item");
    AddText(item, "key", k);
    AddText(item, "value", v);
  }
  return set;
}

std::string Ec2ErrorXml(const std::string& code, const std::string& message,
                        const std::string& request_id) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node response = doc.append_child("Response");
  pugi::xml_node error = response.append_child("Errors").append_child("Error");
  error.append_child("Code").text().set(code.c_str());
  error.append_child("Message").text().set(message.c_str());
  response.append_child("RequestID").text().set(request_id.c_str());
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

}  // namespace spotkeeper::aws
