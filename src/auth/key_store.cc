// Access keys in the meta store, secrets encrypted at rest; see key_store.h.
#include "auth/key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "auth/access_key.h"
#include "auth/chacha20.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "common/sha256.h"

namespace opsight::auth {
namespace {

constexpr int kRecordVersion = 1;
constexpr std::string_view kEncLabel = "opsight access-key secret encryption v1";
constexpr std::string_view kMacLabel = "opsight access-key secret mac v1";

// A flat JSON object of strings and integers: the only shape this file writes. Values are kept
// as text (strings unescaped).
Result<std::map<std::string, std::string>> parse_flat_json(std::string_view s) {
  const Status bad = Status::corruption("access key record is not the expected JSON object");
  std::map<std::string, std::string> out;
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  };
  auto string = [&](std::string* v) -> bool {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] != '\\') {
        v->push_back(s[i++]);
        continue;
      }
      if (++i >= s.size()) return false;
      const char e = s[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          v->push_back(e);
          break;
        case 'b':
          v->push_back('\b');
          break;
        case 'f':
          v->push_back('\f');
          break;
        case 'n':
          v->push_back('\n');
          break;
        case 'r':
          v->push_back('\r');
          break;
        case 't':
          v->push_back('\t');
          break;
        case 'u': {
          if (i + 4 > s.size()) return false;
          std::string bytes;
          if (!hex_decode(s.substr(i, 4), &bytes)) return false;
          i += 4;
          uint32_t cp = (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
          if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u' &&
              hex_decode(s.substr(i + 2, 4), &bytes)) {
            const uint32_t lo =
                (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
            if (lo >= 0xdc00 && lo < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          // UTF-8 encode.
          if (cp < 0x80) {
            v->push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            v->push_back(static_cast<char>(0xc0 | (cp >> 6)));
            v->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          } else if (cp < 0x10000) {
            v->push_back(static_cast<char>(0xe0 | (cp >> 12)));
            v->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            v->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          } else {
            v->push_back(static_cast<char>(0xf0 | (cp >> 18)));
            v->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
            v->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            v->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          }
          break;
        }
        default:
          return false;
      }
    }
    if (i >= s.size()) return false;
    ++i;
    return true;
  };
  ws();
  if (i >= s.size() || s[i++] != '{') return bad;
  ws();
  if (i < s.size() && s[i] == '}') return out;
  while (true) {
    ws();
    std::string key, value;
    if (!string(&key)) return bad;
    ws();
    if (i >= s.size() || s[i++] != ':') return bad;
    ws();
    if (i < s.size() && s[i] == '"') {
      if (!string(&value)) return bad;
    } else {
      while (i < s.size() && (s[i] == '-' || (s[i] >= '0' && s[i] <= '9'))) value.push_back(s[i++]);
      if (value.empty()) return bad;
    }
    out[key] = std::move(value);
    ws();
    if (i >= s.size()) return bad;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] == '}') return out;
    return bad;
  }
}

std::string mac_input(std::string_view key_id, std::string_view account, std::string_view nonce,
                      std::string_view ciphertext) {
  // Length-prefixed fields, so no two different tuples give the same input.
  std::string m = fmt::format("v{}", kRecordVersion);
  for (std::string_view f : {key_id, account, nonce, ciphertext}) {
    m += fmt::format("|{}:", f.size());
    m += f;
  }
  return m;
}

struct Record {
  AccessKeyInfo info;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes
  std::string mac;         // raw bytes
};

Result<Record> decode_record(std::string_view key_id, std::string_view doc) {
  ASSIGN_OR_RETURN(auto fields, parse_flat_json(doc));
  Record r;
  r.info.key_id = std::string(key_id);
  r.info.account = fields["account"];
  const std::string& status = fields["status"];
  if (status == "Active") {
    r.info.status = KeyStatus::kActive;
  } else if (status == "Inactive") {
    r.info.status = KeyStatus::kInactive;
  } else {
    return Status::corruption(fmt::format("access key {}: unknown status", key_id));
  }
  r.info.description = fields["description"];
  r.info.created_ms = std::strtoll(fields["created_ms"].c_str(), nullptr, 10);
  if (fields["v"] != std::to_string(kRecordVersion) || !hex_decode(fields["nonce"], &r.nonce) ||
      !hex_decode(fields["ciphertext"], &r.ciphertext) || !hex_decode(fields["mac"], &r.mac) ||
      r.nonce.size() != kChaCha20NonceBytes) {
    return Status::corruption(fmt::format("access key {}: malformed record", key_id));
  }
  return r;
}

