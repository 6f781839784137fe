#include "common/secure_random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace spotkeeper {
namespace {

Status Fill(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  return OkStatus();
}

}  // namespace

Result<std::string> SecureRandomString(size_t n, std::string_view alphabet) {
  if (alphabet.size() < 2 || alphabet.size() > 256) {
    return InvalidArgument("SecureRandomString: the alphabet needs 2 to 256 characters");
  }
  // Bytes >= limit are dropped so that every character is equally likely.
  const size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    SK_RETURN_IF_ERROR(Fill(buf, sizeof buf));
    for (unsigned char b : buf) {
      if (out.size() == n) break;
      if (b < limit) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

Result<std::string> SecureRandomHex(size_t n) { return SecureRandomString(n, "0123456789abcdef"); }

}  // namespace spotkeeper
