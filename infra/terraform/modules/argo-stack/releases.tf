# The Helm releases of the platform. Chart versions come from var.chart_versions (exact versions);
# values come from values/*.yaml.tftpl through templatefile, so they can be read and diffed as YAML.

locals {
  team_namespaces = sort(keys(var.teams))
  annotations_for = {
    for name, identity in var.workload_identities : name => identity == "" ? {} : { (local.identity_annotation) = identity }
  }
}

resource "helm_release" "ingress_nginx" {
  name       = "ingress-nginx"
  namespace  = kubernetes_namespace_v1.platform["ingress"].metadata[0].name
  repository = "https://kubernetes.github.io/ingress-nginx"
  chart      = "ingress-nginx"
  version    = var.chart_versions.ingress_nginx
  values = [templatefile("${path.module}/values/ingress-nginx.yaml.tftpl", {
    load_balancer_annotations = var.ingress.load_balancer
  })]
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "helm_release" "kube_prometheus_stack" {
  name       = "kube-prometheus-stack"
  namespace  = kubernetes_namespace_v1.platform["monitoring"].metadata[0].name
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "kube-prometheus-stack"
  version    = var.chart_versions.kube_prometheus_stack
  values = [templatefile("${path.module}/values/kube-prometheus-stack.yaml.tftpl", {
    grafana_secret = kubernetes_secret_v1.grafana_admin.metadata[0].name
    host           = local.hosts.grafana
    ingress_class  = var.ingress.class_name
  })]
}

resource "helm_release" "argo_workflows" {
  name       = "argo-workflows"
  namespace  = kubernetes_namespace_v1.platform["workflows"].metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-workflows"
  version    = var.chart_versions.argo_workflows
  values = [templatefile("${path.module}/values/argo-workflows.yaml.tftpl", {
    cloud                    = var.cloud
    bucket                   = var.artifact_bucket.name
    region                   = var.artifact_bucket.region
    team_namespaces          = local.team_namespaces
    workflow_service_account = var.pipeline_service_account
    steps_selector           = var.node_pools.steps_selector
    argo_annotations         = local.annotations_for["argo_workflows"]
    host                     = local.hosts.argo
    ingress_class            = var.ingress.class_name
  })]
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "helm_release" "argo_events" {
  name       = "argo-events"
  namespace  = kubernetes_namespace_v1.platform["events"].metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-events"
  version    = var.chart_versions.argo_events
  values = [templatefile("${path.module}/values/argo-events.yaml.tftpl", {
    jetstream_replicas = 3
  })]
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "helm_release" "argo_rollouts" {
  name       = "argo-rollouts"
  namespace  = kubernetes_namespace_v1.platform["rollouts"].metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-rollouts"
  version    = var.chart_versions.argo_rollouts
  values     = [templatefile("${path.module}/values/argo-rollouts.yaml.tftpl", {})]
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "helm_release" "mlflow" {
  name       = "mlflow"
  namespace  = kubernetes_namespace_v1.platform["mlflow"].metadata[0].name
  repository = "https://community-charts.github.io/helm-charts"
  chart      = "mlflow"
  version    = var.chart_versions.mlflow
  values = [templatefile("${path.module}/values/mlflow.yaml.tftpl", {
    cloud                       = var.cloud
    bucket                      = var.artifact_bucket.name
    db_host                     = var.mlflow_database.host
    db_port                     = var.mlflow_database.port
    db_name                     = var.mlflow_database.name
    db_secret                   = kubernetes_secret_v1.mlflow_database.metadata[0].name
    service_account_annotations = local.annotations_for["mlflow"]
    namespace                   = local.namespaces.mlflow
    team_namespaces             = local.team_namespaces
    image_tag                   = var.mlflow_server_version
    host                        = local.hosts.mlflow
    ingress_class               = var.ingress.class_name
  })]
}

# Argo's executor clones `git` artifacts on a cluster, so where a Workflow's code comes from is checked when
# the object is admitted: a ValidatingAdmissionPolicy (cluster-scoped, hence here and not in manifests/),
# bound in every team namespace to its ConfigMap git-repositories (teams.tf). A local chart, so that the plan
# needs no cluster (kubernetes_manifest would).
resource "helm_release" "git_repositories_policy" {
  name       = "git-repositories-policy"
  namespace  = kubernetes_namespace_v1.platform["workflows"].metadata[0].name
  chart      = "${path.module}/charts/git-repositories-policy"
  depends_on = [kubernetes_config_map_v1.git_repositories]
}

# Argo CD goes last: its root Application syncs manifests/, which need every CRD above to exist.
resource "helm_release" "argo_cd" {
  name       = "argo-cd"
  namespace  = kubernetes_namespace_v1.platform["cd"].metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-cd"
  version    = var.chart_versions.argo_cd
  values = [templatefile("${path.module}/values/argo-cd.yaml.tftpl", {
    host          = local.hosts.cd
    ingress_class = var.ingress.class_name
  })]
  depends_on = [
    helm_release.argo_workflows,
    helm_release.argo_events,
    helm_release.argo_rollouts,
    helm_release.mlflow,
    helm_release.git_repositories_policy,
    kubernetes_role_binding_v1.team_admin,
  ]
}

# The root Application, in a release of its own: the argo-cd chart installs the Application CRD as an
# ordinary template, so an Application in that same release fails on first install (argo-helm #1938).
resource "helm_release" "argocd_apps" {
  name       = "argocd-apps"
  namespace  = kubernetes_namespace_v1.platform["cd"].metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argocd-apps"
  version    = var.chart_versions.argocd_apps
  values = [templatefile("${path.module}/values/argocd-apps.yaml.tftpl", {
    namespace = local.namespaces.cd
    repo_url  = var.gitops.repo_url
    revision  = var.gitops.revision
    path      = var.gitops.path
    team_elements = [
      for name in local.team_namespaces : {
        team     = name
        repoURL  = var.teams[name].manifests_repo == "" ? var.gitops.repo_url : var.teams[name].manifests_repo
        revision = var.gitops.revision
        path     = var.teams[name].manifests_path
      }
    ]
    team_destinations = [
      for name in local.team_namespaces : { server = "https://kubernetes.default.svc", namespace = name }
    ]
  })]
  depends_on = [helm_release.argo_cd]
}
