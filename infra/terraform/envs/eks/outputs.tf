output "cluster_name" {
  description = "The EKS cluster."
  value       = module.eks.cluster_name
}

output "registry" {
  description = "Where CI pushes the images (set SLUICE_COMPONENTS_IMAGE to <registry>/components:<tag>)."
  value       = split("/", aws_ecr_repository.images["components"].repository_url)[0]
}

output "artifact_bucket" {
  description = "The bucket holding Argo artifacts (argo/) and MLflow artifacts (mlflow/)."
  value       = "s3://${aws_s3_bucket.artifacts.id}"
}

output "mlflow_tracking_uri" {
  description = "MLflow inside the cluster (pipeline steps use it)."
  value       = module.argo_stack.mlflow_tracking_uri
}

output "next_steps" {
  description = "What to do now that the cluster exists."
  value       = <<-EOT
    Cluster ${module.eks.cluster_name} is ready. Next:
      aws eks update-kubeconfig --name ${module.eks.cluster_name} --region ${var.region}
    then:
    ${module.argo_stack.next_steps}
  EOT
}
