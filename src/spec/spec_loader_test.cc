#include "spec/spec_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

using Kind = SpecNode::Kind;
using ::testing::HasSubstr;

// The node of `key` in a one-level YAML mapping.
SpecNode YamlValue(const std::string& yaml, const std::string& key = "v") {
  LoadedDocument doc = LoadYamlDocument(yaml);
  EXPECT_TRUE(doc.errors.empty()) << doc.errors[0].ToString();
  if (!doc.root || doc.root->Find(key) == nullptr) {
    ADD_FAILURE() << "no " << key << " in " << yaml;
    return SpecNode::Null();
  }
  return *doc.root->Find(key);
}

std::string OnlyError(const LoadedDocument& doc) {
  EXPECT_EQ(doc.errors.size(), 1u);
  return doc.errors.empty() ? "" : doc.errors[0].ToString();
}

TEST(SpecLoaderTest, YamlPlainScalarsFollowTheCoreSchema) {
  EXPECT_EQ(YamlValue("v: 42").kind(), Kind::kInt);
  EXPECT_EQ(YamlValue("v: 42").int_value(), 42);
  EXPECT_EQ(YamlValue("v: -7").int_value(), -7);
  EXPECT_EQ(YamlValue("v: +7").int_value(), 7);
  EXPECT_EQ(YamlValue("v: -9223372036854775808").int_value(), INT64_MIN);
  EXPECT_EQ(YamlValue("v: 99999999999999999999").kind(), Kind::kFloat);
  EXPECT_EQ(YamlValue("v: 1.5").kind(), Kind::kFloat);
  EXPECT_EQ(YamlValue("v: 1e3").kind(), Kind::kFloat);
  EXPECT_EQ(YamlValue("v: .inf").kind(), Kind::kFloat);
  EXPECT_EQ(YamlValue("v: 0x1F").kind(), Kind::kString);
  EXPECT_EQ(YamlValue("v: 1.2.3").kind(), Kind::kString);
  for (const char* t : {"true", "True", "TRUE"}) {
    SpecNode n = YamlValue(std::string("v: ") + t);
    EXPECT_EQ(n.kind(), Kind::kBool) << t;
    EXPECT_TRUE(n.bool_value()) << t;
  }
  EXPECT_FALSE(YamlValue("v: false").bool_value());
  // YAML 1.1's yes/no/on/off are plain strings in YAML 1.2.
  EXPECT_EQ(YamlValue("v: yes").kind(), Kind::kString);
  for (const char* t : {"v:", "v: ~", "v: null", "v: NULL"}) {
    EXPECT_EQ(YamlValue(t).kind(), Kind::kNull) << t;
  }
  EXPECT_EQ(YamlValue("v: m5.large").text(), "m5.large");
}

TEST(SpecLoaderTest, QuotedAndBlockScalarsAreStrings) {
  EXPECT_EQ(YamlValue("v: \"42\"").kind(), Kind::kString);
  EXPECT_EQ(YamlValue("v: '42'").text(), "42");
  EXPECT_EQ(YamlValue("v: \"true\"").kind(), Kind::kString);
  EXPECT_EQ(YamlValue("v: !!str 42").kind(), Kind::kString);
  SpecNode block = YamlValue("v: |\n  #!/bin/sh\n  echo 1\n");
  EXPECT_EQ(block.kind(), Kind::kString);
  EXPECT_EQ(block.text(), "#!/bin/sh\necho 1\n");
}

TEST(SpecLoaderTest, ListsMapsAndLines) {
  LoadedDocument doc = LoadYamlDocument("a: 1\nb:\n  - x\n  - {c: d}\n");
  ASSERT_TRUE(doc.root);
  ASSERT_EQ(doc.root->kind(), Kind::kMap);
  ASSERT_EQ(doc.root->fields().size(), 2u);
  EXPECT_EQ(doc.root->fields()[0].first, "a");
  const SpecNode* b = doc.root->Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items().size(), 2u);
  EXPECT_EQ(b->items()[0].text(), "x");
  EXPECT_EQ(b->items()[1].Find("c")->text(), "d");
  EXPECT_EQ(doc.root->Find("a")->line(), 1);
  EXPECT_EQ(b->items()[1].line(), 4);
  EXPECT_EQ(doc.root->Find("missing"), nullptr);
}

