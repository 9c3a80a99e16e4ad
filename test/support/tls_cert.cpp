#include "support/tls_cert.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace sgaudit::test {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void check(bool ok, const char* step) {
  if (!ok) throw std::runtime_error(std::string("making a test certificate failed at ") + step);
}

void writePem(const std::filesystem::path& path, const auto& write) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  check(file != nullptr, "opening the output file");
  const bool ok = write(file);
  std::fclose(file);
  check(ok, "writing PEM");
}

}  // namespace

namespace {

KeyPtr readKey(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  check(file != nullptr, "opening the key");
  KeyPtr key(PEM_read_PrivateKey(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  check(key != nullptr, "reading the key");
  return key;
}

CertPtr readCertificate(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  check(file != nullptr, "opening the certificate");
  CertPtr certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  check(certificate != nullptr, "reading the certificate");
  return certificate;
}

void addExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  check(extension != nullptr, "an extension");
  X509_add_ext(certificate, extension.get(), -1);
}

// A certificate for `key` named `common_name` (and `organization`), valid from an hour ago for 30 days.
CertPtr newCertificate(EVP_PKEY* key, const std::string& common_name, const std::string& organization) {
  CertPtr certificate(X509_new());
  check(certificate != nullptr, "X509_new");
  X509_set_version(certificate.get(), 2);
  static long serial = 1000;
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 30L * 86400);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  if (!organization.empty())
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(organization.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return certificate;
}

CertificateFiles writeFiles(const std::filesystem::path& folder, const std::string& stem, X509* certificate,
                            EVP_PKEY* key) {
  CertificateFiles files{folder / (stem + ".crt"), folder / (stem + ".key")};
  writePem(files.certificate, [&](std::FILE* f) { return PEM_write_X509(f, certificate) == 1; });
  writePem(files.private_key, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  return files;
}

}  // namespace

CertificateFiles writeSelfSignedCertificate(const std::filesystem::path& folder, const std::string& stem,
                                            const std::string& common_name, int days_valid) {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "generating the key");
  CertPtr certificate(X509_new());
  check(certificate != nullptr, "X509_new");
  X509_set_version(certificate.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial++);
  const long seconds = static_cast<long>(days_valid) * 86400;
  // An expired certificate is made valid until `days_valid` ago (and from a day before that).
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), seconds < 0 ? seconds - 86400 : -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), seconds);
  X509_set_pubkey(certificate.get(), key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
  ExtPtr san(X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "IP:127.0.0.1"));
  check(san != nullptr, "subjectAltName");
  X509_add_ext(certificate.get(), san.get(), -1);
  check(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0, "signing");

  return writeFiles(folder, stem, certificate.get(), key.get());
}

CertificateFiles writeCertificateAuthority(const std::filesystem::path& folder, const std::string& stem,
                                           const std::string& common_name) {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "generating the key");
  CertPtr certificate = newCertificate(key.get(), common_name, "");
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
  addExtension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(certificate.get(), certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0, "signing");
  return writeFiles(folder, stem, certificate.get(), key.get());
}

CertificateFiles writeIssuedCertificate(const std::filesystem::path& folder, const std::string& stem,
                                        const std::string& common_name, const std::string& organization,
                                        const CertificateFiles& authority, bool server) {
  KeyPtr issuer_key = readKey(authority.private_key);
  CertPtr issuer = readCertificate(authority.certificate);
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "generating the key");
  CertPtr certificate = newCertificate(key.get(), common_name, organization);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer.get()));
  addExtension(certificate.get(), issuer.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExtension(certificate.get(), issuer.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExtension(certificate.get(), issuer.get(), NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
  if (server)
    addExtension(certificate.get(), issuer.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  check(X509_sign(certificate.get(), issuer_key.get(), EVP_sha256()) > 0, "signing");
  return writeFiles(folder, stem, certificate.get(), key.get());
}

std::string certificateCommonName(const std::filesystem::path& path) {
  const CertPtr certificate = readCertificate(path);
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName, buffer, sizeof buffer);
  return buffer;
}

}  // namespace sgaudit::test
