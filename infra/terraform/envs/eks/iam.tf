# IRSA: each Kubernetes ServiceAccount that touches the bucket assumes its own IAM role, allowed on that
# bucket (and its KMS key) only. No access keys exist anywhere.

locals {
  irsa_subjects = {
    argo   = ["argo:argo-workflows-workflow-controller", "argo:argo-workflows-server"]
    mlflow = ["mlflow:mlflow"]
    steps  = [for team in keys(var.teams) : "${team}:workflow"]
  }
}

resource "aws_iam_policy" "artifacts" {
  name        = "${var.name}-artifacts"
  description = "Read and write the ${var.name} artifacts bucket"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [aws_s3_bucket.artifacts.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["${aws_s3_bucket.artifacts.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [aws_kms_key.artifacts.arn]
      },
    ]
  })
}

module "irsa" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact version, and .terraform.lock.hcl pins the providers; registry versions are immutable.
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.58.0"

  for_each = local.irsa_subjects

  role_name        = "${var.name}-${each.key}"
  role_policy_arns = { artifacts = aws_iam_policy.artifacts.arn }

  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = each.value
    }
  }
}
