variable "cloud" {
  description = "Which cloud the cluster runs on: \"gcp\" (GCS artifacts, Workload Identity) or \"aws\" (S3 artifacts, IRSA)."
  type        = string

  validation {
    condition     = contains(["gcp", "aws"], var.cloud)
    error_message = "cloud must be \"gcp\" or \"aws\"."
  }
}

variable "artifact_bucket" {
  description = "The bucket that holds Argo artifacts (under argo/) and MLflow artifacts (under mlflow/). region is used for S3 only."
  type = object({
    name   = string
    region = optional(string, "")
  })
}

variable "mlflow_database" {
  description = "The Postgres database MLflow uses as its backend store (Cloud SQL or RDS). The password is written to a Kubernetes Secret, never into Helm values."
  type = object({
    host     = string
    port     = optional(number, 5432)
    name     = optional(string, "mlflow")
    user     = optional(string, "mlflow")
    password = string
  })
  sensitive = true
}

variable "workload_identities" {
  description = "Cloud identity bound to each platform ServiceAccount that touches the bucket: a GCP service account e-mail (gcp) or an IAM role ARN (aws). Empty means no binding."
  type = object({
    argo_workflows = optional(string, "")
    mlflow         = optional(string, "")
  })
  default = {}
}

variable "pipeline_service_account" {
  description = "The ServiceAccount workflows run as when a template names none; the rendered manifests create it in every team namespace."
  type        = string
  default     = "sluicegate-pipeline"
}

variable "teams" {
  description = "One namespace per team. Each gets a team ServiceAccount with full rights in its namespace only, a resource quota, default container resources and the list of git repositories its Workflows may take code from."
  type = map(object({
    cpu_quota      = optional(string, "32")
    memory_quota   = optional(string, "128Gi")
    manifests_repo = optional(string, "")
    manifests_path = optional(string, "manifests")
    # Where the namespace's Workflows may take code from (ConfigMap git-repositories, enforced at admission):
    # repository URLs, or owners' URLs ending in '/'.
    git_repositories = optional(list(string), ["https://github.com/sluicegate/"])
  }))
  default = {
    sluicegate = {}
  }

  validation {
    condition     = alltrue([for name in keys(var.teams) : can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name))])
    error_message = "Team names become namespace names: lowercase letters, digits and '-', at most 63 characters."
  }
}

variable "gitops" {
  description = "The git repository Argo CD syncs: its gitops/ folder holds the ApplicationSet that deploys manifests/ into every team namespace."
  type = object({
    repo_url = string
    revision = optional(string, "main")
    path     = optional(string, "gitops")
  })
}

variable "ingress" {
  description = "Public entry points. With a domain set, the Argo Server, Argo CD, MLflow and Grafana get hosts argo., cd., mlflow. and grafana. under it."
  type = object({
    domain        = optional(string, "")
    class_name    = optional(string, "nginx")
    load_balancer = optional(map(string), {})
  })
  default = {}
}

variable "node_pools" {
  description = "Node labels of the steps pool: every workflow pod gets them as nodeSelector, with a toleration of the pool's taint (sluicegate.io/pool=steps:NoSchedule). Everything else runs on the untainted serving pool."
  type = object({
    steps_selector = optional(map(string), {})
  })
  default = {}
}

variable "chart_versions" {
  description = "Helm chart versions. Every default is an exact version we test with; override only to upgrade deliberately."
  type = object({
    argo_workflows        = optional(string, "1.0.18")
    argo_events           = optional(string, "2.4.22")
    argo_rollouts         = optional(string, "2.41.0")
    argo_cd               = optional(string, "10.1.1")
    argocd_apps           = optional(string, "2.0.5")
    mlflow                = optional(string, "1.11.5")
    kube_prometheus_stack = optional(string, "88.5.3")
    ingress_nginx         = optional(string, "4.15.1")
  })
  default = {}

  validation {
    condition     = alltrue([for v in values(var.chart_versions) : can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", v))])
    error_message = "Chart versions must be exact (MAJOR.MINOR.PATCH), never ranges."
  }
}

variable "mlflow_server_version" {
  description = "Tag of the MLflow server image (burakince/mlflow, the chart's image). The chart's own default, 3.15.1, is older than the client the pipeline steps use (pyproject.toml: mlflow>=3.17,<3.19); keep this inside that range."
  type        = string
  default     = "3.17.2"

  validation {
    condition     = can(regex("^3\\.(17|18)\\.[0-9]+$", var.mlflow_server_version))
    error_message = "mlflow_server_version must be 3.17.x or 3.18.x, the range of the MLflow client in pyproject.toml."
  }
}
