// /metrics and /healthz over HttpServer, answered from a PrometheusMetrics.
#pragma once

#include <memory>

#include "metrics/http_server.h"
#include "metrics/prometheus_metrics.h"

namespace ki {

// GET /metrics: the exposition (text format 0.0.4); GET /healthz: 200 "ok: ..." or 503 with the
// reason, one line; anything else 404.
HttpServerResponse AnswerMetricsRequest(const PrometheusMetrics& metrics, const std::string& path);

Result<std::unique_ptr<HttpServer>> ServeMetrics(const ListenAddress& address, const PrometheusMetrics& metrics);

}  // namespace ki
