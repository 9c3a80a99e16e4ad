#include "generate_kubectl_pods.hpp"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgaudit::bench {
namespace {

using nlohmann::json;

// splitmix64: a fixed seed gives the same fleet on every machine.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int bound) { return static_cast<int>(next() % static_cast<std::uint64_t>(bound)); }
  std::string hex(int digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (int i = 0; i < digits; ++i)
      text += kDigits[below(16)];
    return text;
  }
  std::string uid() { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-8" + hex(3) + "-" + hex(12); }

 private:
  std::uint64_t state_;
};

const std::vector<std::string> kApps = {"api",   "web",      "worker", "ingress",
                                        "cache", "exporter", "auth",   "search"};
const std::vector<std::string> kNamespaces = {"default",    "shop",        "payments",
                                              "monitoring", "kube-system", "data"};

json container(Random& random, const std::string& name, int port, bool host_network) {
  json env = json::array();
  env.push_back({{"name", "POD_NAME"},
                 {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.name"}}}}}});
  env.push_back({{"name", "POD_NAMESPACE"},
                 {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}}});
  env.push_back({{"name", "LOG_LEVEL"}, {"value", random.below(2) ? "info" : "debug"}});
  env.push_back({{"name", "GOMAXPROCS"},
                 {"valueFrom", {{"resourceFieldRef", {{"divisor", "0"}, {"resource", "limits.cpu"}}}}}});
  json ports = json::array();
  json http = {{"containerPort", port}, {"name", "http"}, {"protocol", "TCP"}};
  if (host_network) http["hostPort"] = port;
  ports.push_back(http);
  ports.push_back({{"containerPort", 9100 + random.below(50)}, {"name", "metrics"}, {"protocol", "TCP"}});
  return {{"name", name},
          {"image", "registry.example.com/" + name + ":1." + std::to_string(random.below(40)) + "." +
                        std::to_string(random.below(10))},
          {"imagePullPolicy", "IfNotPresent"},
          {"env", env},
          {"ports", ports},
          {"resources",
           {{"limits", {{"cpu", std::to_string(1 + random.below(4))}, {"memory", "512Mi"}}},
            {"requests", {{"cpu", std::to_string(100 + random.below(400)) + "m"}, {"memory", "256Mi"}}}}},
          {"livenessProbe",
           {{"failureThreshold", 3},
            {"httpGet", {{"path", "/healthz"}, {"port", port}, {"scheme", "HTTP"}}},
            {"periodSeconds", 10},
            {"successThreshold", 1},
            {"timeoutSeconds", 1}}},
          {"terminationMessagePath", "/dev/termination-log"},
          {"terminationMessagePolicy", "File"},
          {"volumeMounts",
           {{{"mountPath", "/etc/" + name}, {"name", "config"}, {"readOnly", true}},
            {{"mountPath", "/var/run/secrets/kubernetes.io/serviceaccount"},
             {"name", "kube-api-access-" + random.hex(5)},
             {"readOnly", true}}}}};
}

json pod(Random& random, std::size_t index) {
  const std::string& app = kApps[static_cast<std::size_t>(random.below(static_cast<int>(kApps.size())))];
  const std::string& ns =
      kNamespaces[static_cast<std::size_t>(random.below(static_cast<int>(kNamespaces.size())))];
  const std::string hash = random.hex(9);
  const std::string name = app + "-" + hash + "-" + random.hex(5);
  const bool host_network = random.below(5) == 0;
  const int port = 8000 + random.below(1000);
  const std::string node =
      "10.1." + std::to_string(index % 200) + "." + std::to_string(10 + random.below(200));
  const std::string time = "2024-03-0" + std::to_string(1 + random.below(9)) +
                           "T10:" + std::to_string(10 + random.below(50)) + ":" +
                           std::to_string(10 + random.below(50)) + "Z";

  json managed_fields = json::array();
  managed_fields.push_back(
      {{"apiVersion", "v1"},
       {"fieldsType", "FieldsV1"},
       {"fieldsV1",
        {{"f:metadata",
          {{"f:generateName", json::object()},
           {"f:labels",
            {{".", json::object()}, {"f:app", json::object()}, {"f:pod-template-hash", json::object()}}},
           {"f:ownerReferences",
            {{".", json::object()}, {"k:{\"uid\":\"" + random.uid() + "\"}", json::object()}}}}},
         {"f:spec",
          {{"f:containers",
            {{"k:{\"name\":\"" + app + "\"}",
              {{".", json::object()}, {"f:env", json::object()}, {"f:image", json::object()}}}}},
           {"f:dnsPolicy", json::object()},
           {"f:volumes", {{".", json::object()}, {"k:{\"name\":\"config\"}", json::object()}}}}}}},
       {"manager", "kube-controller-manager"},
       {"operation", "Update"},
       {"time", time}});
  managed_fields.push_back(
      {{"apiVersion", "v1"},
       {"fieldsType", "FieldsV1"},
       {"fieldsV1",
        {{"f:status",
          {{"f:conditions",
            {{"k:{\"type\":\"Ready\"}", {{".", json::object()}, {"f:status", json::object()}}}}},
           {"f:containerStatuses", json::object()},
           {"f:hostIP", json::object()},
           {"f:phase", json::object()},
           {"f:podIP", json::object()}}}}},
       {"manager", "kubelet"},
       {"operation", "Update"},
       {"subresource", "status"},
       {"time", time}});

  json containers = json::array({container(random, app, port, host_network)});
  if (random.below(6) == 0) containers.push_back(container(random, "sidecar", port + 1, host_network));

  json spec = {
      {"containers", containers},
      {"dnsPolicy", host_network ? "ClusterFirstWithHostNet" : "ClusterFirst"},
      {"enableServiceLinks", true},
      {"nodeName", node},
      {"preemptionPolicy", "PreemptLowerPriority"},
      {"priority", 0},
      {"restartPolicy", "Always"},
      {"schedulerName", "default-scheduler"},
      {"securityContext", json::object()},
      {"serviceAccount", "default"},
      {"serviceAccountName", "default"},
      {"terminationGracePeriodSeconds", 30},
      {"tolerations",
       {{{"effect", "NoExecute"},
         {"key", "node.kubernetes.io/not-ready"},
         {"operator", "Exists"},
         {"tolerationSeconds", 300}},
        {{"effect", "NoExecute"},
         {"key", "node.kubernetes.io/unreachable"},
         {"operator", "Exists"},
         {"tolerationSeconds", 300}}}},
      {"volumes",
       {{{"configMap", {{"defaultMode", 420}, {"name", app + "-config"}}}, {"name", "config"}},
        {{"name", "kube-api-access-" + random.hex(5)},
         {"projected",
          {{"defaultMode", 420},
           {"sources",
            {{{"serviceAccountToken", {{"expirationSeconds", 3607}, {"path", "token"}}}},
             {{"configMap",
               {{"items", {{{"key", "ca.crt"}, {"path", "ca.crt"}}}}, {"name", "kube-root-ca.crt"}}}}}}}}}}}};
  if (host_network) spec["hostNetwork"] = true;
  if (random.below(4) == 0) {
    json term = {{"labelSelector", {{"matchLabels", {{"app", app}}}}},
                 {"topologyKey", "kubernetes.io/hostname"}};
    spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] =
        json::array({term});
  }

  const int restarts = random.below(10) == 0 ? random.below(40) : 0;
  json statuses = json::array();
  for (const auto& c : containers) {
    json state = restarts > 0 ? json{{"waiting",
                                      {{"message", "back-off 5m0s restarting failed container"},
                                       {"reason", "CrashLoopBackOff"}}}}
                              : json{{"running", {{"startedAt", time}}}};
    statuses.push_back(
        {{"containerID", "containerd://" + random.hex(64)},
         {"image", c["image"]},
         {"imageID", "registry.example.com/" + app + "@sha256:" + random.hex(64)},
         {"lastState",
          restarts > 0 ? json{{"terminated", {{"exitCode", 1}, {"reason", "Error"}}}} : json::object()},
         {"name", c["name"]},
         {"ready", restarts == 0},
         {"restartCount", restarts},
         {"started", restarts == 0},
         {"state", state}});
  }
  json conditions = json::array();
  for (const char* type : {"Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    conditions.push_back(
        {{"lastProbeTime", nullptr}, {"lastTransitionTime", time}, {"status", "True"}, {"type", type}});
  }
  const std::string pod_ip =
      host_network ? node
                   : "172.16." + std::to_string(random.below(250)) + "." + std::to_string(random.below(250));
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"annotations", {{"prometheus.io/scrape", "true"}, {"prometheus.io/port", std::to_string(port)}}},
        {"creationTimestamp", time},
        {"generateName", app + "-" + hash + "-"},
        {"labels",
         {{"app", app}, {"pod-template-hash", hash}, {"team", "team-" + std::to_string(random.below(20))}}},
        {"managedFields", managed_fields},
        {"name", name},
        {"namespace", ns},
        {"ownerReferences",
         {{{"apiVersion", "apps/v1"},
           {"blockOwnerDeletion", true},
           {"controller", true},
           {"kind", "ReplicaSet"},
           {"name", app + "-" + hash},
           {"uid", random.uid()}}}},
        {"resourceVersion", std::to_string(100000 + index)},
        {"uid", random.uid()}}},
      {"spec", spec},
      {"status",
       {{"conditions", conditions},
        {"containerStatuses", statuses},
        {"hostIP", node},
        {"phase", "Running"},
        {"podIP", pod_ip},
        {"podIPs", {{{"ip", pod_ip}}}},
        {"qosClass", "Burstable"},
        {"startTime", time}}}};
}

}  // namespace

void writeKubectlPods(std::ostream& out, std::size_t count, bool pretty) {
  Random random(0x5ea0d17ULL);
  // Compact, one item per line, as the API server sends it; or kubectl's layout (4-space indentation,
  // items at depth 2).
  out << (pretty ? "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
                 : "{\"apiVersion\":\"v1\",\"items\":[\n");
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string dumped = pod(random, i).dump(pretty ? 4 : -1);
    text.clear();
    if (pretty) {
      text += "        ";
      for (char c : dumped) {
        text += c;
        if (c == '\n') text += "        ";
      }
    } else {
      text = dumped;
    }
    if (i + 1 < count) text += ',';
    text += '\n';
    out << text;
  }
  out << (pretty ? "    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": "
                   "\"\"\n    }\n}\n"
                 : "],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n");
}

std::size_t writeKubectlPodsFile(const std::filesystem::path& file, std::size_t count, bool pretty) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    writeKubectlPods(out, count, pretty);
  }
  return static_cast<std::size_t>(std::filesystem::file_size(file));
}

}  // namespace sgaudit::bench
