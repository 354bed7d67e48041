// A field of a payload's bytes, as the gate laid it out (x86-64, little-endian):
//
//   const uint32_t events = payload_field<uint32_t>(payload.bytes, 0);
//
// The caller has checked that offset + sizeof(T) is within bytes. Pure.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace sysgate::trace {

template <typename T>
T payload_field(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

}  // namespace sysgate::trace