std::string encode_record(const Record& r) {
  json::Writer w;
  w.begin_object();
  w.kv("v", kRecordVersion);
  w.kv("account", r.info.account);
  w.kv("status", key_status_name(r.info.status));
  w.kv("description", r.info.description);
  w.kv("created_ms", r.info.created_ms);
  w.kv("nonce", hex_encode(r.nonce));
  w.kv("ciphertext", hex_encode(r.ciphertext));
  w.kv("mac", hex_encode(r.mac));
  w.end_object();
  return w.take();
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io_error(fmt::format("write: {}", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

Result<std::string> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(errno == ENOENT ? Code::kNotFound : Code::kIOError,
                  fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  std::string buf(kMasterKeyBytes + 1, '\0');
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != kMasterKeyBytes) {
    return Status::corruption(fmt::format(
        "{} must hold exactly {} bytes (the master key that encrypts access-key secrets); it "
        "has {}",
        path, kMasterKeyBytes, got));
  }
  buf.resize(kMasterKeyBytes);
  return buf;
}

}  // namespace

std::string_view key_status_name(KeyStatus s) {
  return s == KeyStatus::kActive ? "Active" : "Inactive";
}

Result<std::string> load_or_create_master_key(const std::string& path) {
  auto existing = read_key_file(path);
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;
  ASSIGN_OR_RETURN(std::string key, random_bytes(kMasterKeyBytes));
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::io_error(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  }
  Status st = write_all(fd, key);
  if (st.ok() && ::fsync(fd) != 0) st = Status::io_error(fmt::format("fsync {}", tmp));
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  // link() fails with EEXIST when another process created the key first: use theirs.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && link_errno != EEXIST) {
    return Status::io_error(fmt::format("cannot create {}: {}", path, std::strerror(link_errno)));
  }
  return read_key_file(path);
}

KeyStore::KeyStore(storage::meta::MetaStore* meta, std::string enc_key, std::string mac_key,
                   Clock* clock, int64_t cache_ttl_ms)
    : meta_(meta),
      enc_key_(std::move(enc_key)),
      mac_key_(std::move(mac_key)),
      clock_(clock),
      cache_ttl_ms_(cache_ttl_ms) {}

Result<std::unique_ptr<KeyStore>> KeyStore::open(storage::meta::MetaStore* meta,
                                                 std::string_view master_key, Clock* clock,
                                                 int64_t cache_ttl_ms) {
  if (master_key.size() != kMasterKeyBytes) {
    return Status::invalid_argument(
        fmt::format("the access-key master key must be {} bytes", kMasterKeyBytes));
  }
  // Separate keys for encryption and MAC, derived with HMAC under distinct labels.
  std::string enc = digest_bytes(hmac_sha256(master_key, kEncLabel));
  std::string mac = digest_bytes(hmac_sha256(master_key, kMacLabel));
  return std::unique_ptr<KeyStore>(
      new KeyStore(meta, std::move(enc), std::move(mac), clock, cache_ttl_ms));
}

