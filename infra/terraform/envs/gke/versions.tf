# A root pins every provider exactly; `terraform init` writes .terraform.lock.hcl, which is committed.
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.28.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.0.2"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "2.38.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }

  # State lives in a GCS bucket you create once (docs/cluster.md, step 2):
  #   terraform init -backend-config="bucket=<PROJECT>-tfstate"
  backend "gcs" {
    prefix = "sluicegate/gke"
  }
}
