// PrometheusWriter: the Prometheus text exposition format (version 0.0.4): families with HELP
// and TYPE, samples with escaped labels. Histogram: cumulative buckets, _sum and _count.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spotkeeper::api {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusWriter {
 public:
  // Starts a metric family (type: counter | gauge | histogram).
  void Family(const std::string& name, const std::string& type, const std::string& help);
  void Sample(const std::string& name, const Labels& labels, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// Label values escape backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& v);

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // The _bucket (with le, +Inf last), _sum and _count samples of `name`.
  void Write(PrometheusWriter& w, const std::string& name, const Labels& labels) const;
  int64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // per bucket, not cumulative; one more for +Inf
  double sum_ = 0;
  int64_t count_ = 0;
};

}  // namespace spotkeeper::api
