"""checkov checks of this repository (loaded by checkov, never imported by the project)."""