TEST(SpecLoaderTest, YamlSyntaxErrorsHaveLineAndColumn) {
  LoadedDocument doc = LoadYamlDocument("name: x\n  region: y\n");
  EXPECT_FALSE(doc.root);
  EXPECT_EQ(OnlyError(doc), "YAML syntax error at line 2, column 9: illegal map value");
  doc = LoadYamlDocument("name: x\nregion: [a, b\n");
  EXPECT_THAT(OnlyError(doc), HasSubstr("YAML syntax error at line 3, column 1"));
  EXPECT_EQ(doc.errors[0].path, "");
}

TEST(SpecLoaderTest, DuplicateKeysAreReportedWithTheirLine) {
  LoadedDocument doc = LoadYamlDocument("name: x\ncapacity:\n  target: 1\n  target: 2\n");
  ASSERT_TRUE(doc.root);
  EXPECT_EQ(OnlyError(doc), "capacity.target: is written twice (line 4); keep one of them");
  EXPECT_EQ(doc.root->Find("capacity")->Find("target")->int_value(), 1);
}

TEST(SpecLoaderTest, FieldNamesMustBePlainText) {
  LoadedDocument doc = LoadYamlDocument("? [1, 2]\n: 3\nname: x\n");
  EXPECT_THAT(OnlyError(doc), HasSubstr("a field name (line 1) is empty or not plain text"));
  ASSERT_TRUE(doc.root);
  EXPECT_NE(doc.root->Find("name"), nullptr);
}

TEST(SpecLoaderTest, OneDocumentExactly) {
  EXPECT_THAT(OnlyError(LoadYamlDocument("")), HasSubstr("the spec is empty"));
  EXPECT_THAT(OnlyError(LoadYamlDocument("# only a comment\n")), HasSubstr("the spec is empty"));
  EXPECT_THAT(
      OnlyError(LoadYamlDocument("a: 1\n---\nb: 2\n")),
      HasSubstr("more than one YAML document (separated by ---); write one group per file"));
}

TEST(SpecLoaderTest, AliasBombsHitTheNodeLimit) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 9; ++k) yaml += ", " + prev;
    yaml += "]\n";
  }
  LoadedDocument doc = LoadYamlDocument(yaml);
  EXPECT_FALSE(doc.root);
  EXPECT_THAT(OnlyError(doc), HasSubstr("more than 100000 values once YAML aliases are expanded"));
}

TEST(SpecLoaderTest, AnAliasInsideItsOwnAnchorIsRejected) {
  LoadedDocument doc = LoadYamlDocument("a: &a [*a]\n");
  EXPECT_FALSE(doc.root);
  EXPECT_EQ(OnlyError(doc),
            "a[0]: a YAML alias (line 1) refers to a value that contains it; write the value out");
  doc = LoadYamlDocument("a: &a {b: *a}\n");
  EXPECT_THAT(OnlyError(doc), HasSubstr("a.b: a YAML alias (line 1) refers to a value"));
}

TEST(SpecLoaderTest, AliasesAreExpanded) {
  LoadedDocument doc = LoadYamlDocument("base: &b {x: 1}\ncopy: *b\n");
  ASSERT_TRUE(doc.root);
  EXPECT_EQ(doc.root->Find("copy")->Find("x")->int_value(), 1);
}

TEST(SpecLoaderTest, AliasesCannotBuildDeepTrees) {
  // Each level is 20 deep and holds the previous one: 3 levels would be 60 deep.
  std::string yaml;
  for (int i = 0; i < 3; ++i) {
    yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " " + std::string(20, '[') +
            (i == 0 ? "x" : "*l" + std::to_string(i - 1)) + std::string(20, ']') + "\n";
  }
  LoadedDocument doc = LoadYamlDocument(yaml);
  EXPECT_FALSE(doc.root);
  EXPECT_THAT(OnlyError(doc), HasSubstr("nested more than 32 levels deep once YAML aliases are "
                                        "expanded"));
}

// Found by fuzzing: YAML::LoadAll returns empty documents forever for this input (yaml-cpp 0.7),
// eating memory without bound. The loader asks yaml-cpp for at most two documents.
TEST(SpecLoaderTest, InputThatMakesYamlCppRepeatDocumentsEnds) {
  const std::string input(
      "- name:-h name: a\n- n \xb5\n, nam\x9b\xc5\xdf\xdb"
      "e",
      34);
  LoadedDocument doc = LoadYamlDocument(input);
  ASSERT_TRUE(doc.root);
  EXPECT_EQ(doc.root->kind(), Kind::kList);  // the first document, a list
}

