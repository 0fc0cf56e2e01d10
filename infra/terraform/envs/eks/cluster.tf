# VPC and EKS through the community modules (terraform-aws-modules), with two managed node groups:
# `steps` (workflow pods, spot, tainted) and `serving` (model services and the platform).

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first three zones are used (slice below), so a new zone changes nothing.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

module "vpc" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact version, and .terraform.lock.hcl pins the providers; registry versions are immutable.
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.21.0"

  name = var.name
  cidr = var.vpc_cidr
  azs  = local.azs

  private_subnets  = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets   = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, i + 48)]
  intra_subnets    = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, i + 52)]
  database_subnets = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, i + 56)]

  enable_nat_gateway = true
  single_nat_gateway = true

  enable_flow_log                      = true
  create_flow_log_cloudwatch_log_group = true
  create_flow_log_cloudwatch_iam_role  = true

  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

module "eks" {
  #checkov:skip=CKV_TF_1:Registry module pinned to an exact version, and .terraform.lock.hcl pins the providers; registry versions are immutable.
  source  = "terraform-aws-modules/eks/aws"
  version = "20.37.2"

  cluster_name    = var.name
  cluster_version = var.kubernetes_version

  cluster_endpoint_public_access           = true
  cluster_endpoint_public_access_cidrs     = var.admin_cidrs
  enable_cluster_creator_admin_permissions = true
  enable_irsa                              = true

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { before_compute = true, configuration_values = jsonencode({ enableNetworkPolicy = "true" }) }
    eks-pod-identity-agent = {}
    # Volume claims (the MLflow relay's state) need a CSI provisioner and a default StorageClass; EKS
    # has neither without this add-on. Its defaultStorageClass option creates an encrypted gp3 one.
    aws-ebs-csi-driver = {
      service_account_role_arn = module.ebs_csi_irsa.iam_role_arn
      configuration_values     = jsonencode({ defaultStorageClass = { enabled = true } })
    }
  }

  vpc_id                   = module.vpc.vpc_id
  subnet_ids               = module.vpc.private_subnets
  control_plane_subnet_ids = module.vpc.intra_subnets

  eks_managed_node_groups = {
    steps = {
      instance_types = var.node_groups.steps.instance_types
      capacity_type  = var.node_groups.steps.spot ? "SPOT" : "ON_DEMAND"
      min_size       = var.node_groups.steps.min_size
      max_size       = var.node_groups.steps.max_size
      desired_size   = var.node_groups.steps.min_size
      labels         = { "sluicegate.io/pool" = "steps" }
      taints = {
        steps = { key = "sluicegate.io/pool", value = "steps", effect = "NO_SCHEDULE" }
      }
    }
    serving = {
      instance_types = var.node_groups.serving.instance_types
      capacity_type  = var.node_groups.serving.spot ? "SPOT" : "ON_DEMAND"
      min_size       = var.node_groups.serving.min_size
      max_size       = var.node_groups.serving.max_size
      desired_size   = var.node_groups.serving.min_size
      labels         = { "sluicegate.io/pool" = "serving" }
    }
  }
}
