// The `opsight` command: `serve` runs the server; the other commands are clients of a running
// server's HTTP API (default http://127.0.0.1:4318, or $OPSIGHT_URL / --server).

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "cli/accounts_commands.h"
#include "cli/alarm_commands.h"
#include "cli/anomaly_command.h"
#include "cli/change_commands.h"
#include "cli/commands.h"
#include "cli/demo_command.h"
#include "cli/incident_commands.h"
#include "cli/keys_commands.h"
#include "cli/logs_commands.h"
#include "cli/patterns_command.h"
#include "cli/xray_commands.h"
#include "common/logging.h"
#include "server/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"opsight: self-hosted observability and AIOps server"};
  app.require_subcommand(1);
  const char* env_url = std::getenv("OPSIGHT_URL");
  std::string server_url = env_url ? env_url : "http://127.0.0.1:4318";

  // serve
  auto* serve = app.add_subcommand("serve", "Run the server");
  std::string config_path, data_dir, http_listen, log_level;
  std::optional<std::string> xray_listen;
  std::optional<std::string> otlp_grpc_listen;
  std::string auth_mode, region;
  serve->add_option("--config", config_path, "YAML configuration file");
  serve->add_option("--data-dir", data_dir, "Data directory (default ./data)");
  serve->add_option("--http-listen", http_listen, "HTTP listen address (default 127.0.0.1:4318)");
  serve->add_option("--xray-listen", xray_listen,
                    "X-Ray daemon UDP+TCP address (default 127.0.0.1:2000; \"\" = off)");
  serve->add_option("--otlp-grpc-listen", otlp_grpc_listen,
                    "OTLP/gRPC listen address (default 127.0.0.1:4317; \"\" = off)");
  serve->add_option("--log-level", log_level, "debug, info, warn or error");
  serve->add_option("--auth", auth_mode,
                    "none (default; loopback listeners only) or sigv4 (keys from `opsight keys`)");
  serve->add_option("--region", region, "The server's AWS region (default local)");
  serve->callback([&] {
    opsight::server::ServerConfig cfg;
    if (!config_path.empty()) {
      auto st = opsight::server::load_config_file(config_path, &cfg);
      if (!st.ok()) {
        std::fprintf(stderr, "opsight: %s\n", st.message().c_str());
        std::exit(2);
      }
    }
    if (!data_dir.empty()) cfg.data_dir = data_dir;
    if (!http_listen.empty()) cfg.http.listen = http_listen;
    if (!log_level.empty()) cfg.log_level = log_level;
    if (xray_listen) cfg.xray.listen = *xray_listen;
    if (otlp_grpc_listen) cfg.otlp_grpc.listen = *otlp_grpc_listen;
    if (!auth_mode.empty()) {
      auto mode = opsight::api::parse_auth_mode(auth_mode);
      if (!mode.ok()) {
        std::fprintf(stderr, "opsight: --auth: %s\n", mode.status().message().c_str());
        std::exit(2);
      }
      cfg.auth = *mode;
    }
    if (!region.empty()) cfg.region = region;
    opsight::log::init(cfg.log_level);
    std::exit(opsight::server::run_serve(cfg));
  });

  opsight::cli::add_client_commands(app, &server_url);
  opsight::cli::add_patterns_command(app);
  opsight::cli::add_anomaly_command(app);
  opsight::cli::add_alarm_commands(app, &server_url);
  opsight::cli::add_incident_commands(app, &server_url);
  opsight::cli::add_change_commands(app, &server_url);
  opsight::cli::add_logs_commands(app, &server_url);
  opsight::cli::add_xray_commands(app, &server_url);
  opsight::cli::add_demo_command(app);
  opsight::cli::add_keys_commands(app);
  opsight::cli::add_accounts_commands(app);

  CLI11_PARSE(app, argc, argv);
  return 0;
}
