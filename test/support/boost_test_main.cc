// The main() of every test binary. Each test file names its module with
// BOOST_TEST_MODULE, which (with BOOST_TEST_NO_MAIN, set by this library)
// makes Boost.Test generate init_unit_test() there and leave main() to us.
//
// Under `bazel test`, the results also go to the JUnit file Bazel asks for
// (XML_OUTPUT_FILE), so that each test case is counted, not only each binary.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

bool init_unit_test();

int main(int argc, char* argv[]) {
  std::vector<char*> args(argv, argv + argc);
  bool has_logger = false;
  for (std::string_view arg : args) {
    if (arg.starts_with("--logger") || arg.starts_with("-f")) has_logger = true;
  }
  std::string logger;
  if (const char* xml = std::getenv("XML_OUTPUT_FILE");
      xml != nullptr && !has_logger) {
    logger = std::string("--logger=HRF,error,stdout:JUNIT,error,") + xml;
    args.push_back(logger.data());
  }
  return boost::unit_test::unit_test_main(
      &init_unit_test, static_cast<int>(args.size()), args.data());
}
