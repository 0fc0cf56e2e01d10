# Workload Identity: each Kubernetes ServiceAccount that touches the bucket maps to its own Google
# service account with access to that bucket only. Keys are never created.

locals {
  first_team = sort(keys(var.teams))[0]
  # Google service account => the Kubernetes ServiceAccounts ("namespace/name") that may act as it.
  workload_identities = {
    argo   = ["argo/argo-workflows-workflow-controller", "argo/argo-workflows-server"]
    mlflow = ["mlflow/mlflow"]
    steps  = [for team in keys(var.teams) : "${team}/workflow"]
  }
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
