// The suites' Catch2 reporter: one TAP line per test case, for Meson's `protocol: 'tap'`,
// so that Meson counts passes, failures and skips (test::skip) case by case. Failed
// assertions, warnings and the messages with them are TAP comments.

#define CATCH_CONFIG_EXTERNAL_INTERFACES  // the reporter base classes
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>

#include "skip.h"

namespace test {
namespace {
std::mutex g_skip_lock;
std::map<std::string, std::string>& skips() {
  static std::map<std::string, std::string> m;
  return m;
}
std::map<std::string, std::string>& not_run() {
  static std::map<std::string, std::string> m;
  return m;
}
}  // namespace

void skip(const std::string& reason) {
  const std::string name = Catch::getResultCapture().getCurrentTestName();
  std::lock_guard<std::mutex> g(g_skip_lock);
  skips()[name] = reason.empty() ? "skipped" : reason;
}

std::string take_skip(const std::string& test_name) {
  std::lock_guard<std::mutex> g(g_skip_lock);
  auto it = skips().find(test_name);
  if (it == skips().end()) return {};
  std::string r = it->second;
  skips().erase(it);
  return r;
}

void note_not_run(const std::string& test_name, const std::string& reason) {
  std::lock_guard<std::mutex> g(g_skip_lock);
  not_run()[test_name] = reason;
}

}  // namespace test

namespace {

// One line of TAP text: no newlines (they would start new TAP lines) and no '#' in a
// description, where it would start a directive.
std::string one_line(std::string s, bool description) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (description && c == '#') c = '_';
  }
  return s;
}

struct CaseTapReporter : Catch::StreamingReporterBase<CaseTapReporter> {
  explicit CaseTapReporter(const Catch::ReporterConfig& config) : StreamingReporterBase(config) {
    m_reporterPrefs.shouldReportAllAssertions = false;
  }
  static std::string getDescription() { return "One TAP line per test case, with skips (test::skip)"; }

  void noMatchingTestCases(const std::string& spec) override { stream << "# no test case matches " << spec << "\n"; }
  void assertionStarting(const Catch::AssertionInfo&) override {}
  // Before each case: should the process die in it, the log says where.
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    stream << "# case: " << one_line(info.name, false) << "\n";
    stream.flush();
    StreamingReporterBase::testCaseStarting(info);
  }

  bool assertionEnded(const Catch::AssertionStats& s) override {
    const Catch::AssertionResult& r = s.assertionResult;
    if (r.isOk() && r.getResultType() != Catch::ResultWas::Warning) return true;
    const bool warning = r.getResultType() == Catch::ResultWas::Warning;
    stream << "# " << r.getSourceInfo() << ": " << (warning ? "warning" : "FAILED");
    if (r.hasExpression()) {
      stream << ": " << one_line(r.getExpressionInMacro(), false);
      if (r.hasExpandedExpression()) stream << " with expansion: " << one_line(r.getExpandedExpression(), false);
    }
    if (r.hasMessage()) stream << ": " << one_line(r.getMessage(), false);
    stream << "\n";
    for (const auto& m : s.infoMessages)
      if (m.message != r.getMessage()) stream << "#   with " << one_line(m.message, false) << "\n";
    stream.flush();
    return true;
  }

  void testCaseEnded(const Catch::TestCaseStats& s) override {
    ++m_count;
    const std::string name = one_line(s.testInfo.name, true);
    const std::string why = test::take_skip(s.testInfo.name);
    if (s.totals.assertions.failed > 0) {
      stream << "not ok " << m_count << " - " << name << "\n";
    } else if (!why.empty()) {
      stream << "ok " << m_count << " - " << name << " # SKIP " << one_line(why, false) << "\n";
    } else {
      stream << "ok " << m_count << " - " << name << "\n";
    }
    stream.flush();
    StreamingReporterBase::testCaseEnded(s);
  }

  void testRunEnded(const Catch::TestRunStats& s) override {
    for (const auto& [name, why] : test::not_run())
      stream << "ok " << ++m_count << " - " << one_line(name, true) << " # SKIP not run: " << one_line(why, false) << "\n";
    stream << "1.." << m_count << "\n";
    stream << "# " << s.totals.testCases.passed << " passed, " << s.totals.testCases.failed << " failed, "
           << s.totals.assertions.total() << " assertions\n";
    stream.flush();
    StreamingReporterBase::testRunEnded(s);
  }

  size_t m_count = 0;
};

}  // namespace

CATCH_REGISTER_REPORTER("case-tap", CaseTapReporter)
