#include "auth/key_store.h"

#include "auth/access_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/hex.h"
#include "testing/temp_dir.h"

namespace opsight::auth {
namespace {

using storage::meta::MetaStore;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto meta = MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(meta.ok()) << meta.status().to_string();
    meta_ = std::move(*meta);
    auto master = load_or_create_master_key(dir_.file("auth.key"));
    ASSERT_TRUE(master.ok()) << master.status().to_string();
    master_ = *master;
    store_ = open_store();
  }
  std::unique_ptr<KeyStore> open_store() {
    auto s = KeyStore::open(meta_.get(), master_, &clock_);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return std::move(*s);
  }
  std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  testing::TempDir dir_{"key_store"};
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<MetaStore> meta_;
  std::string master_;
  std::unique_ptr<KeyStore> store_;
};

TEST_F(KeyStoreTest, CreateLookupListRevoke) {
  auto a = store_->create("123456789012", "ci pipeline");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  auto b = store_->create("210987654321", "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->info.key_id.size(), kAccessKeyIdLength);
  EXPECT_TRUE(a->info.key_id.starts_with("AKIA"));
  EXPECT_EQ(a->secret.size(), kSecretKeyLength);
  EXPECT_EQ(a->info.created_ms, clock_.now_ms());

  auto got = store_->lookup(a->info.key_id);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->account, "123456789012");
  EXPECT_EQ(got->secret, a->secret);

  auto all = store_->list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto only_a = store_->list(std::string_view("123456789012"));
  ASSERT_TRUE(only_a.ok());
  ASSERT_EQ(only_a->size(), 1u);
  EXPECT_EQ((*only_a)[0].key_id, a->info.key_id);
  EXPECT_EQ((*only_a)[0].description, "ci pipeline");
  EXPECT_EQ((*only_a)[0].status, KeyStatus::kActive);

  ASSERT_TRUE(store_->set_status(a->info.key_id, KeyStatus::kInactive).ok());
  EXPECT_EQ(store_->lookup(a->info.key_id).status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->lookup(b->info.key_id).ok());
  EXPECT_EQ((*store_->list(std::string_view("123456789012")))[0].status, KeyStatus::kInactive);
  ASSERT_TRUE(store_->set_status(a->info.key_id, KeyStatus::kActive).ok());
  EXPECT_TRUE(store_->lookup(a->info.key_id).ok());

  EXPECT_EQ(store_->set_status("AKIAAAAAAAAAAAAAAAAA", KeyStatus::kInactive).code(),
            Code::kNotFound);
  EXPECT_EQ(store_->lookup("AKIAAAAAAAAAAAAAAAAA").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->lookup("not a key id").status().code(), Code::kNotFound);
  ASSERT_TRUE(store_->remove(b->info.key_id).ok());
  EXPECT_EQ(store_->lookup(b->info.key_id).status().code(), Code::kNotFound);
}

TEST_F(KeyStoreTest, RejectsBadInput) {
  EXPECT_EQ(store_->create("12345", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->create("12345678901a", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      store_->create("123456789012", std::string(kMaxKeyDescriptionBytes + 1, 'x')).status().code(),
      Code::kInvalidArgument);
}

TEST_F(KeyStoreTest, RevokeByAnotherStoreTakesEffectAfterTheCacheTime) {
  auto a = store_->create("123456789012", "");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store_->lookup(a->info.key_id).ok());  // cached now
  auto other = open_store();                         // e.g. the CLI
  ASSERT_TRUE(other->set_status(a->info.key_id, KeyStatus::kInactive).ok());
  clock_.advance_ms(kKeyCacheTtlMs - 1);
  EXPECT_TRUE(store_->lookup(a->info.key_id).ok());
  clock_.advance_ms(1);
  EXPECT_EQ(store_->lookup(a->info.key_id).status().code(), Code::kNotFound);
}

TEST_F(KeyStoreTest, NewKeyFromAnotherStoreWorksAtOnce) {
  EXPECT_EQ(store_->lookup("AKIAAAAAAAAAAAAAAAAA").status().code(), Code::kNotFound);
  auto other = open_store();
  auto a = other->create("123456789012", "");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(store_->lookup(a->info.key_id).ok());
}

TEST_F(KeyStoreTest, TamperedRecordsAreRefused) {
  auto a = store_->create("123456789012", "");
  auto b = store_->create("123456789012", "");
  ASSERT_TRUE(a.ok() && b.ok());
  auto obj = meta_->get(kKeyTenant, kAccessKeyKind, a->info.key_id);
  ASSERT_TRUE(obj.ok());
  const std::string original = obj->doc;

  // Flip one bit of the ciphertext.
  const size_t p = original.find("\"ciphertext\":\"") + 14;
  std::string doc = original;
  doc[p] = doc[p] == '0' ? '1' : '0';
  ASSERT_TRUE(meta_->put(kKeyTenant, kAccessKeyKind, a->info.key_id, doc).ok());
  EXPECT_EQ(open_store()->lookup(a->info.key_id).status().code(), Code::kCorruption);

  // Move the key to another account.
  doc = original;
  const size_t q = doc.find("123456789012");
  doc.replace(q, 12, "999999999999");
  ASSERT_TRUE(meta_->put(kKeyTenant, kAccessKeyKind, a->info.key_id, doc).ok());
  EXPECT_EQ(open_store()->lookup(a->info.key_id).status().code(), Code::kCorruption);

  // Copy a's record under b's key id.
  ASSERT_TRUE(meta_->put(kKeyTenant, kAccessKeyKind, b->info.key_id, original).ok());
  EXPECT_EQ(open_store()->lookup(b->info.key_id).status().code(), Code::kCorruption);

  // A different master key cannot read the records either.
  auto wrong = KeyStore::open(meta_.get(), std::string(kMasterKeyBytes, 'k'), &clock_);
  ASSERT_TRUE(meta_->put(kKeyTenant, kAccessKeyKind, a->info.key_id, original).ok());
  EXPECT_EQ((*wrong)->lookup(a->info.key_id).status().code(), Code::kCorruption);
  EXPECT_TRUE(open_store()->lookup(a->info.key_id).ok());
}

TEST_F(KeyStoreTest, DatabaseFilesDoNotHoldTheSecretInClear) {
  auto a = store_->create("123456789012", "");
  ASSERT_TRUE(a.ok());
  std::string bytes;
  for (const char* name : {"meta.db", "meta.db-wal"}) bytes += read_all(dir_.file(name));
  ASSERT_FALSE(bytes.empty());
  EXPECT_NE(bytes.find(a->info.key_id), std::string::npos);  // the id is stored in clear
  EXPECT_EQ(bytes.find(a->secret), std::string::npos);
  EXPECT_EQ(bytes.find(hex_encode(a->secret)), std::string::npos);
}

TEST_F(KeyStoreTest, MasterKeyFileIsPrivateAndStable) {
  struct stat st {};
  ASSERT_EQ(::stat(dir_.file("auth.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kMasterKeyBytes));
  auto again = load_or_create_master_key(dir_.file("auth.key"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, master_);
  dir_.write("short.key", "too short");
  EXPECT_EQ(load_or_create_master_key(dir_.file("short.key")).status().code(), Code::kCorruption);
  EXPECT_FALSE(load_or_create_master_key(dir_.file("no/such/dir/auth.key")).ok());
}

}  // namespace
}  // namespace opsight::auth
