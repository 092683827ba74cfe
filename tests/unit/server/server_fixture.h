#pragma once
// A real opsight server on a temp data directory and a free 127.0.0.1 port, for tests that go
// through its HTTP API: start(), restart() on the same directory, and request helpers.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "server/server.h"

namespace opsight::server {

class ServerFixture : public ::testing::Test {
 protected:
  explicit ServerFixture(int workers = 4) : workers_(workers) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("opsight_server_fixture_" + std::to_string(std::random_device{}()));
    cfg_.data_dir = dir_.string();
    cfg_.http.listen = "127.0.0.1:0";
    cfg_.http.workers = workers_;
    start();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    auto s = Server::start(cfg_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(*s);
    base_ = "http://127.0.0.1:" + std::to_string(server_->http_port());
  }
  void restart() {
    ASSERT_TRUE(server_->shutdown().ok());
    server_.reset();
    start();
  }
  net::ClientResponse request(const std::string& method, const std::string& path,
                              const std::string& body = "",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = net::http_request(method, base_ + path, body, headers);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : net::ClientResponse{};
  }
  net::ClientResponse get(const std::string& path) { return request("GET", path); }
  net::ClientResponse post(const std::string& path, const std::string& body,
                           const std::string& type = "application/json") {
    return request("POST", path, body, {{"Content-Type", type}});
  }

  const int workers_;
  std::filesystem::path dir_;
  ServerConfig cfg_;
  std::unique_ptr<Server> server_;
  std::string base_;
};

}  // namespace opsight::server
