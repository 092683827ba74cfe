#pragma once
// A one-request-per-connection HTTP/1.1 server on 127.0.0.1, port 0, for tests of
// HTTP clients (alarm actions, incident notifications, runbooks, the summariser): it
// answers with scripted (status, body) pairs (200 "" once the script is used up) and records
// every request (head and body).

#include <atomic>
#include <boost/asio.hpp>
#include <cctype>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace opsight::testing {

class LoopbackHttp {
 public:
  struct Request {
    std::string head, body;
    // The request line, e.g. "POST /hook HTTP/1.1".
    std::string line() const { return head.substr(0, head.find("\r\n")); }
    // A header value (name matched case-insensitively), or "".
    std::string header(std::string name) const {
      std::string lower = lower_of(head);
      const std::string key = "\r\n" + lower_of(name) + ":";
      const size_t at = lower.find(key);
      if (at == std::string::npos) return "";
      size_t v = at + key.size();
      while (v < head.size() && head[v] == ' ') v++;
      return head.substr(v, head.find("\r\n", v) - v);
    }
  };
  struct Answer {
    int status = 200;
    std::string body;
  };

  explicit LoopbackHttp(std::deque<Answer> answers = {})
      : answers_(std::move(answers)), acceptor_(io_, tcp::endpoint(tcp::v4(), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttp() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket s(io_);
    s.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port()), ec);  // wake
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  using tcp = boost::asio::ip::tcp;

  static std::string lower_of(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  void serve() {
    namespace asio = boost::asio;
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) break;
      asio::streambuf buf;
      const size_t head_len = asio::read_until(s, buf, "\r\n\r\n", ec);
      if (ec) continue;
      std::string data{asio::buffers_begin(buf.data()), asio::buffers_end(buf.data())};
      Request r;
      r.head = data.substr(0, head_len);
      r.body = data.substr(head_len);
      size_t length = 0;
      const std::string lower = lower_of(r.head);
      if (auto at = lower.find("content-length:"); at != std::string::npos) {
        length = std::stoul(lower.substr(at + 15));
      }
      while (r.body.size() < length) {
        char chunk[4096];
        const size_t n = s.read_some(asio::buffer(chunk), ec);
        if (ec) break;
        r.body.append(chunk, n);
      }
      Answer a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(r);
        if (!answers_.empty()) {
          a = answers_.front();
          answers_.pop_front();
        }
      }
      const std::string resp = "HTTP/1.1 " + std::to_string(a.status) +
                               " X\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(a.body.size()) + "\r\nConnection: close\r\n\r\n" +
                               a.body;
      asio::write(s, asio::buffer(resp), ec);
      s.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::mutex mu_;
  std::deque<Answer> answers_;     // guarded by mu_
  std::vector<Request> requests_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace opsight::testing
