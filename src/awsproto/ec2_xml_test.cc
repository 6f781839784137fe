#include "awsproto/ec2_xml.h"

#include <gtest/gtest.h>

#include "awsproto/ec2_xml_writer.h"

namespace spotkeeper::aws {
namespace {

constexpr const char* kVolumes = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <volumeSet>
    <item>
      <volumeId>vol-1234567890abcdef0</volumeId>
      <size>80</size>
      <snapshotId/>
      <availabilityZone>us-east-1a</availabilityZone>
      <status>in-use</status>
      <createTime>2013-12-18T22:35:00.000Z</createTime>
      <attachmentSet>
        <item>
          <volumeId>vol-1234567890abcdef0</volumeId>
          <instanceId>i-1234567890abcdef0</instanceId>
          <device>/dev/sda1</device>
          <status>attached</status>
          <deleteOnTermination>true</deleteOnTermination>
        </item>
      </attachmentSet>
      <tagSet><item><key>a</key><value>1</value></item><item><key>b</key><value/></item></tagSet>
    </item>
  </volumeSet>
  <nextToken>tok</nextToken>
</DescribeVolumesResponse>)";

TEST(Ec2XmlTest, ReadsNamespacedResponse) {
  auto doc = ParseXml(kVolumes);
  ASSERT_TRUE(doc.ok());
  pugi::xml_node root = (*doc)->document_element();
  EXPECT_EQ(XmlText(root, "nextToken"), "tok");
  auto volumes = XmlItems(root, "volumeSet");
  ASSERT_EQ(volumes.size(), 1u);
  pugi::xml_node v = volumes[0];
  EXPECT_EQ(XmlText(v, "volumeId"), "vol-1234567890abcdef0");
  EXPECT_EQ(XmlInt(v, "size"), 80);
  EXPECT_EQ(XmlText(v, "snapshotId"), "");
  EXPECT_EQ(XmlTime(v, "createTime"), *ParseTime("2013-12-18T22:35:00.000Z"));
  auto att = XmlItems(v, "attachmentSet");
  ASSERT_EQ(att.size(), 1u);
  EXPECT_TRUE(XmlBool(att[0], "deleteOnTermination"));
  EXPECT_EQ(XmlTagSet(v), (std::map<std::string, std::string>{{"a", "1"}, {"b", ""}}));
  EXPECT_EQ(XmlText(v, "missing/deeper"), "");
  EXPECT_EQ(XmlInt(v, "missing", -1), -1);
}

TEST(Ec2XmlTest, PrefixedNamespaceReadsTheSame) {
  auto doc = ParseXml(
      R"(<e:R xmlns:e="urn:x"><e:instanceState><e:name>running</e:name></e:instanceState></e:R>)");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(XmlText((*doc)->document_element(), "instanceState/name"), "running");
}

TEST(Ec2XmlTest, MalformedXml) {
  auto doc = ParseXml("<a><b></a>");
  EXPECT_EQ(doc.status().code(), Code::kInternal);
  EXPECT_EQ(doc.status().cloud_code(), "MalformedResponse");
}

TEST(Ec2XmlTest, DepthIsCapped) {
  auto nest = [](size_t levels) {
    std::string s;
    for (size_t i = 0; i < levels; ++i) s += "<a>";
    s += "<b/>";  // one more level
    for (size_t i = 0; i < levels; ++i) s += "</a>";
    return s;
  };
  EXPECT_TRUE(ParseXml(nest(kMaxXmlDepth - 1)).ok());
  auto deep = ParseXml(nest(kMaxXmlDepth));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().cloud_code(), "MalformedResponse");
  EXPECT_FALSE(ParseXml(nest(100000)).ok());
  // Siblings do not add depth.
  std::string wide = "<r>";
  for (int i = 0; i < 1000; ++i) wide += "<item><x>1</x></item>";
  EXPECT_TRUE(ParseXml(wide + "</r>").ok());
}

TEST(Ec2XmlWriterTest, WritesEc2ShapeThatTheReaderReads) {
  Ec2XmlWriter w("DescribeVolumes", "req-1");
  pugi::xml_node set = Ec2XmlWriter::AddElement(w.root(), "volumeSet");
  pugi::xml_node item = Ec2XmlWriter::AddElement(set, "item");
  Ec2XmlWriter::AddText(item, "volumeId", "vol-1");
  Ec2XmlWriter::AddInt(item, "size", 8);
  Ec2XmlWriter::AddBool(item, "encrypted", false);
  Ec2XmlWriter::AddTime(item, "createTime", *ParseTime("2026-01-01T00:00:00Z"));
  Ec2XmlWriter::AddTagSet(item, {{"k", "v <&>"}});
  EXPECT_FALSE(Ec2XmlWriter::AddTagSet(item, {}));
  std::string xml = w.ToString();
  EXPECT_NE(xml.find("<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                     "<requestId>req-1</requestId>"),
            std::string::npos);
  auto doc = ParseXml(xml);
  ASSERT_TRUE(doc.ok());
  auto items = XmlItems((*doc)->document_element(), "volumeSet");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(XmlInt(items[0], "size"), 8);
  EXPECT_FALSE(XmlBool(items[0], "encrypted", true));
  EXPECT_EQ(XmlTime(items[0], "createTime"), *ParseTime("2026-01-01T00:00:00Z"));
  EXPECT_EQ(XmlTagSet(items[0]).at("k"), "v <&>");
}

}  // namespace
}  // namespace spotkeeper::aws