TEST(SpecLoaderTest, DeepNestingHitsTheDepthLimit) {
  LoadedDocument doc = LoadYamlDocument("a: " + std::string(40, '[') + std::string(40, ']') + "\n");
  EXPECT_THAT(OnlyError(doc), HasSubstr("nested more than 32 levels deep"));
  doc = LoadJsonDocument(std::string(40, '[') + std::string(40, ']'));
  EXPECT_THAT(OnlyError(doc), HasSubstr("nested more than 32 levels deep"));
  // Far deeper than any parser's recursion should go: still an error, not a crash.
  doc = LoadYamlDocument(std::string(100'000, '['));
  EXPECT_FALSE(doc.root);
  EXPECT_FALSE(doc.errors.empty());
  doc = LoadJsonDocument(std::string(100'000, '[') + std::string(100'000, ']'));
  EXPECT_FALSE(doc.root);
}

TEST(SpecLoaderTest, TextOverOneMebibyteIsRejected) {
  std::string big = "description: \"" + std::string(kMaxSpecBytes, 'x') + "\"\n";
  EXPECT_THAT(OnlyError(LoadYamlDocument(big)), HasSubstr("the limit is 1048576 (1 MiB)"));
  EXPECT_THAT(OnlyError(LoadJsonDocument(big)), HasSubstr("the limit is 1048576 (1 MiB)"));
}

TEST(SpecLoaderTest, JsonSyntaxErrorsHaveLineAndColumn) {
  LoadedDocument doc = LoadJsonDocument("{\n  \"name\": \"x\",\n  \"region\" \"y\"\n}");
  EXPECT_FALSE(doc.root);
  EXPECT_THAT(OnlyError(doc), HasSubstr("JSON syntax error at line 3, column 14: "));
  EXPECT_THAT(doc.errors[0].message, HasSubstr("expected ':'"));
  EXPECT_THAT(doc.errors[0].message, ::testing::Not(HasSubstr("json.exception")));
  EXPECT_THAT(OnlyError(LoadJsonDocument("{\"a\": 1e400}")), HasSubstr("number overflow"));
}

TEST(SpecLoaderTest, JsonDuplicateKeysAreReported) {
  LoadedDocument doc = LoadJsonDocument(
      R"({"name": "a", "compute": {"availabilityZones": [{"name": "z"}, {"name": "y", "name": "x"}]},
          "name": "b"})");
  ASSERT_TRUE(doc.root);
  EXPECT_THAT(doc.errors, ::testing::ElementsAre(
                              ValidationError{"compute.availabilityZones[1].name",
                                              "is written twice; keep one of them"},
                              ValidationError{"name", "is written twice; keep one of them"}));
}

TEST(SpecLoaderTest, JsonValuesMapOntoTheSameKinds) {
  nlohmann::json j = {{"s", "x"},    {"i", -3},          {"u", 18446744073709551615u},
                      {"f", 1.5},    {"b", true},        {"n", nullptr},
                      {"l", {1, 2}}, {"m", {{"k", "v"}}}};
  LoadedDocument doc = LoadJsonValue(j);
  ASSERT_TRUE(doc.root) << OnlyError(doc);
  EXPECT_TRUE(doc.errors.empty());
  const SpecNode& r = *doc.root;
  EXPECT_EQ(r.Find("s")->kind(), Kind::kString);
  EXPECT_EQ(r.Find("i")->int_value(), -3);
  EXPECT_EQ(r.Find("u")->kind(), Kind::kFloat);  // does not fit an int64
  EXPECT_EQ(r.Find("f")->kind(), Kind::kFloat);
  EXPECT_EQ(r.Find("f")->text(), "1.5");
  EXPECT_TRUE(r.Find("b")->bool_value());
  EXPECT_TRUE(r.Find("n")->is_null());
  EXPECT_EQ(r.Find("l")->items().size(), 2u);
  EXPECT_EQ(r.Find("m")->Find("k")->text(), "v");
  EXPECT_EQ(r.Find("s")->line(), 0);
}

}  // namespace
}  // namespace spotkeeper
