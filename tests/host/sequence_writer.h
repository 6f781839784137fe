// SequenceWriter: a writer thread for snapshot tests and benchmarks. It appends 4 KiB records
// to one file, each holding its sequence number, fdatasync after each, and times every write.
// CheckSequence reads such a file back (from a restored or captured image) and says how many
// records it holds, failing on a torn or out-of-order one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::testing {

class SequenceWriter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Write {
    Clock::time_point start, end;
  };
  static constexpr size_t kRecord = 4096;
  // `wrap`: records are written at (n % wrap) * kRecord (0: append forever).
  explicit SequenceWriter(std::string path, uint64_t wrap = 0);
  ~SequenceWriter();  // stops
  Status Start();
  void Stop();
  // Records acknowledged (written and fdatasync'd) so far.
  uint64_t acknowledged() const { return acknowledged_.load(); }
  // Waits (bounded) until at least `n` records are acknowledged; false on timeout or error.
  bool WaitFor(uint64_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::vector<Write> writes() const;
  Status error() const;

 private:
  void Run();
  std::string path_;
  uint64_t wrap_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> acknowledged_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Write> writes_;
  Status error_;
  std::thread thread_;
};

// Number of whole, valid records at the start of `data` (records 0..n-1 in order); an error
// when a record is torn, out of order, or the size is not a whole number of records.
Result<uint64_t> CheckSequence(const std::string& data);

// Latency figures of the writes that overlap [from, to] (all writes when from == to == {}).
struct LatencyStats {
  size_t writes = 0;
  double max_ms = 0, p99_ms = 0, p50_ms = 0;
};
LatencyStats Latencies(const std::vector<SequenceWriter::Write>& writes,
                       SequenceWriter::Clock::time_point from = {},
                       SequenceWriter::Clock::time_point to = {});

}  // namespace spotkeeper::cloud::testing
