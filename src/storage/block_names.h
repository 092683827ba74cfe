#pragma once
// Names of block files and directories in every engine: the block id as 16 lower-case hex digits
// followed by a suffix ("" for the tsdb's block directories, ".block" for log blocks, ".tblock"
// for trace blocks). Ids are allocated in increasing order, so names sort like ids.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace opsight::storage {

std::string block_name(uint64_t id, std::string_view suffix);
// False unless `name` is exactly 16 lower-case hex digits followed by `suffix`.
bool parse_block_name(std::string_view name, std::string_view suffix, uint64_t* id);

}  // namespace opsight::storage
