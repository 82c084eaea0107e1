// SPDX-License-Identifier: MIT
#include "tls/certificate_info.hpp"

#include "tls/openssl_ptr.hpp"

#include <fmt/core.h>
#include <openssl/asn1.h>
#include <openssl/err.h>

namespace kmr::tls {
namespace {

using std::chrono::system_clock;

// The name as RFC 2253 text; its escaping of control characters keeps it on one line.
std::optional<std::string> name_text(const X509_NAME* name) {
  const bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return std::nullopt;
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  if (n < 0) return std::nullopt;
  return std::string(data, static_cast<std::size_t>(n));
}

// The bytes of the INTEGER as i2a_ASN1_INTEGER (what `openssl x509 -serial` calls)
// writes them, minus the "\\\n" it inserts every 35 bytes: serials stay on one line.
std::string serial_text(const ASN1_INTEGER* serial) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "";
  const unsigned char* bytes = ASN1_STRING_get0_data(serial);
  const int length = ASN1_STRING_length(serial);
  if (length <= 0) return out + "00";
  for (int i = 0; i < length; ++i) {
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0x0f];
  }
  return out;
}

// UTCTime and GeneralizedTime are both UTC (RFC 5280 §4.1.2.5): no time zone to apply.
std::optional<system_clock::time_point> time_point_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  using namespace std::chrono;
  const sys_days date = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                       day{static_cast<unsigned>(tm.tm_mday)};
  return system_clock::time_point(date) + hours(tm.tm_hour) + minutes(tm.tm_min) +
         seconds(tm.tm_sec);
}

std::string utc_text(system_clock::time_point t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(floor<seconds>(t - day));
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string count_of(long long n, const char* unit) {
  return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

// Whole days when at least one, else whole hours (both rounded down).
std::string span_text(std::chrono::seconds d) {
  const auto days = d / std::chrono::hours(24);
  if (days >= 1) return count_of(days, "day");
  return count_of(d / std::chrono::hours(1), "hour");
}

// "in 29 days" or "expired 3 days ago". A certificate is still valid at notAfter itself
// (RFC 5280 §4.1.2.5: the validity period includes both dates).
std::string relative_text(system_clock::time_point not_after, system_clock::time_point now) {
  using std::chrono::floor;
  using std::chrono::seconds;
  if (not_after >= now) return "in " + span_text(floor<seconds>(not_after - now));
  return "expired " + span_text(floor<seconds>(now - not_after)) + " ago";
}

}  // namespace

std::optional<certificate_summary> summarize(const X509* cert) {
  if (cert == nullptr) return std::nullopt;
  auto subject = name_text(X509_get_subject_name(cert));
  const auto not_after = time_point_of(X509_get0_notAfter(cert));
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (!subject || !not_after || serial == nullptr) {
    ERR_clear_error();  // a stale entry would be blamed on the next TLS call
    return std::nullopt;
  }
  return certificate_summary{std::move(*subject), serial_text(serial), *not_after};
}

std::optional<certificate_summary> summarize_context(SSL_CTX* ctx) {
  if (ctx == nullptr) return std::nullopt;
  return summarize(SSL_CTX_get0_certificate(ctx));
}

std::string describe(const certificate_summary& s, std::chrono::system_clock::time_point now) {
  return fmt::format("subject {}, serial {}, expires {} ({})", s.subject, s.serial,
                     utc_text(s.not_after), relative_text(s.not_after, now));
}

bool expires_within(const certificate_summary& s, std::chrono::seconds window,
                    std::chrono::system_clock::time_point now) {
  return s.not_after - now <= window;
}

std::string expiry_warning(const certificate_summary& s, const std::string& file,
                           std::chrono::system_clock::time_point now) {
  if (!expires_within(s, expiry_warning_window, now)) return {};
  const std::string when = relative_text(s.not_after, now);
  // "expires in 3 days" but "expired 2 days ago": relative_text brings its own verb.
  return fmt::format("certificate {} {}{} ({})", file, s.not_after >= now ? "expires " : "",
                     when, utc_text(s.not_after));
}

}  // namespace kmr::tls
