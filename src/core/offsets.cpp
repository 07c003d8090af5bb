#include "core/offsets.hpp"

namespace faststream::core {

void ContiguousOffsets::delivered(std::uint64_t key, std::int64_t offset) {
  auto& k = keys_[key];
  if (!k.base) k.base = offset;  // nothing below the first delivery is ours to commit
  if (!k.floor || offset < *k.floor) k.floor = offset;  // a seek back delivers again
  k.offsets[offset] = false;
}

void ContiguousOffsets::settled(std::uint64_t key, std::int64_t offset) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  auto& k = it->second;
  auto o = k.offsets.find(offset);
  if (o == k.offsets.end()) return;
  o->second = true;
  // The floor moves over the settled prefix. Offsets may have gaps (compaction, transaction
  // markers): the next delivered offset counts, not offset + 1.
  while (!k.offsets.empty() && k.offsets.begin()->second) {
    k.floor = k.offsets.begin()->first + 1;
    k.offsets.erase(k.offsets.begin());
  }
}

std::optional<std::int64_t> ContiguousOffsets::committable(std::uint64_t key) const {
  auto it = keys_.find(key);
  if (it == keys_.end() || !it->second.floor) return std::nullopt;
  const auto& k = it->second;
  const std::int64_t done = k.committed.value_or(*k.base);
  if (*k.floor <= done) return std::nullopt;
  return k.floor;
}

void ContiguousOffsets::committed(std::uint64_t key, std::int64_t next_offset) {
  auto& k = keys_[key];
  k.committed = next_offset;
  if (!k.base) k.base = next_offset;
}

void ContiguousOffsets::forget(std::uint64_t key) {
  keys_.erase(key);
}

std::size_t ContiguousOffsets::outstanding(std::uint64_t key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? 0 : it->second.offsets.size();
}

}  // namespace faststream::core
