// The frame of the service's HTML pages for people: head, style sheet, security headers.
#include "browser_pages.hpp"

#include <string>

#include "sgaudit/service/api_support.hpp"

namespace sgaudit::service::pages {
namespace {

constexpr std::string_view kStyle =
    "body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 "
    "1rem;color:#1b1f24}"
    "header{display:flex;align-items:center;justify-content:space-between;gap:1rem;flex-wrap:wrap;"
    "border-bottom:1px solid #d0d7de;padding-bottom:.5rem}h1{margin:0;font-size:1.5rem}"
    "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.35rem .6rem;"
    "border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa}"
    ".n{text-align:right;font-variant-numeric:tabular-nums}.critical{color:#a40e26;font-weight:600}"
    ".high{color:#bc4c00;font-weight:600}.medium{color:#9a6700}.muted{color:#57606a}"
    "code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}form.inline{display:inline;margin:0}"
    "button{font:inherit;padding:.3rem .8rem;border:1px solid #8c959f;border-radius:6px;background:#f6f8fa;"
    "cursor:pointer}main.signin{max-width:28rem;margin:4rem auto}main.signin label{display:block;"
    "font-weight:600;margin:.8rem 0 .3rem}main.signin input[type=password]{width:100%;box-sizing:border-box;"
    "font:inherit;padding:.4rem;border:1px solid #8c959f;border-radius:6px}main.signin "
    "button{margin-top:.8rem}"
    ".error{color:#a40e26;background:#ffebe9;border:1px solid #ff818266;padding:.5rem "
    ".7rem;border-radius:6px}"
    ".schedules{display:grid;grid-template-columns:repeat(auto-fill,minmax(21rem,1fr));gap:1rem}"
    ".schedule{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}.schedule h3{margin:0 0 .3rem}"
    ".schedule p{margin:.2rem 0}svg.trend{display:block;margin:.4rem 0;background:#f6f8fa;border-radius:4px}"
    ".legend span{margin-right:.7rem;white-space:nowrap}";

}  // namespace

HttpResponse htmlPage(int status, std::string_view title, std::string_view body) {
  HttpResponse response;
  response.status = status;
  response.headers["Content-Type"] = "text/html; charset=utf-8";
  response.headers["Content-Security-Policy"] = std::string(kContentSecurityPolicy);
  response.headers["Cache-Control"] = "no-store";
  response.headers["Referrer-Policy"] = "same-origin";
  response.body =
      "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
      "<meta name=viewport content=\"width=device-width,initial-scale=1\"><title>" +
      escapeHtml(title) + "</title><style>" + std::string(kStyle) + "</style></head><body>\n" +
      std::string(body) + "</body></html>\n";
  return response;
}

}  // namespace sgaudit::service::pages
