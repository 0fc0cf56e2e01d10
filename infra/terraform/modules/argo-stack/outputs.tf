output "namespaces" {
  description = "Platform namespaces (argo, argo-events, argo-rollouts, argocd, mlflow, monitoring, ingress-nginx)."
  value       = local.namespaces
}

output "team_namespaces" {
  description = "One namespace per team; deploy a team's manifests there with `sluice deploy --namespace NS`."
  value       = local.team_namespaces
}

output "mlflow_tracking_uri" {
  description = "MLflow's tracking URI inside the cluster (team namespaces also reach it as http://mlflow.<team>.svc:5000)."
  value       = local.mlflow_internal_url
}

output "argo_server_url" {
  description = "Where the Argo Server answers: the ingress host if a domain is set, else a port-forward."
  value       = local.hosts.argo == "" ? "http://127.0.0.1:2746 (run: kubectl -n ${local.namespaces.workflows} port-forward svc/argo-workflows-server 2746:2746)" : "http://${local.hosts.argo}"
}

output "next_steps" {
  description = "What to do after `terraform apply`."
  value       = <<-EOT
    The Argo stack is installed. Next:
      1. Get a team token (client auth mode):
           kubectl -n ${try(local.team_namespaces[0], "TEAM")} get secret team-token -o jsonpath='{.data.token}' | base64 -d
      2. Check what would change, then deploy the rendered manifests (Argo CD also syncs them from git):
           sluice deploy --context "$(kubectl config current-context)" --dry-run
           sluice deploy --context "$(kubectl config current-context)"
      3. Submit the pipeline through the Argo Server:
           sluice submit model-pipeline -p model-name=breast-cancer --server ${local.hosts.argo == "" ? "http://127.0.0.1:2746" : "http://${local.hosts.argo}"} --token "$TOKEN" --namespace ${try(local.team_namespaces[0], "TEAM")} --wait
      4. Grafana admin password:
           kubectl -n ${local.namespaces.monitoring} get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d
  EOT
}
