// libFuzzer target: an AWS Query API answer (EC2's XML, STS's), which `sgaudit collect aws` reads from an
// endpoint it does not control (AWS_ENDPOINT_URL may name any server). Any bytes must convert for each EC2
// action, or give an error that says why, promptly and without touching memory they do not own.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "sgaudit/collect/aws_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const std::string_view action : sgaudit::collect::ec2ConvertibleActions()) {
    const auto converted = sgaudit::collect::ec2ResponseToJson(action, text);
    if (const auto* error = std::get_if<std::string>(&converted); error != nullptr && error->empty())
      __builtin_trap();
  }
  (void)sgaudit::collect::parseAwsXmlError(text);
  (void)sgaudit::collect::xmlLeaves(text, "AssumeRoleWithWebIdentityResponse",
                                    {"AssumeRoleWithWebIdentityResult", "Credentials"});
  (void)sgaudit::collect::cliTimestamp(text);
  return 0;
}
