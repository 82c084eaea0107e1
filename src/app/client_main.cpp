// SPDX-License-Identifier: MIT
// kaminaric: the tunnel's client side. All logic is in kmr_core.
#include "app/run.hpp"

int main(int argc, char** argv) { return kmr::app::run_program(kmr::opt::side::client, argc, argv); }
