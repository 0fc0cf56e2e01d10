# The entry point: the Argo stack (modules/argo-stack) on the cluster that the other files of this root
# build (network, cluster, storage, database, iam).

module "argo_stack" {
  source = "../../modules/argo-stack"

  cloud = "aws"
  artifact_bucket = {
    name   = aws_s3_bucket.artifacts.id
    region = var.region
  }
  mlflow_database = {
    host     = aws_db_instance.mlflow.address
    port     = aws_db_instance.mlflow.port
    name     = aws_db_instance.mlflow.db_name
    user     = aws_db_instance.mlflow.username
    password = random_password.mlflow_db.result
  }
  workload_identities = {
    argo_workflows = module.irsa["argo"].iam_role_arn
    mlflow         = module.irsa["mlflow"].iam_role_arn
  }
  teams = var.teams
  gitops = {
    repo_url = var.gitops_repo_url
  }
  ingress = {
    domain = var.domain
    load_balancer = {
      "service.beta.kubernetes.io/aws-load-balancer-type" = "nlb"
    }
  }
  node_pools = {
    steps_selector = { "sluicegate.io/pool" = "steps" }
  }

  depends_on = [module.eks]
}
