# The bucket for Argo artifacts (argo/) and MLflow artifacts (mlflow/), and the Artifact Registry
# repository for the components and model-server images.

resource "google_storage_bucket" "artifacts" {
  #checkov:skip=CKV_GCP_62:Access logs go to Cloud Audit Logs (data access logs), not to a second bucket.
  name                        = "${var.project_id}-${var.name}-artifacts"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 3
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:Images hold code, not data; Google-managed encryption suffices and a CMEK key ring would outlive `terraform destroy`.
  location      = var.region
  repository_id = var.name
  format        = "DOCKER"
  description   = "Sluicegate components and model-server images"

  docker_config {
    immutable_tags = true
  }
}
