#include "cli/accounts_commands.h"

#include <cstdio>
#include <memory>
#include <string>

#include "cli/data_dir.h"
#include "common/json_writer.h"
#include "resources/account_links.h"

namespace opsight::cli {
namespace {

struct AccountsFlags {
  std::string data_dir = "./data";
  std::string monitoring;
  std::string source;
  bool json = false;
};

void add_pair_options(CLI::App* cmd, AccountsFlags* f) {
  cmd->add_option("--monitoring", f->monitoring, "Monitoring account (12 digits)")->required();
  cmd->add_option("--source", f->source, "Source account (12 digits)")->required();
  cmd->add_option("--data-dir", f->data_dir, "Data directory (default ./data)");
}

}  // namespace

void add_accounts_commands(CLI::App& app) {
  auto* accounts = app.add_subcommand(
      "accounts", "Manage cross-account observability links (opens <data-dir>/meta.db directly)");
  accounts->require_subcommand(1);
  auto f = std::make_shared<AccountsFlags>();

  auto* link = accounts->add_subcommand(
      "link", "Let a monitoring account read a source account's metrics, logs and traces");
  add_pair_options(link, f.get());
  link->callback([f] {
    auto meta = open_data_dir_meta(f->data_dir);
    resources::AccountLinks links(meta.get());
    Status st = links.link(f->monitoring, f->source);
    if (!st.ok()) fail_and_exit(st.message());
    std::printf("linked source %s to monitoring account %s\n", f->source.c_str(),
                f->monitoring.c_str());
  });

  auto* unlink = accounts->add_subcommand("unlink", "Remove a link");
  add_pair_options(unlink, f.get());
  unlink->callback([f] {
    auto meta = open_data_dir_meta(f->data_dir);
    resources::AccountLinks links(meta.get());
    Status st = links.unlink(f->monitoring, f->source);
    if (!st.ok()) fail_and_exit(st.message());
    std::printf("unlinked source %s from monitoring account %s\n", f->source.c_str(),
                f->monitoring.c_str());
  });

  auto* list = accounts->add_subcommand("list", "List links (monitoring, source)");
  list->add_option("--data-dir", f->data_dir, "Data directory (default ./data)");
  list->add_flag("--json", f->json, "Print as JSON");
  list->callback([f] {
    auto meta = open_data_dir_meta(f->data_dir);
    resources::AccountLinks links(meta.get());
    auto all = links.list();
    if (!all.ok()) fail_and_exit(all.status().message());
    if (f->json) {
      json::Writer w;
      w.begin_object().key("Links").begin_array();
      for (const auto& [m, s] : *all) {
        w.begin_object();
        w.kv("MonitoringAccountId", m);
        w.kv("SourceAccountId", s);
        w.end_object();
      }
      w.end_array().end_object();
      std::printf("%s\n", w.str().c_str());
      return;
    }
    std::printf("%-13s %s\n", "MONITORING", "SOURCE");
    for (const auto& [m, s] : *all) std::printf("%-13s %s\n", m.c_str(), s.c_str());
  });
}

}  // namespace opsight::cli
