#pragma once

// Where `sgaudit collect huawei` finds its keys, project and endpoints, the way Huawei Cloud's SDKs find
// them (huaweicloud-sdk-go-v3 core/auth/provider and core/region):
// - keys: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary
//   ones) and HUAWEICLOUD_SDK_PROJECT_ID; else the [basic] section of the credentials file
//   ($HUAWEICLOUD_SDK_CREDENTIALS_FILE, or ~/.huaweicloud/credentials) with its ak, sk, security_token and
//   project_id. The project id comes from --project-id, else from where the keys came from.
// - region: --region, else $HUAWEICLOUD_SDK_REGION; none is an error.
// - endpoints: https://<service>.<region>.myhuaweicloud.com, or the SDKs' override
//   HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> (region upper-cased, '-' as '_'; the first of a comma-separated
//   list).
// Messages name variables and files, never what they hold.

#include <string>
#include <string_view>
#include <variant>

#include "sgaudit/collect/aws_credentials.hpp"  // AwsEnvironment: the process's variables and home
#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/collect/huawei_signer.hpp"

namespace sgaudit::collect {

struct ResolvedHuaweiCredentials {
  HuaweiCredentials credentials;
  std::string project_id;
  // "the environment (HUAWEICLOUD_SDK_AK)", "[basic] of /root/.huaweicloud/credentials".
  std::string source;
};

// `project_id` is --project-id ("" : from where the keys came from).
std::variant<ResolvedHuaweiCredentials, std::string> resolveHuaweiCredentials(
    const AwsEnvironment& environment, const std::string& project_id);

struct HuaweiRegion {
  std::string name;
  std::string source;  // "--region", "HUAWEICLOUD_SDK_REGION"
};
std::variant<HuaweiRegion, std::string> resolveHuaweiRegion(const std::string& cli_region,
                                                            const AwsEnvironment& environment);

// The name of the variable that overrides `service`'s endpoint in `region`:
// ("VPC", "cn-north-4") -> HUAWEICLOUD_SDK_REGION_VPC_CN_NORTH_4.
std::string huaweiEndpointVariable(std::string_view service, std::string_view region);

// `service` ("vpc", "ecs", "cce")'s endpoint in `region`, or why the override is not a URL.
std::variant<Url, std::string> huaweiServiceEndpoint(const AwsEnvironment& environment,
                                                     std::string_view service, std::string_view region);

}  // namespace sgaudit::collect
