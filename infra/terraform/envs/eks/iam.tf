# IRSA: the platform's chart-made ServiceAccounts (Argo controller and server, MLflow) assume their own IAM
# role through the `eks.amazonaws.com/role-arn` annotation the module sets. The pipeline's ServiceAccount
# belongs to the rendered manifests, so it gets its role through an EKS Pod Identity association instead
# (no annotation needed). Every role may use the artifacts bucket and its KMS key only; no access keys exist.

locals {
  irsa_subjects = {
    argo   = ["argo:argo-workflows-workflow-controller", "argo:argo-workflows-server"]
    mlflow = ["mlflow:mlflow"]
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

# The EBS CSI driver's controller creates and attaches volumes; AWS's managed policy through IRSA.
module "ebs_csi_irsa" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact version, and .terraform.lock.hcl pins the providers; registry versions are immutable.
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.58.0"

  role_name             = "${var.name}-ebs-csi"
  attach_ebs_csi_policy = true

  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name = "${var.name}-pipeline"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "pipeline" {
  role       = aws_iam_role.pipeline.name
  policy_arn = aws_iam_policy.artifacts.arn
}

resource "aws_eks_pod_identity_association" "pipeline" {
  for_each = var.teams

  cluster_name    = module.eks.cluster_name
  namespace       = each.key
  service_account = "sluicegate-pipeline"
  role_arn        = aws_iam_role.pipeline.arn
}
