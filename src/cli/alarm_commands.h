#pragma once
// `opsight alarm ...`: CloudWatch-style alarms on a running server through the native REST API
// (src/api/native/alarms_api.h; docs/alarms.md "REST API and CLI"):
//   put <file.json|-> [--composite]        PutMetricAlarm / PutCompositeAlarm document (a
//                                          document with "AlarmRule" is sent as composite)
//   describe [names...] [--prefix P] [--state S] [--json]
//                                          both alarm types; a table NAME STATE UPDATED REASON
//   history <name> [--type T] [--limit N] [--json]
//   set-state <name> <OK|ALARM|INSUFFICIENT_DATA> --reason TEXT [--reason-data JSON]
//   delete <names...> | enable <names...> | disable <names...>
//   target put <name> --type T --url URL [--routing-key K] [--header K=V]... [--timeout-ms N]
//   target list [--json] | target delete <name>
// An error answer exits 1 printing the server's code and message.

#include <CLI/CLI.hpp>
#include <string>

namespace opsight::cli {

// `server_url` is read when a command runs.
void add_alarm_commands(CLI::App& app, const std::string* server_url);

}  // namespace opsight::cli
