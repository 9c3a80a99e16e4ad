#pragma once

// The handlers behind the route table (service/src/router.cpp), by resource.

#include "sgaudit/service/api.hpp"

namespace sgaudit::service::handlers {

HttpResponse healthz(const ApiRequest& request);
HttpResponse readyz(const ApiRequest& request);
HttpResponse version(const ApiRequest& request);
HttpResponse metrics(const ApiRequest& request);
HttpResponse openapi(const ApiRequest& request);
HttpResponse indexPage(const ApiRequest& request);

// A browser's pages: sign-in and sign-out (handlers_signin.cpp), and the dashboard that `/` shows a request
// preferring HTML (handlers_dashboard.cpp).
HttpResponse signinPage(const ApiRequest& request);
HttpResponse postSignin(const ApiRequest& request);
HttpResponse postSignout(const ApiRequest& request);
HttpResponse dashboardPage(const ApiRequest& request);

HttpResponse listClusters(const ApiRequest& request);
HttpResponse getCluster(const ApiRequest& request);
HttpResponse postClusterInput(const ApiRequest& request);
HttpResponse listAccounts(const ApiRequest& request);
HttpResponse getAccount(const ApiRequest& request);
HttpResponse postAccountInput(const ApiRequest& request);
HttpResponse putClusterSource(const ApiRequest& request);
HttpResponse deleteClusterSource(const ApiRequest& request);
HttpResponse postClusterCollect(const ApiRequest& request);
HttpResponse putAccountSource(const ApiRequest& request);
HttpResponse deleteAccountSource(const ApiRequest& request);
HttpResponse postAccountCollect(const ApiRequest& request);

HttpResponse postAudit(const ApiRequest& request);
HttpResponse listAudits(const ApiRequest& request);
HttpResponse getAudit(const ApiRequest& request);
HttpResponse listFindings(const ApiRequest& request);
HttpResponse diffAudits(const ApiRequest& request);
HttpResponse reportJson(const ApiRequest& request);
HttpResponse reportHtml(const ApiRequest& request);
HttpResponse reportSarif(const ApiRequest& request);
HttpResponse reportCsv(const ApiRequest& request);

HttpResponse postSchedule(const ApiRequest& request);
HttpResponse listSchedules(const ApiRequest& request);
HttpResponse getSchedule(const ApiRequest& request);
HttpResponse putSchedule(const ApiRequest& request);
HttpResponse deleteSchedule(const ApiRequest& request);
HttpResponse listScheduleRuns(const ApiRequest& request);

HttpResponse putPolicy(const ApiRequest& request);
HttpResponse getPolicy(const ApiRequest& request);

}  // namespace sgaudit::service::handlers
