#pragma once

// Where `sgaudit collect openstack` finds its cloud, as openstacksdk (os-client-config) and the openstack CLI
// find it: clouds.yaml from $OS_CLIENT_CONFIG_FILE, then ./clouds.yaml, ~/.config/openstack/clouds.yaml and
// /etc/openstack/clouds.yaml (the first that exists), with secure.yaml from the same places merged into it;
// the cloud named by --cloud, else $OS_CLOUD; with neither, the OS_* variables. Passwords and secrets are
// kept for the request that needs them and never put into a message.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sgaudit::collect {

struct OpenStackAuth {
  std::string auth_type;  // "password", "v3applicationcredential" ("" : inferred from what is given)
  std::string auth_url;
  std::string username;
  std::string user_id;
  std::string password;
  std::string user_domain_name;
  std::string user_domain_id;
  std::string project_name;
  std::string project_id;
  std::string project_domain_name;
  std::string project_domain_id;
  std::string application_credential_id;
  std::string application_credential_name;
  std::string application_credential_secret;
};

struct OpenStackCloud {
  OpenStackAuth auth;
  std::string region_name;           // "" : the first endpoint of the interface, whatever its region
  std::string interface = "public";  // public, internal or admin
  std::string cacert;                // a CA bundle file ("" : the system's)
  bool verify = true;
  std::string
      source;  // for messages: "cloud prod in /home/me/.config/openstack/clouds.yaml", "OS_* variables"
};

// The process's environment, or a test's.
struct OpenStackEnvironment {
  std::map<std::string, std::string> variables;
  std::filesystem::path home;
  std::filesystem::path cwd;
  std::filesystem::path system_dir = "/etc/openstack";

  static OpenStackEnvironment fromProcess();
  // The variable's value, "" when unset.
  std::string get(const std::string& name) const;
};

// The places clouds.yaml (or secure.yaml: `file` names which) is looked for, in order.
std::vector<std::filesystem::path> openStackConfigCandidates(const OpenStackEnvironment& environment,
                                                             const std::string& file);

// The cloud to collect: `cloud_name` (--cloud) or $OS_CLOUD from clouds.yaml, else the OS_* variables;
// `region` (when not empty) overrides the region. The error names the file and what is missing.
std::variant<OpenStackCloud, std::string> resolveOpenStackCloud(const std::string& cloud_name,
                                                                const std::string& region,
                                                                const OpenStackEnvironment& environment);

}  // namespace sgaudit::collect
