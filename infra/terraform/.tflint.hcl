# tflint for every root and module under infra/terraform (run by .github/workflows/pull-request.yml):
# the bundled terraform ruleset with the standard module structure rule the house style asks for.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_standard_module_structure" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}
