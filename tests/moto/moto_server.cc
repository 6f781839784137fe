#include "moto/moto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "provider/ec2/curl_http_client.h"

namespace spotkeeper {
namespace {

// A port the kernel had free on 127.0.0.1 a moment ago.
Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Internal("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Internal("bind to a loopback port failed");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace

MotoServer::~MotoServer() { Stop(); }

Status MotoServer::Start(Duration deadline) {
  if (pid_ > 0) return FailedPrecondition("moto_server already running");
  SK_ASSIGN_OR_RETURN(port_, FreeLoopbackPort());
  log_path_ = "/tmp/sk_moto_" + std::to_string(getpid()) + "_" + std::to_string(port_) + ".log";
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
      close(log);
    }
    std::string port = std::to_string(port_);
    const char* python = std::getenv("SPOTKEEPER_PYTHON");
    if (python == nullptr || python[0] == '\0') python = "python3";
    execlp(python, python, "-m", "moto.server", "-H", "127.0.0.1", "-p", port.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  auto start = std::chrono::steady_clock::now();
  Status last = Unavailable("not tried");
  while (std::chrono::steady_clock::now() - start < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("moto_server exited during start-up: " + Log());
    }
    last = Reset();
    if (last.ok()) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // bounded by the deadline
  }
  std::string log = Log();
  Stop();
  return DeadlineExceeded("moto_server did not answer within " + FormatDuration(deadline) + ": " +
                          last.ToString() + "; log: " + log);
}

Status MotoServer::Reset() {
  CurlHttpClient http;
  aws::HttpRequest req;
  req.method = "POST";
  req.url = endpoint() + "/moto-api/reset";
  req.timeout = std::chrono::seconds(5);
  SK_ASSIGN_OR_RETURN(aws::HttpResponse resp, http.Send(req));
  if (resp.status != 200) return Unavailable("moto reset: HTTP " + std::to_string(resp.status));
  return OkStatus();
}

void MotoServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

std::string MotoServer::Log() const {
  std::ifstream in(log_path_);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

}  // namespace spotkeeper
