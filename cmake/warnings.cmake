# SPDX-License-Identifier: MIT
# Project-wide warnings; third-party headers come in as SYSTEM and stay quiet.
function(kmr_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor
                                           # GCC 12 misreads Asio's coroutine frame allocator (a false positive).
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
endfunction()
