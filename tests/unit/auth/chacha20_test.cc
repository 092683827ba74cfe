// ChaCha20 against RFC 8439 sections 2.3.2 (block function) and 2.4.2 (encryption).
#include "auth/chacha20.h"

#include <gtest/gtest.h>

#include <string>

#include "common/hex.h"

namespace opsight::auth {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  EXPECT_TRUE(hex_decode(h, &out));
  return out;
}

std::string rfc_key() {
  std::string k;
  for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
  return k;
}

TEST(ChaCha20Test, Rfc8439BlockFunction) {
  const auto block = chacha20_block(rfc_key(), unhex("000000090000004a00000000"), 1);
  EXPECT_EQ(hex_encode(std::string(block.begin(), block.end())),
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

TEST(ChaCha20Test, Rfc8439Encryption) {
  const std::string plaintext =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  const std::string nonce = unhex("000000000000004a00000000");
  const std::string ct = chacha20_xor(rfc_key(), nonce, 1, plaintext);
  EXPECT_EQ(hex_encode(ct),
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
            "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
            "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
            "5af90bbf74a35be6b40b8eedf2785e42874d");
  EXPECT_EQ(chacha20_xor(rfc_key(), nonce, 1, ct), plaintext);
}

}  // namespace
}  // namespace opsight::auth
