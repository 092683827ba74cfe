#include "server/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/self_metrics.h"
#include "common/version.h"

namespace opsight::server {
namespace {

// Fields of /proc/self/stat after the command name: utime (14), stime (15), vsize (23), rss (24).
bool read_stat(double* cpu_seconds, double* vsize, double* rss_bytes) {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 24 && in >> field; i++) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
    if (i == 23) *vsize = std::stod(field);
    if (i == 24) *rss_bytes = std::stod(field) * static_cast<double>(sysconf(_SC_PAGESIZE));
  }
  *cpu_seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return true;
}

double open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  double n = 0;
  while (readdir(d) != nullptr) n++;
  closedir(d);
  return n - 3;  // ".", "..", and the DIR's own fd
}

}  // namespace

void register_process_metrics() {
  auto& r = metrics::Registry::global();
  r.gauge_fn("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {},
             [] {
               double c = 0, v = 0, rss = 0;
               read_stat(&c, &v, &rss);
               return c;
             });
  r.gauge_fn("process_resident_memory_bytes", "Resident memory size in bytes.", {}, [] {
    double c = 0, v = 0, rss = 0;
    read_stat(&c, &v, &rss);
    return rss;
  });
  r.gauge_fn("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, [] {
    double c = 0, v = 0, rss = 0;
    read_stat(&c, &v, &rss);
    return v;
  });
  r.gauge_fn("process_open_fds", "Number of open file descriptors.", {}, open_fds);
  double start = static_cast<double>(Clock::real()->now_ms()) / 1000.0;
  r.gauge_fn("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             {}, [start] { return start; });
  r.gauge("opsight_build_info", "opsight build information",
          Labels{{"version", std::string(version())}})
      ->set(1);
}

}  // namespace opsight::server
