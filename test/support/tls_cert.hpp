#pragma once

#include <filesystem>
#include <string>

namespace sgaudit::test {

struct CertificateFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM, unencrypted
};

// A self-signed certificate for 127.0.0.1 (subject alternative name IP:127.0.0.1) with an EC P-256 key,
// made with OpenSSL at test time, so no key material lives in the repository and nothing expires.
// `common_name` tells certificates apart; `days_valid` may be negative for one that has expired.
CertificateFiles writeSelfSignedCertificate(const std::filesystem::path& folder, const std::string& stem,
                                            const std::string& common_name, int days_valid = 30);

// A certificate authority made at test time (self-signed, basicConstraints CA:TRUE), and certificates it
// issues: for a server (subjectAltName IP:127.0.0.1 and DNS:localhost, serverAuth) or a client (serverAuth
// absent, clientAuth; `organization` is the Kubernetes group, "system:masters").
CertificateFiles writeCertificateAuthority(const std::filesystem::path& folder, const std::string& stem,
                                           const std::string& common_name);
CertificateFiles writeIssuedCertificate(const std::filesystem::path& folder, const std::string& stem,
                                        const std::string& common_name, const std::string& organization,
                                        const CertificateFiles& authority, bool server);

// The common name of the certificate in a PEM file.
std::string certificateCommonName(const std::filesystem::path& certificate);

}  // namespace sgaudit::test
