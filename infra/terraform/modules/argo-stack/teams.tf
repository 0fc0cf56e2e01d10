# The platform-admin / team split: one namespace per team, with a quota, default container resources and
# `team`, a ServiceAccount with full rights in the namespace (the built-in `admin` ClusterRole bound by a
# RoleBinding, so it grants nothing outside the namespace); what people and CI use.
#
# The least-privilege ServiceAccounts the workloads run as are part of the rendered manifests, so that a
# team's namespace carries them wherever the manifests go (Argo CD syncs them into every team namespace):
#   - `sluicegate-pipeline` (workflows/rbac.py): report step results, get and patch the namespace's Rollouts.
#   - the Sensors' ServiceAccount (events/): create Workflows in the namespace, nothing else.
# The cloud identity of `sluicegate-pipeline` (bucket access for artifacts) is bound in the env roots
# without annotating that ServiceAccount (GKE principal IAM, EKS Pod Identity).

locals {
  team_service_account = "team"
}

resource "kubernetes_namespace_v1" "team" {
  for_each = var.teams

  metadata {
    name = each.key
    # `baseline` is enforced and `restricted` reported: the Sensor and EventSource pods of the rendered
    # manifests do not set a security context yet (see tests/infra/test_checkov.py, KNOWN).
    labels = {
      "app.kubernetes.io/part-of"          = "sluicegate"
      "sluicegate.io/team"                 = each.key
      "pod-security.kubernetes.io/enforce" = "baseline"
      "pod-security.kubernetes.io/warn"    = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
    }
  }
}

resource "kubernetes_resource_quota_v1" "team" {
  for_each = var.teams

  metadata {
    name      = "team-quota"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
  spec {
    hard = {
      "limits.cpu"    = each.value.cpu_quota
      "limits.memory" = each.value.memory_quota
    }
  }
}

# Pods that name no resources get these, so the quota above can always be enforced.
resource "kubernetes_limit_range_v1" "team" {
  for_each = var.teams

  metadata {
    name      = "team-defaults"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
  spec {
    limit {
      type            = "Container"
      default         = { cpu = "1", memory = "1Gi" }
      default_request = { cpu = "100m", memory = "256Mi" }
    }
  }
}

resource "kubernetes_service_account_v1" "team" {
  for_each = var.teams

  metadata {
    name      = local.team_service_account
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
}

resource "kubernetes_role_binding_v1" "team_admin" {
  for_each = var.teams

  metadata {
    name      = "team-admin"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "admin"
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.team[each.key].metadata[0].name
    namespace = each.key
  }
}

# The pipeline's default tracking URI is http://mlflow.<namespace>.svc:5000 (workflows/), the same on one
# machine and on a cluster; on the cluster that name is an alias of the shared MLflow in its namespace.
resource "kubernetes_service_v1" "mlflow_alias" {
  for_each = var.teams

  metadata {
    name      = "mlflow"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
  spec {
    type          = "ExternalName"
    external_name = "mlflow.${local.namespaces.mlflow}.svc.cluster.local"
  }
}

# A long-lived token for the team ServiceAccount: what `sluice submit --token` and CI use against the
# Argo Server (client auth mode). Read it with the command in outputs.tf; it is never printed by Terraform.
resource "kubernetes_secret_v1" "team_token" {
  for_each = var.teams

  metadata {
    name      = "team-token"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
    annotations = {
      "kubernetes.io/service-account.name" = kubernetes_service_account_v1.team[each.key].metadata[0].name
    }
  }
  type                           = "kubernetes.io/service-account-token"
  wait_for_service_account_token = true
}

# The repositories the namespace's Workflows may take code from: the parameter of the git-repositories
# admission policy (releases.tf), the same ConfigMap the local stack reads. Team admins may edit it; the
# Sensors' ServiceAccounts, which create Workflows from event data, cannot.
resource "kubernetes_config_map_v1" "git_repositories" {
  for_each = var.teams

  metadata {
    name      = "git-repositories"
    namespace = kubernetes_namespace_v1.team[each.key].metadata[0].name
  }
  data = {
    repositories = join("\n", each.value.git_repositories)
  }
}
