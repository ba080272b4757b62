#pragma once
// Tests that cannot run here (no root, no data, no device) say so: test::skip(reason)
// marks the running test case skipped, and the suites' reporter (case_tap.cc) reports it
// as "ok N - name # SKIP reason" to Meson's TAP parser instead of a pass. A case that
// skips returns at once: `if (!have_it) return test::skip("needs X");`.

#include <string>

namespace test {

void skip(const std::string& reason);
// The reason the current (or just ended) case gave, or empty; consumed by the reporter.
std::string take_skip(const std::string& test_name);
// A case the runner leaves out on purpose (a known difference), reported as skipped.
void note_not_run(const std::string& test_name, const std::string& reason);

}  // namespace test
