#include "host/sequence_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace spotkeeper::cloud::testing {

SequenceWriter::SequenceWriter(std::string path, uint64_t wrap)
    : path_(std::move(path)), wrap_(wrap) {}

SequenceWriter::~SequenceWriter() {
  Stop();
  if (fd_ >= 0) close(fd_);
}

Status SequenceWriter::Start() {
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Internal("open " + path_ + ": " + std::strerror(errno));
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void SequenceWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<SequenceWriter::Write> SequenceWriter::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

Status SequenceWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void SequenceWriter::Run() {
  std::string record(kRecord, '\0');
  for (uint64_t n = 0; !stop_; ++n) {
    std::memcpy(record.data(), &n, sizeof n);
    std::memset(record.data() + sizeof n, static_cast<int>('A' + n % 26), kRecord - sizeof n);
    const uint64_t slot = wrap_ ? n % wrap_ : n;
    Write w;
    w.start = Clock::now();
    ssize_t got = pwrite(fd_, record.data(), kRecord, static_cast<off_t>(slot * kRecord));
    int rc = got == static_cast<ssize_t>(kRecord) ? fdatasync(fd_) : -1;
    w.end = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (rc != 0) {
      error_ = Internal("write " + path_ + ": " + std::strerror(errno));
      cv_.notify_all();
      return;
    }
    writes_.push_back(w);
    acknowledged_ = n + 1;
    cv_.notify_all();
  }
}

bool SequenceWriter::WaitFor(uint64_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return acknowledged_ >= n || !error_.ok(); }) &&
         error_.ok();
}

Result<uint64_t> CheckSequence(const std::string& data) {
  if (data.size() % SequenceWriter::kRecord != 0) {
    return Internal("size " + std::to_string(data.size()) + " is not a whole number of records");
  }
  const uint64_t n = data.size() / SequenceWriter::kRecord;
  for (uint64_t i = 0; i < n; ++i) {
    const char* r = data.data() + i * SequenceWriter::kRecord;
    uint64_t seq;
    std::memcpy(&seq, r, sizeof seq);
    const char fill = static_cast<char>('A' + i % 26);
    bool whole = seq == i;
    for (size_t j = sizeof seq; whole && j < SequenceWriter::kRecord; ++j) whole = r[j] == fill;
    if (!whole) return Internal("record " + std::to_string(i) + " is torn or out of order");
  }
  return n;
}

LatencyStats Latencies(const std::vector<SequenceWriter::Write>& writes,
                       SequenceWriter::Clock::time_point from,
                       SequenceWriter::Clock::time_point to) {
  std::vector<double> ms;
  for (const auto& w : writes) {
    if (from != to && (w.end < from || w.start > to)) continue;
    ms.push_back(std::chrono::duration<double, std::milli>(w.end - w.start).count());
  }
  LatencyStats s;
  s.writes = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.max_ms = ms.back();
  s.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  s.p50_ms = ms[ms.size() / 2];
  return s;
}

}  // namespace spotkeeper::cloud::testing
