// SPDX-License-Identifier: MIT
// kaminaris: the tunnel's server side. All logic is in kmr_core.
#include "app/run.hpp"

int main(int argc, char** argv) { return kmr::app::run_program(kmr::opt::side::server, argc, argv); }
