#pragma once
// What the client commands share to talk to a running server: one call with the server's error
// message on failure, JSON parsing of the answer, and exiting with a clear message.
//
// Thread safety: functions of the one-threaded CLI; fail() exits the process.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace opsight::cli {

// Prints "opsight: <msg>" to stderr and exits 1.
[[noreturn]] void fail(const std::string& msg);

// Calls the server (a JSON body when not empty). On a non-2xx answer exits 1 with
// "<code>: <message>" from the error body, or the status and body when it has no such fields.
std::string call_server(const std::string& method, const std::string& url,
                        const std::string& body = "");

// Parses an answer; exits when it is not JSON.
simdjson::dom::element parse_answer(simdjson::dom::parser& parser, const std::string& body);

// A member as text: strings as they are, other values as compact JSON, "" when absent.
std::string json_field(simdjson::dom::element obj, std::string_view key);

// Left-aligned columns separated by two spaces; the last column is not padded.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// "2024-01-02 03:04:05" (UTC) of Unix ms; "-" for 0.
std::string format_time_ms(int64_t ms);

}  // namespace opsight::cli
