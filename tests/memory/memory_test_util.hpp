#pragma once
// Helpers and models for the memory broker tests (shared with the core tests).
#include "support/models.hpp"

namespace memtest {
using fs_test::eventually;
using fs_test::ms_since;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;
using fs_test::silent;
}  // namespace memtest
