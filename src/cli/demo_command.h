#pragma once
// `opsight demo`: a simulated microservice shop that sends traces, metrics and logs to a running
// opsight over OTLP/HTTP, with injectable faults written down as ground truth (demo/runner.h,
// demo/faults.h; docs/demo.md).

#include <CLI/CLI.hpp>

namespace opsight::cli {

void add_demo_command(CLI::App& app);

}  // namespace opsight::cli
