# SPDX-License-Identifier: MIT
# KMR_SANITIZE=ON builds everything with ASan + UBSan; any report fails the test run.
if(KMR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(KMR_SANITIZE)
  # Lets tests relax figures that sanitizers legitimately slow down (e.g. exit time,
  # which includes LeakSanitizer's scan).
  add_compile_definitions(KMR_SANITIZED=1)
endif()
