# Workload Identity. The platform's chart-made ServiceAccounts (Argo controller and server, MLflow) map to
# Google service accounts through the `iam.gke.io/gcp-service-account` annotation the module sets. The
# pipeline's ServiceAccount belongs to the rendered manifests, so it gets bucket access as a Workload
# Identity principal instead (no annotation needed). Keys are never created.

data "google_project" "current" {
  project_id = var.project_id
}

locals {
  # Google service account => the Kubernetes ServiceAccounts ("namespace/name") that may act as it.
  workload_identities = {
    argo   = ["argo/argo-workflows-workflow-controller", "argo/argo-workflows-server"]
    mlflow = ["mlflow/mlflow"]
  }
  pipeline_principals = [
    for team in keys(var.teams) :
    "principal://iam.googleapis.com/projects/${data.google_project.current.number}/locations/global/workloadIdentityPools/${var.project_id}.svc.id.goog/subject/ns/${team}/sa/sluicegate-pipeline"
  ]
}

resource "google_service_account" "workload" {
  for_each = local.workload_identities

  account_id   = "${var.name}-${each.key}"
  display_name = "${var.name} ${each.key} (Workload Identity)"
}

resource "google_storage_bucket_iam_member" "workload" {
  for_each = local.workload_identities

  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.workload[each.key].email}"
}

resource "google_service_account_iam_binding" "workload_identity" {
  for_each = local.workload_identities

  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  members            = [for ksa in each.value : "serviceAccount:${var.project_id}.svc.id.goog[${ksa}]"]
}

resource "google_storage_bucket_iam_member" "pipeline" {
  for_each = toset(local.pipeline_principals)

  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = each.value
}
