#include "spec/field_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_loader.h"

namespace spotkeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class FieldReaderTest : public ::testing::Test {
 protected:
  // A reader over the YAML mapping `yaml`, reporting at path "top".
  FieldReader Reader(const std::string& yaml) {
    LoadedDocument doc = LoadYamlDocument(yaml);
    EXPECT_TRUE(doc.errors.empty());
    root_ = doc.root.value_or(SpecNode::Null());
    return FieldReader(&root_, "top", &ctx_);
  }
  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const ValidationError& e : errors_) out.push_back(e.ToString());
    return out;
  }

  SpecNode root_ = SpecNode::Null();
  std::vector<ValidationError> errors_;
  std::vector<std::string> schema_ = {"top.a", "top.nested", "top.nested.imageId"};
  ReadContext ctx_{&errors_, &schema_};
};

TEST_F(FieldReaderTest, ReadsEveryType) {
  FieldReader r = Reader("s: hello\nn: 12\nb: true\nl: [x, 'y']\no: 5\n");
  std::string s;
  int n = 0;
  bool b = false;
  std::vector<std::string> l;
  std::optional<int> o, absent;
  r.Read("s", &s);
  r.Read("n", &n);
  r.Read("b", &b);
  r.Read("l", &l);
  r.Read("o", &o);
  r.Read("absent", &absent);
  r.Finish();
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(n, 12);
  EXPECT_TRUE(b);
  EXPECT_THAT(l, ElementsAre("x", "y"));
  EXPECT_EQ(o, 5);
  EXPECT_EQ(absent, std::nullopt);
}

TEST_F(FieldReaderTest, AbsentAndNullFieldsKeepTheirDefaults) {
  FieldReader r = Reader("s: ~\nn:\n");
  std::string s = "default";
  int n = 7, m = 8;
  r.Read("s", &s);
  r.Read("n", &n);
  r.Read("m", &m);
  r.Finish();
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_EQ(s, "default");
  EXPECT_EQ(n, 7);
  EXPECT_EQ(m, 8);
}

TEST_F(FieldReaderTest, NumbersAreTakenAsWrittenForStringFields) {
  FieldReader r = Reader("a: 42\nb: 1.50\n");
  std::string a, b;
  r.Read("a", &a);
  r.Read("b", &b);
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_EQ(a, "42");
  EXPECT_EQ(b, "1.50");
}

TEST_F(FieldReaderTest, StringWhereANumberIsExpected) {
  FieldReader r = Reader("n: \"10\"\nm: ten\nf: 1.5\n");
  int n = 1, m = 2, f = 3;
  r.Read("n", &n);
  r.Read("m", &m);
  r.Read("f", &f);
  EXPECT_THAT(Errors(),
              ElementsAre("top.n: expected an integer, got a string ('10'); write the number "
                          "without quotes",
                          "top.m: expected an integer, got a string ('ten')",
                          "top.f: expected an integer, got a decimal number ('1.5')"));
  EXPECT_EQ(n, 1);
  EXPECT_EQ(m, 2);
  EXPECT_EQ(f, 3);
}

TEST_F(FieldReaderTest, IntegersMustFitThirtyTwoBits) {
  FieldReader r = Reader("n: 3000000000\n");
  int n = 1;
  r.Read("n", &n);
  EXPECT_THAT(Errors(), ElementsAre(::testing::HasSubstr("top.n: the number 3000000000 is far "
                                                         "out of range")));
  EXPECT_EQ(n, 1);
}

TEST_F(FieldReaderTest, StringWhereABooleanIsExpected) {
  FieldReader r = Reader("b: yes\nc: \"true\"\nd: 1\n");
  bool b = false, c = false, d = false;
  r.Read("b", &b);
  r.Read("c", &c);
  r.Read("d", &d);
  EXPECT_THAT(Errors(), ElementsAre("top.b: expected a boolean (true or false), got a string "
                                    "('yes'); write true or false without quotes",
                                    "top.c: expected a boolean (true or false), got a string "
                                    "('true'); write true or false without quotes",
                                    "top.d: expected a boolean (true or false), got an integer "
                                    "('1')"));
}

