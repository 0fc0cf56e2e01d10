# A root pins every provider and module exactly; `terraform init` writes .terraform.lock.hcl, which is committed.
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
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

  # State lives in an S3 bucket you create once (docs/cluster.md, AWS section):
  #   terraform init -backend-config="bucket=<ACCOUNT>-tfstate" -backend-config="region=<REGION>"
  backend "s3" {
    key          = "sluicegate/eks.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
