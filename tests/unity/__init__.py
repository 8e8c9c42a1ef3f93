"""Unity Catalog as code: release/unity (spec, state, plan, workspace), lakehouse_local.unity."""