TEST_F(FieldReaderTest, BooleanOrListWhereAStringIsExpected) {
  FieldReader r = Reader("s: true\nt: [a]\n");
  std::string s, t;
  r.Read("s", &s);
  r.Read("t", &t);
  EXPECT_THAT(Errors(), ElementsAre("top.s: expected a string, got a boolean ('true'); put it in "
                                    "quotes if you mean the text \"true\"",
                                    "top.t: expected a string, got a list"));
}

TEST_F(FieldReaderTest, ScalarWhereAListIsExpected) {
  FieldReader r = Reader("l: subnet-1\nm: [a, [b], c]\n");
  std::vector<std::string> l = {"keep"}, m = {"keep"};
  r.Read("l", &l);
  r.Read("m", &m);
  EXPECT_THAT(Errors(), ElementsAre("top.l: expected a list of strings, got a string "
                                    "('subnet-1'); write a list even for one item: [subnet-1]",
                                    "top.m[1]: expected a string, got a list"));
  EXPECT_THAT(l, ElementsAre("keep"));
  EXPECT_THAT(m, ElementsAre("keep"));
}

TEST_F(FieldReaderTest, MapsAndListsOfMaps) {
  FieldReader r = Reader("m: {x: 1}\nbad: 3\nitems: [{x: 1}, 2, {x: 3}]\n");
  int x = 0;
  FieldReader m = r.Map("m");
  m.Read("x", &x);
  m.Finish();
  EXPECT_EQ(x, 1);
  FieldReader bad = r.Map("bad");
  int y = 0;
  bad.Read("y", &y);
  bad.Finish();
  std::vector<std::string> paths;
  std::vector<int> xs;
  r.ForEachMap("items", [&](FieldReader& item) {
    paths.push_back(item.path());
    int v = 0;
    item.Read("x", &v);
    xs.push_back(v);
    item.Finish();
  });
  r.Finish();
  EXPECT_THAT(paths, ElementsAre("top.items[0]", "top.items[2]"));
  EXPECT_THAT(xs, ElementsAre(1, 3));
  EXPECT_THAT(Errors(), ElementsAre("top.bad: expected a mapping of fields (`field: value` "
                                    "lines), got an integer ('3')",
                                    "top.items[1]: expected a mapping of fields, got an integer "
                                    "('2')"));
}

TEST_F(FieldReaderTest, UnknownFieldWithASuggestion) {
  FieldReader r = Reader("blockDeviceMode: reattach\n");
  std::string mode;
  r.Read("blockDevicesMode", &mode);
  r.Finish();
  EXPECT_THAT(Errors(), ElementsAre("top.blockDeviceMode: unknown field 'blockDeviceMode'; did "
                                    "you mean 'blockDevicesMode'?"));
  EXPECT_EQ(mode, "");
}

TEST_F(FieldReaderTest, UnknownFieldThatBelongsElsewhere) {
  FieldReader r = Reader("imageid: ami-1\n");
  std::string a;
  r.Read("a", &a);
  r.Finish();
  EXPECT_THAT(Errors(), ElementsAre("top.imageid: unknown field 'imageid' here; 'imageId' "
                                    "belongs under top.nested: move it there"));
}

TEST_F(FieldReaderTest, UnknownFieldListsTheFieldsOfItsLevel) {
  FieldReader r = Reader("flavour: large\n");
  std::string a, b;
  r.Read("a", &a);
  r.Read("bb", &b);
  r.Finish();
  EXPECT_THAT(Errors(), ElementsAre("top.flavour: unknown field 'flavour'; the fields of top are: "
                                    "a, bb"));
}

TEST_F(FieldReaderTest, HasDeclaresTheField) {
  FieldReader r = Reader("x: 1\ny: ~\n");
  EXPECT_TRUE(r.Has("x"));
  EXPECT_FALSE(r.Has("y"));
  EXPECT_FALSE(r.Has("z"));
  r.Finish();
  EXPECT_THAT(Errors(), IsEmpty());
}

}  // namespace
}  // namespace spotkeeper
