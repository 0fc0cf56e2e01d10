# RDS for PostgreSQL in the VPC's database subnets, reachable from the cluster's nodes only.

resource "aws_security_group" "database" {
  name        = "${var.name}-mlflow-db"
  description = "MLflow database: Postgres from the EKS nodes only"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description     = "Postgres from EKS nodes"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [module.eks.node_security_group_id]
  }
}

resource "aws_db_parameter_group" "mlflow" {
  name   = "${var.name}-mlflow"
  family = "postgres${var.database.engine_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
}

resource "random_password" "mlflow_db" {
  length  = 32
  special = false
}

resource "aws_db_instance" "mlflow" {
  #checkov:skip=CKV_AWS_161:MLflow's SQLAlchemy URL takes a password; IAM tokens expire every 15 minutes and MLflow cannot refresh them.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs an extra IAM role; Performance Insights and CloudWatch logs cover this small instance.
  identifier     = "${var.name}-mlflow"
  engine         = "postgres"
  engine_version = var.database.engine_version
  instance_class = var.database.instance_class

  allocated_storage = var.database.allocated_storage
  storage_encrypted = true
  kms_key_id        = aws_kms_key.artifacts.arn

  db_name  = "mlflow"
  username = "mlflow"
  password = random_password.mlflow_db.result

  multi_az               = true
  db_subnet_group_name   = module.vpc.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.database.id]
  parameter_group_name   = aws_db_parameter_group.mlflow.name
  publicly_accessible    = false

  backup_retention_period         = 7
  deletion_protection             = true
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.name}-mlflow-final"
  copy_tags_to_snapshot           = true
  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.artifacts.arn
}
