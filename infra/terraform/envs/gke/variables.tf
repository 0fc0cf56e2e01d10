variable "project_id" {
  description = "The GCP project to build in (it must exist and have billing enabled)."
  type        = string
}

variable "region" {
  description = "GCP region of the cluster, bucket, registry and database."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix of every resource name (cluster, network, bucket, registry, database)."
  type        = string
  default     = "sluicegate"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,20}$", var.name))
    error_message = "name: 3-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "network" {
  description = "Address ranges of the VPC subnet, the pods, the services and the private control plane."
  type = object({
    nodes_cidr         = optional(string, "10.10.0.0/20")
    pods_cidr          = optional(string, "10.20.0.0/14")
    services_cidr      = optional(string, "10.24.0.0/20")
    control_plane_cidr = optional(string, "172.16.0.0/28")
  })
  default = {}
}

variable "admin_cidrs" {
  description = "CIDR blocks allowed to reach the cluster's control plane (your office or VPN); nothing else can."
  type        = list(string)
}

variable "node_pools" {
  description = "Machine type and size of the steps pool (workflow pods) and the serving pool (model services)."
  type = object({
    steps = optional(object({
      machine_type = optional(string, "e2-standard-4")
      min_nodes    = optional(number, 0)
      max_nodes    = optional(number, 6)
      spot         = optional(bool, true)
    }), {})
    serving = optional(object({
      machine_type = optional(string, "e2-standard-4")
      min_nodes    = optional(number, 1)
      max_nodes    = optional(number, 4)
      spot         = optional(bool, false)
    }), {})
  })
  default = {}
}

variable "database" {
  description = "Cloud SQL for PostgreSQL that backs MLflow."
  type = object({
    tier                = optional(string, "db-custom-1-3840")
    deletion_protection = optional(bool, true)
  })
  default = {}
}

variable "teams" {
  description = "Team namespaces to create (see modules/argo-stack); the default is the one namespace the rendered manifests use. A team with manifests_repo syncs its own rendered manifests from there."
  type = map(object({
    cpu_quota      = optional(string, "32")
    memory_quota   = optional(string, "128Gi")
    manifests_repo = optional(string, "")
    manifests_path = optional(string, "manifests")
  }))
  default = {
    sluicegate = {}
  }
}

variable "gitops_repo_url" {
  description = "HTTPS URL of this repository; Argo CD syncs its gitops/ folder."
  type        = string
}

variable "domain" {
  description = "DNS domain for the ingress hosts (argo., cd., mlflow., grafana.); empty means use port-forwards."
  type        = string
  default     = ""
}
