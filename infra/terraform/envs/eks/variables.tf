variable "region" {
  description = "AWS region of the cluster, bucket, registry and database."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Prefix of every resource name (cluster, VPC, bucket, registry, database)."
  type        = string
  default     = "sluicegate"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,20}$", var.name))
    error_message = "name: 3-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.33"
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; private, public and intra subnets are carved from it across three zones."
  type        = string
  default     = "10.0.0.0/16"
}

variable "admin_cidrs" {
  description = "CIDR blocks allowed to reach the cluster's public API endpoint (your office or VPN)."
  type        = list(string)
}

variable "node_groups" {
  description = "Instance types and size of the steps group (workflow pods) and the serving group (model services)."
  type = object({
    steps = optional(object({
      instance_types = optional(list(string), ["m6i.xlarge"])
      min_size       = optional(number, 0)
      max_size       = optional(number, 6)
      spot           = optional(bool, true)
    }), {})
    serving = optional(object({
      instance_types = optional(list(string), ["m6i.large"])
      min_size       = optional(number, 2)
      max_size       = optional(number, 4)
      spot           = optional(bool, false)
    }), {})
  })
  default = {}
}

variable "database" {
  description = "RDS for PostgreSQL that backs MLflow."
  type = object({
    instance_class    = optional(string, "db.t4g.medium")
    engine_version    = optional(string, "17")
    allocated_storage = optional(number, 20)
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
