# Platform namespaces and the locals every release shares. Team namespaces and their RBAC are in teams.tf,
# the Helm releases in releases.tf, the Grafana dashboard in dashboards.tf.

locals {
  namespaces = {
    workflows  = "argo"
    events     = "argo-events"
    rollouts   = "argo-rollouts"
    cd         = "argocd"
    mlflow     = "mlflow"
    monitoring = "monitoring"
    ingress    = "ingress-nginx"
  }

  hosts = {
    argo    = var.ingress.domain == "" ? "" : "argo.${var.ingress.domain}"
    cd      = var.ingress.domain == "" ? "" : "cd.${var.ingress.domain}"
    mlflow  = var.ingress.domain == "" ? "" : "mlflow.${var.ingress.domain}"
    grafana = var.ingress.domain == "" ? "" : "grafana.${var.ingress.domain}"
  }

  # The annotation each cloud reads to map a Kubernetes ServiceAccount to a cloud identity.
  identity_annotation = var.cloud == "gcp" ? "iam.gke.io/gcp-service-account" : "eks.amazonaws.com/role-arn"

  mlflow_internal_url = "http://mlflow.${local.namespaces.mlflow}.svc.cluster.local:5000"
}

resource "kubernetes_namespace_v1" "platform" {
  for_each = local.namespaces

  metadata {
    name = each.value
    # Third-party charts do not all meet `restricted` (seccomp profiles, capabilities), so enforce
    # `baseline` and report what `restricted` would reject; ingress and node exporters need more.
    labels = {
      "app.kubernetes.io/part-of"          = "sluicegate"
      "pod-security.kubernetes.io/enforce" = each.key == "ingress" || each.key == "monitoring" ? "privileged" : "baseline"
      "pod-security.kubernetes.io/warn"    = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
    }
  }
}

# MLflow's database password lives in a Secret that the chart reads; it never enters Helm values.
resource "kubernetes_secret_v1" "mlflow_database" {
  metadata {
    name      = "mlflow-database"
    namespace = kubernetes_namespace_v1.platform["mlflow"].metadata[0].name
  }
  data = {
    username = var.mlflow_database.user
    password = var.mlflow_database.password
  }
}

resource "random_password" "grafana_admin" {
  length  = 24
  special = false
}

resource "kubernetes_secret_v1" "grafana_admin" {
  metadata {
    name      = "grafana-admin"
    namespace = kubernetes_namespace_v1.platform["monitoring"].metadata[0].name
  }
  data = {
    admin-user     = "admin"
    admin-password = random_password.grafana_admin.result
  }
}
