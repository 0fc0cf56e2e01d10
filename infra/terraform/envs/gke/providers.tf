provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_client_config" "current" {}

locals {
  cluster_endpoint = "https://${google_container_cluster.main.endpoint}"
  cluster_ca       = base64decode(google_container_cluster.main.master_auth[0].cluster_ca_certificate)
}

provider "kubernetes" {
  host                   = local.cluster_endpoint
  cluster_ca_certificate = local.cluster_ca
  token                  = data.google_client_config.current.access_token
}

provider "helm" {
  kubernetes = {
    host                   = local.cluster_endpoint
    cluster_ca_certificate = local.cluster_ca
    token                  = data.google_client_config.current.access_token
  }
}
