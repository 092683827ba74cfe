#include "cli/keys_commands.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "auth/key_store.h"
#include "cli/data_dir.h"
#include "common/clock.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "storage/meta/meta_store.h"

namespace opsight::cli {
namespace {

// The stores of one command run; the meta store must outlive the key store.
struct OpenKeys {
  std::unique_ptr<storage::meta::MetaStore> meta;
  std::unique_ptr<auth::KeyStore> keys;
};

OpenKeys open_keys(const std::string& data_dir) {
  OpenKeys o;
  o.meta = open_data_dir_meta(data_dir);
  auto master =
      auth::load_or_create_master_key(data_dir + "/" + std::string(auth::kMasterKeyFileName));
  if (!master.ok()) fail_and_exit(master.status().to_string());
  auto keys = auth::KeyStore::open(o.meta.get(), *master, Clock::real());
  if (!keys.ok()) fail_and_exit(keys.status().to_string());
  o.keys = std::move(*keys);
  return o;
}

void write_info(json::Writer& w, const auth::AccessKeyInfo& k) {
  w.kv("AccessKeyId", k.key_id);
  w.kv("Account", k.account);
  w.kv("Status", auth::key_status_name(k.status));
  w.kv("CreateDate", format_rfc3339_ms(k.created_ms));
  w.kv("Description", k.description);
}

struct KeysFlags {
  std::string data_dir = "./data";
  std::string account;
  std::string description;
  std::string key_id;
  bool json = false;
};

}  // namespace

void add_keys_commands(CLI::App& app) {
  auto* keys = app.add_subcommand(
      "keys", "Manage access keys for `auth: sigv4` (opens <data-dir>/meta.db directly)");
  keys->require_subcommand(1);
  auto f = std::make_shared<KeysFlags>();

  auto* create = keys->add_subcommand("create", "Create an access key for an account");
  create->add_option("--account", f->account, "12-digit account id")->required();
  create->add_option("--description", f->description, "What the key is for");
  create->add_option("--data-dir", f->data_dir, "Data directory (default ./data)");
  create->add_flag("--json", f->json, "Print as JSON");
  create->callback([f] {
    OpenKeys o = open_keys(f->data_dir);
    auto k = o.keys->create(f->account, f->description);
    if (!k.ok()) fail_and_exit(k.status().message());
    if (f->json) {
      json::Writer w;
      w.begin_object().key("AccessKey").begin_object();
      write_info(w, k->info);
      w.kv("SecretAccessKey", k->secret);
      w.end_object().end_object();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf(
          "AccessKeyId:     %s\nSecretAccessKey: %s\nAccount:         %s\n"
          "The secret is shown only this once; store it now (e.g. `aws configure`).\n",
          k->info.key_id.c_str(), k->secret.c_str(), k->info.account.c_str());
    }
  });

  auto* list = keys->add_subcommand("list", "List access keys (never their secrets)");
  list->add_option("--account", f->account, "Only this account's keys");
  list->add_option("--data-dir", f->data_dir, "Data directory (default ./data)");
  list->add_flag("--json", f->json, "Print as JSON");
  list->callback([f] {
    OpenKeys o = open_keys(f->data_dir);
    std::optional<std::string_view> account;
    if (!f->account.empty()) account = f->account;
    auto ks = o.keys->list(account);
    if (!ks.ok()) fail_and_exit(ks.status().message());
    if (f->json) {
      json::Writer w;
      w.begin_object().key("AccessKeyMetadata").begin_array();
      for (const auto& k : *ks) {
        w.begin_object();
        write_info(w, k);
        w.end_object();
      }
      w.end_array().end_object();
      std::printf("%s\n", w.str().c_str());
      return;
    }
    std::printf("%-22s %-13s %-9s %-25s %s\n", "ACCESS KEY ID", "ACCOUNT", "STATUS", "CREATED",
                "DESCRIPTION");
    for (const auto& k : *ks) {
      std::printf("%-22s %-13s %-9s %-25s %s\n", k.key_id.c_str(), k.account.c_str(),
                  std::string(auth::key_status_name(k.status)).c_str(),
                  format_rfc3339_ms(k.created_ms).c_str(), k.description.c_str());
    }
  });

  auto* revoke = keys->add_subcommand(
      "revoke", "Deactivate an access key (a running server refuses it within a few seconds)");
  revoke->add_option("key-id", f->key_id, "The access key id")->required();
  revoke->add_option("--data-dir", f->data_dir, "Data directory (default ./data)");
  revoke->callback([f] {
    OpenKeys o = open_keys(f->data_dir);
    Status st = o.keys->set_status(f->key_id, auth::KeyStatus::kInactive);
    if (!st.ok()) fail_and_exit(st.message());
    std::printf("revoked %s (a running server refuses it within %lld s)\n", f->key_id.c_str(),
                static_cast<long long>(auth::kKeyCacheTtlMs / 1000));
  });
}

}  // namespace opsight::cli
