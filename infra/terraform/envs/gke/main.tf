# The entry point: the Argo stack (modules/argo-stack) on the cluster that the other files of this root
# build (network, cluster, storage, database, iam).

module "argo_stack" {
  source = "../../modules/argo-stack"

  cloud = "gcp"
  artifact_bucket = {
    name = google_storage_bucket.artifacts.name
  }
  mlflow_database = {
    host     = google_sql_database_instance.mlflow.private_ip_address
    name     = google_sql_database.mlflow.name
    user     = google_sql_user.mlflow.name
    password = random_password.mlflow_db.result
  }
  workload_identities = {
    argo_workflows = google_service_account.workload["argo"].email
    mlflow         = google_service_account.workload["mlflow"].email
  }
  teams = var.teams
  gitops = {
    repo_url = var.gitops_repo_url
  }
  ingress = {
    domain = var.domain
  }
  node_pools = {
    steps_selector = { "sluicegate.io/pool" = "steps" }
  }

  depends_on = [google_container_node_pool.pools]
}
