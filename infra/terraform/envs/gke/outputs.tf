output "cluster_name" {
  description = "The GKE cluster."
  value       = google_container_cluster.main.name
}

output "registry" {
  description = "Where CI pushes the components and model-server images (set SLUICE_COMPONENTS_IMAGE to <registry>/components:<tag>)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "artifact_bucket" {
  description = "The bucket holding Argo artifacts (argo/) and MLflow artifacts (mlflow/)."
  value       = google_storage_bucket.artifacts.url
}

output "mlflow_tracking_uri" {
  description = "MLflow inside the cluster (pipeline steps use it)."
  value       = module.argo_stack.mlflow_tracking_uri
}

output "next_steps" {
  description = "What to do now that the cluster exists."
  value       = <<-EOT
    Cluster ${google_container_cluster.main.name} is ready. Next:
      gcloud container clusters get-credentials ${google_container_cluster.main.name} --region ${var.region} --project ${var.project_id}
    then:
    ${module.argo_stack.next_steps}
  EOT
}
