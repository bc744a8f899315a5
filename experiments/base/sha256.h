// SHA-256 (FIPS 180-4), for job keys and data fingerprints. Not for secrets: no constant-time care.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace attnsweep {

// Incremental hasher: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  // Finishes the hash; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string Sha256Hex(std::string_view bytes);

}  // namespace attnsweep