Result<CreatedKey> KeyStore::create(std::string_view account, std::string_view description) {
  RETURN_IF_ERROR(validate_account_id(account));
  if (description.size() > kMaxKeyDescriptionBytes) {
    return Status::invalid_argument(
        fmt::format("description is at most {} bytes", kMaxKeyDescriptionBytes));
  }
  for (int attempt = 0;; ++attempt) {
    CreatedKey created;
    ASSIGN_OR_RETURN(created.info.key_id, new_access_key_id());
    ASSIGN_OR_RETURN(created.secret, new_secret_key());
    created.info.account = std::string(account);
    created.info.description = std::string(description);
    created.info.created_ms = clock_->now_ms();
    Record r;
    r.info = created.info;
    ASSIGN_OR_RETURN(r.nonce, random_bytes(kChaCha20NonceBytes));
    r.ciphertext = chacha20_xor(enc_key_, r.nonce, 1, created.secret);
    r.mac = digest_bytes(
        hmac_sha256(mac_key_, mac_input(r.info.key_id, r.info.account, r.nonce, r.ciphertext)));
    auto put = meta_->put(kKeyTenant, kAccessKeyKind, r.info.key_id, encode_record(r), 0);
    if (put.ok()) return created;
    // A key id collision (2^80 ids) is retried; anything else is the caller's problem.
    if (put.status().code() != Code::kAlreadyExists || attempt >= 3) return put.status();
  }
}

Result<std::vector<AccessKeyInfo>> KeyStore::list(std::optional<std::string_view> account) {
  ASSIGN_OR_RETURN(auto objects, meta_->list(kKeyTenant, kAccessKeyKind));
  std::vector<AccessKeyInfo> out;
  for (const auto& o : objects) {
    ASSIGN_OR_RETURN(Record r, decode_record(o.name, o.doc));
    if (account && r.info.account != *account) continue;
    out.push_back(std::move(r.info));
  }
  return out;
}

Status KeyStore::set_status(std::string_view key_id, KeyStatus status) {
  forget(key_id);
  for (int attempt = 0;; ++attempt) {
    auto obj = meta_->get(kKeyTenant, kAccessKeyKind, key_id);
    if (!obj.ok()) {
      if (obj.status().code() == Code::kNotFound) {
        return Status::not_found(fmt::format("access key {} does not exist", key_id));
      }
      return obj.status();
    }
    ASSIGN_OR_RETURN(Record r, decode_record(key_id, obj->doc));
    r.info.status = status;
    auto put = meta_->put(kKeyTenant, kAccessKeyKind, key_id, encode_record(r), obj->version);
    if (put.ok() || put.status().code() != Code::kFailedPrecondition || attempt >= 3) {
      forget(key_id);
      return put.status();
    }
  }
}

Status KeyStore::remove(std::string_view key_id) {
  forget(key_id);
  auto r = meta_->remove(kKeyTenant, kAccessKeyKind, key_id);
  forget(key_id);
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    return Status::not_found(fmt::format("access key {} does not exist", key_id));
  }
  return r.status();
}

void KeyStore::forget(std::string_view key_id) {
  std::lock_guard lock(mu_);
  cache_.erase(std::string(key_id));
}

Result<ResolvedKey> KeyStore::lookup(std::string_view key_id) {
  const int64_t now = clock_->now_ms();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(std::string(key_id));
    if (it != cache_.end()) {
      if (it->second.expires_ms > now) return it->second.key;
      cache_.erase(it);
    }
  }
  const Status unknown = Status::not_found("unknown or inactive access key");
  if (!validate_access_key_id(key_id).ok()) return unknown;
  auto obj = meta_->get(kKeyTenant, kAccessKeyKind, key_id);
  if (!obj.ok()) return obj.status().code() == Code::kNotFound ? unknown : obj.status();
  ASSIGN_OR_RETURN(Record r, decode_record(key_id, obj->doc));
  const std::string want =
      digest_bytes(hmac_sha256(mac_key_, mac_input(key_id, r.info.account, r.nonce, r.ciphertext)));
  if (!constant_time_equal(want, r.mac)) {
    return Status::corruption(fmt::format(
        "access key {}: the stored secret failed its integrity check (altered record, or "
        "a different auth.key)",
        key_id));
  }
  if (r.info.status != KeyStatus::kActive) return unknown;
  ResolvedKey key{r.info.account, chacha20_xor(enc_key_, r.nonce, 1, r.ciphertext)};
  {
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxKeyCacheEntries) cache_.clear();
    cache_[std::string(key_id)] = CacheEntry{key, now + cache_ttl_ms_};
  }
  return key;
}

KeyResolver KeyStore::resolver() {
  return [this](std::string_view key_id) { return lookup(key_id); };
}

}  // namespace opsight::auth
