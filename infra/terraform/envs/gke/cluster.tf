# A private, regional GKE cluster (Dataplane V2, Workload Identity, Shielded Nodes) with two node pools:
# `steps` (workflow pods, spot by default, scales to zero) and `serving` (model services, on-demand).

resource "google_service_account" "nodes" {
  account_id   = "${var.name}-nodes"
  display_name = "GKE nodes of ${var.name} (logging, monitoring, image pulls only)"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "main" {
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Workspace domain the user may not have; RBAC binds ServiceAccounts instead.
  #checkov:skip=CKV_GCP_12:Dataplane V2 (ADVANCED_DATAPATH) enforces NetworkPolicy itself; the legacy network_policy block conflicts with it.
  #checkov:skip=CKV_GCP_66:Binary Authorization needs an attestor pipeline; images are pinned by digest in CI instead (docs/cluster.md).
  name     = var.name
  location = var.region

  network         = google_compute_network.main.id
  subnetwork      = google_compute_subnetwork.nodes.id
  networking_mode = "VPC_NATIVE"

  # Node pools are managed separately; the default pool is removed right after creation.
  remove_default_node_pool = true
  initial_node_count       = 1

  release_channel {
    channel = "REGULAR"
  }

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.network.control_plane_cidr
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.admin_cidrs
      content {
        cidr_block   = cidr_blocks.value
        display_name = "admin ${cidr_blocks.value}"
      }
    }
  }

  datapath_provider = "ADVANCED_DATAPATH"

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false

  logging_service    = "logging.googleapis.com/kubernetes"
  monitoring_service = "monitoring.googleapis.com/kubernetes"

  resource_labels = {
    app = var.name
  }

  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  deletion_protection = true
}

locals {
  pools = {
    steps   = var.node_pools.steps
    serving = var.node_pools.serving
  }
}

resource "google_container_node_pool" "pools" {
  for_each = local.pools

  name     = each.key
  cluster  = google_container_cluster.main.id
  location = var.region

  autoscaling {
    total_min_node_count = each.value.min_nodes
    total_max_node_count = each.value.max_nodes
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = each.value.machine_type
    spot            = each.value.spot
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels = {
      "sluicegate.io/pool" = each.key
    }
    # Only the steps pool is tainted: system pods and the platform land on `serving`, and only workflow
    # pods (which the controller gives a matching toleration) land on `steps`.
    dynamic "taint" {
      for_each = each.key == "steps" ? [1] : []
      content {
        key    = "sluicegate.io/pool"
        value  = "steps"
        effect = "NO_SCHEDULE"
      }
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}
