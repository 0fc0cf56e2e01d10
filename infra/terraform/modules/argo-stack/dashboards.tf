# The Grafana dashboard for the model services, loaded by Grafana's sidecar from a labelled ConfigMap.

resource "kubernetes_config_map_v1" "model_services_dashboard" {
  metadata {
    name      = "sluicegate-model-services"
    namespace = kubernetes_namespace_v1.platform["monitoring"].metadata[0].name
    labels = {
      grafana_dashboard = "1"
    }
  }
  data = {
    "model-services.json" = file("${path.module}/dashboards/model-services.json")
  }
}
