#include "metrics/metrics_endpoint.h"

namespace ki {

HttpServerResponse AnswerMetricsRequest(const PrometheusMetrics& metrics, const std::string& path) {
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", metrics.Exposition()};
  if (path == "/healthz") {
    Health h = metrics.CheckHealth();
    return {h.ok ? 200 : 503, "text/plain; charset=utf-8", h.reason + "\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"};
}

Result<std::unique_ptr<HttpServer>> ServeMetrics(const ListenAddress& address, const PrometheusMetrics& metrics) {
  return HttpServer::Start(address, [&metrics](const std::string& path) { return AnswerMetricsRequest(metrics, path); });
}

}  // namespace ki
