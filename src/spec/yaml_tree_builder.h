// YamlTreeBuilder: a yaml-cpp event handler that builds a SpecNode tree directly from parser
// events. It replaces YAML::Load so that the loader controls what yaml-cpp's node API does not:
// a limit on depth and on nodes after alias expansion, aliases that refer to their own ancestor,
// duplicate keys, source lines, and plain vs quoted scalars (YAML 1.2 core schema resolution).
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/group_spec.h"
#include "spec/spec_node.h"

namespace spotkeeper {

class YamlTreeBuilder : public YAML::EventHandler {
 public:
  // Problems (duplicate keys, limits) are appended to *errors.
  YamlTreeBuilder(std::vector<ValidationError>* errors, int max_depth, int max_nodes);

  // The document's root once OnDocumentEnd has run; nullopt when a limit was hit.
  std::optional<SpecNode> TakeRoot();
  // True when the document was empty (no content at all, or only a null).
  bool saw_content() const { return saw_content_; }

  void OnDocumentStart(const YAML::Mark& mark) override;
  void OnDocumentEnd() override;
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override;
  void OnSequenceEnd() override;
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override;
  void OnMapEnd() override;

  // Resolves an untagged plain scalar with the YAML 1.2 core schema: true/false (3 spellings),
  // null/~/empty, decimal integers (kFloat when beyond int64), floats, else a string.
  static SpecNode ResolvePlainScalar(const std::string& text);

 private:
  struct Frame {
    SpecNode node;
    std::string path;
    YAML::anchor_t anchor;
    int size = 1;    // nodes in this subtree so far
    int height = 1;  // levels in this subtree so far
    // Maps only: the key waiting for its value; `skip_value` when the key was unusable.
    std::optional<std::string> pending_key = std::nullopt;
    int pending_key_line = 0;
    bool skip_value = false;
  };

  // Adds a finished node (`size` nodes, `height` levels) to the open collection, or makes it the
  // root.
  void Emit(SpecNode node, int size, int height, YAML::anchor_t anchor);
  void Open(SpecNode node, const YAML::Mark& mark, YAML::anchor_t anchor);
  void Close();
  // The path of the value that comes next in the innermost open collection.
  std::string NextPath() const;
  bool CountNodes(int n);
  static int Line(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }
  void Abort(std::string path, std::string message);

  std::vector<ValidationError>* errors_;
  const int max_depth_;
  const int max_nodes_;
  std::vector<Frame> stack_;
  struct Anchored {
    SpecNode node;
    int size;
    int height;
  };
  std::map<YAML::anchor_t, Anchored> anchors_;  // finished anchored nodes
  std::optional<SpecNode> root_;
  int nodes_ = 0;
  bool aborted_ = false;
  bool saw_content_ = false;
};

}  // namespace spotkeeper
